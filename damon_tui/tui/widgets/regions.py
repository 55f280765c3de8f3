"""The regions panel: a target's regions as a table, sorted by a key (``o``)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from damon_tui.ops.names import NameIndex
from damon_tui.tui.models import region_rows
from damon_tui.tui.view import MonitorView
from damon_tui.tui.widgets.text import TextBox, set_border
from damon_tui.units import format_size_compact, format_time_us


def region_table(rows: list, nr_samples: int, aggr_us: int, width: int,
                 names: NameIndex | None = None) -> Text:
    """The region table as fixed columns that fit ``width`` (>= 32) cells; with
    ``names``, a last column says which mapping(s) each region spans."""
    wide = width >= 46
    head = f"{'start':<14} {'size':>6} {'acc':>5} {'age':>4}"
    if wide:
        head += f" {'age time':>10}"
    name_w = width - len(head) - 1 if names else 0
    if name_w >= 6:
        head += f" {'name':<{name_w}}"
    out = Text(head, style="bold", no_wrap=True, overflow="crop")
    for s, e, nr, age in rows:
        size = format_size_compact(e - s)
        line = f"{s:#x}"[:14].ljust(14) + f" {size:>6} {nr:>2}/{nr_samples:<2}"
        line += f" {age:>4}"
        if wide:
            line += f" {format_time_us(age * aggr_us):>10}"
        out.append("\n")
        out.append(line, style="bold" if nr else "")
        if names is not None and name_w >= 6:
            out.append(" " + names.label(s, e, name_w), style="cyan")
    return out


class RegionPanel(Vertical):
    DEFAULT_CSS = """
    RegionPanel { height: 13; border: round $primary; }
    RegionPanel > #regions { height: 1fr; }
    """

    #: rows shown (13 lines of panel; the screen raises it when the panel fills the column)
    limit = 10
    #: columns inside the border (the screen sets it from the side column's width)
    inner_width = 32

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._key: tuple | None = None

    def compose(self) -> ComposeResult:
        yield TextBox(id="regions")

    def on_mount(self) -> None:
        set_border(self, "regions: hottest")

    def reset(self) -> None:
        """Forget the drawn table (a new target or session)."""
        self._key = None

    def update(self, view: MonitorView) -> None:
        set_border(self, f"regions: {view.region_sort} (o)")
        rows, ns, aggr = [], 1, 0
        snap, tgt = view.snapshot, view.target
        if snap is not None and tgt is not None:
            ns = view.nr_samples
            aggr = snap.aggr_us
            rows = region_rows(tgt, view.region_sort, limit=self.limit)
        width = self.inner_width
        key = (rows, ns, width, id(view.names))
        if key != self._key:
            self._key = key
            self.query_one("#regions", TextBox).set_text(
                region_table(rows, ns, aggr, width, view.names))
