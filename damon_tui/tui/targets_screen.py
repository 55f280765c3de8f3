"""The target picker: built-in / file workloads, physical memory, processes (filterable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from damon_tui.errors import UserError
from damon_tui.tui.targets_model import (
    Entry,
    all_entries,
    by_rss,
    details,
    filter_entries,
    ops_for,
)
from damon_tui.tui.widgets.inputs import OrderedInput

if TYPE_CHECKING:
    from damon_tui.tui.app import DamonApp


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def open_screen(app) -> None:
    app.push_screen(TargetScreen())


class TargetScreen(Screen):
    """Type to filter; enter monitors the highlighted target (greyed ones say why not).

    Processes are sorted by resident memory; kernel threads are hidden until ctrl+t;
    the lines under the list show the highlighted entry whole (command line, user,
    RSS, why not).
    """

    if TYPE_CHECKING:  # the app this screen is pushed on (Textual types it App[Any])
        app: DamonApp

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("ctrl+r", "reload", "Reload"),
        Binding("ctrl+t", "kernel_threads", "Kernel threads"),
    ]

    DEFAULT_CSS = """
    TargetScreen #filter { height: 3; }
    TargetScreen #list { height: 1fr; }
    TargetScreen #why { height: auto; max-height: 6; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.shown: list[Entry] = []
        self.kernel_threads = False

    def compose(self) -> ComposeResult:
        yield OrderedInput(
            placeholder="filter: a name, a pid, a user; or a masim .cfg path + enter",
            id="filter")
        yield DataTable(id="list", cursor_type="row")
        yield Static(id="why")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#list", DataTable)
        table.add_columns("target", "details")
        self.action_reload()
        self.query_one("#filter", Input).focus()

    def action_reload(self) -> None:
        provider = getattr(self.app, "target_entries", None) or all_entries
        self.entries = by_rss(provider())
        self.apply_filter(self.query_one("#filter", Input).value)

    def apply_filter(self, text: str) -> None:
        self.shown = filter_entries(self.entries, text, self.kernel_threads)
        table = self.query_one("#list", DataTable)
        table.clear()
        width = self.size.width or self.app.size.width or 80
        longest = max((len(e.label) for e in self.shown), default=16)
        label_w = max(min(longest, width - 8 - 20), 16)  # both columns visible, no
        detail_w = max(min(width - label_w - 8, 80), 10)  # sideways scrolling
        for e in self.shown:
            style = "" if e.available else "dim"
            table.add_row(Text(_cut(e.label, label_w), style=style),
                          Text(_cut(e.detail, detail_w), style=style))
        self._explain()

    def action_kernel_threads(self) -> None:
        """Show or hide kernel threads."""
        self.kernel_threads = not self.kernel_threads
        self.apply_filter(self.query_one("#filter", Input).value)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.apply_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text.endswith(".cfg") or "/" in text:
            self.pick(Entry("sim", text, f"sim:{text}", "", True), path=text)
            return
        self.pick_current()

    def on_data_table_row_selected(self, _event) -> None:
        self.pick_current()

    def on_data_table_row_highlighted(self, _event) -> None:
        self._explain()

    def action_move(self, delta: int) -> None:
        table = self.query_one("#list", DataTable)
        table.move_cursor(row=max(0, min(table.cursor_row + delta, len(self.shown) - 1)))
        self._explain()

    def current(self) -> Entry | None:
        if not self.shown:
            return None
        table = self.query_one("#list", DataTable)
        return self.shown[min(table.cursor_row, len(self.shown) - 1)]

    def _explain(self) -> None:
        e = self.current()
        why = self.query_one("#why", Static)
        hidden = sum(x.kernel_thread for x in self.entries)
        tail = (f"{hidden} kernel thread{'s' if hidden > 1 else ''} hidden (ctrl+t shows "
                "them)"
                if hidden and not self.kernel_threads else "")
        if e is None:
            why.update(Text("nothing matches" + (f"; {tail}" if tail else ""), style="dim"))
            return
        text = Text(details(e))
        if e.available:
            text.append("\nenter: monitor it", style="green")
        else:
            text.append(f"\nunavailable: {e.reason}", style="yellow")
        if tail:
            text.append(f"\n{tail}", style="dim")
        why.update(text)

    def pick_current(self) -> None:
        e = self.current()
        if e is not None:
            self.pick(e)

    def pick(self, entry: Entry, path: str | None = None) -> bool:
        try:
            ops = ops_for(entry, path)
        except (UserError, OSError, Exception) as e:  # ops errors: say why, stay here
            self.query_one("#why", Static).update(Text(f"cannot monitor: {e}",
                                                       style="bold red"))
            return False
        self.app.switch_target(ops)
        self.app.pop_screen()
        return True

    def action_back(self) -> None:
        self.app.pop_screen()
