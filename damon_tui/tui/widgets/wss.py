"""The working-set panel: now / average, a sparkline, damo's percentiles as bars."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline

from damon_tui.tui.models import wss_bars
from damon_tui.tui.view import MonitorView
from damon_tui.tui.widgets.text import TextBox, set_border
from damon_tui.units import format_size


class WssPanel(Vertical):
    DEFAULT_CSS = """
    WssPanel { height: auto; border: round $primary; border-title-align: left; }
    WssPanel > #wss-now { height: 1; }
    WssPanel > Sparkline { height: 3; margin: 0 0; }
    WssPanel > #wss-pct { height: 5; }
    """

    #: columns inside the border (the screen sets it from the side column's width)
    inner_width = 32

    def compose(self) -> ComposeResult:
        yield TextBox(id="wss-now")
        yield Sparkline([], id="wss-spark")
        yield TextBox(id="wss-pct")

    def on_mount(self) -> None:
        set_border(self, "working set")

    def update(self, view: MonitorView) -> None:
        w = view.wss
        set_border(self, w.title, w.subtitle)
        self.query_one("#wss-now", TextBox).set_text(Text.assemble(
            ("now ", "dim"), (format_size(w.current, 1), "bold"),
            ("  avg ", "dim"), format_size(w.average, 1) if w.series else "-"))
        spark = self.query_one("#wss-spark", Sparkline)
        spark.display = bool(w.series)
        spark.data = list(w.series) or [0]
        lines = Text(no_wrap=True, overflow="crop")
        if w.percentiles:
            bar_w = max(self.inner_width - 16, 4)
            for p, v, n in wss_bars(list(w.percentiles), bar_w):
                lines.append(f"{p:>3} {format_size(v, 1):>10} ")
                lines.append("█" * max(n, 0), style="cyan")
                lines.append("\n")
            lines.rstrip()
        else:
            lines.append(f"percentiles after {w.excluded} snapshots", style="dim")
        self.query_one("#wss-pct", TextBox).set_text(lines)
