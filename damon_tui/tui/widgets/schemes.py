"""The schemes panel: per-scheme statistics, quota use, watermark state."""

from __future__ import annotations

from damon_tui.tui.view import MonitorView
from damon_tui.tui.widgets.text import TextBox, set_border


class SchemesPanel(TextBox):
    DEFAULT_CSS = """
    SchemesPanel { height: auto; border: round $primary; padding: 0 1; }
    """

    def on_mount(self) -> None:
        set_border(self, "schemes")

    def update(self, view: MonitorView) -> None:
        self.set_text(view.schemes, fit_height=True)
