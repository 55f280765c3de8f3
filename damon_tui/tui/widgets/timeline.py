"""The replay timeline under the heatmap."""

from __future__ import annotations

from rich.text import Text

from damon_tui.tui.replay import timeline_bar
from damon_tui.tui.view import MonitorView
from damon_tui.tui.widgets.text import TextBox


class Timeline(TextBox):
    DEFAULT_CSS = """
    Timeline { height: 1; background: $panel; padding: 0 1; }
    """

    def update(self, view: MonitorView) -> None:
        rp = view.replay
        if rp is None:
            return
        left = f"{rp.first_time} "
        right = f" {rp.pos_time} / {rp.last_time}  [ ] {{ }} home end"
        width = max((self.screen.size.width or 80) - len(left) - len(right) - 2, 5)
        bar = timeline_bar(rp.pos, rp.length, width)
        self.set_text(Text.assemble((left, "dim"), (bar, "bold cyan"), (right, "dim")))
