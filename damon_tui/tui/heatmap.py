"""The live heatmap widget: time (rows, newest at the bottom) against address (columns)."""

from __future__ import annotations

from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from damon_tui.tui.colors import COLOR_SETS, LEVELS, level_styles
from damon_tui.tui.models import HeatmapModel, ViewWindow, next_in, region_at
from damon_tui.units import format_size, format_time_compact, format_time_us

MARGIN = 7  # left column with time labels
FOOT = 3  # axis, legend, cursor lines
HEAD = 1  # title line

_DIM = Style(dim=True)
_TITLE = Style(bold=True)
_CURSOR = Style(reverse=True, bold=True)
_EMPTY = Style()
_DIGITS = "0123456789"


def _short_addr(addr: int) -> str:
    return f"{addr:#x}"


class Heatmap(Widget, can_focus=True):
    """Draws a ``HeatmapModel`` through a view window; keys move, zoom and switch range."""

    DEFAULT_CSS = """
    Heatmap { height: 1fr; min-height: 8; }
    """

    BINDINGS = [
        Binding("left", "cursor(0, -1)", "Left", show=False),
        Binding("right", "cursor(0, 1)", "Right", show=False),
        Binding("up", "cursor(1, 0)", "Older", show=False),
        Binding("down", "cursor(-1, 0)", "Newer", show=False),
        Binding("plus,equals_sign", "zoom(2)", "Zoom in", show=False),
        Binding("minus", "zoom(0.5)", "Zoom out", show=False),
        Binding("0", "zoom(0)", "Reset zoom", show=False),
        Binding("r", "next_range", "Range", show=False),
        Binding("a", "all_ranges", "All", show=False),
        Binding("c", "next_colors", "Colours", show=False),
    ]

    #: ``None`` = follow the hottest range; ``-1`` = all ranges; else a range index
    range_sel: reactive[int | None] = reactive(None, always_update=True)
    colorset: reactive[str] = reactive("gray")

    def __init__(self, model: HeatmapModel | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.zoom = 1.0
        self.zoom_center: float | None = None  # offset in the space
        self.cursor_row = 0  # 0 = newest row
        self.cursor_col: int | None = None
        #: id(row) -> (key, row, Strip): one finished line per time row, so a scroll
        #: builds only the new row's Strip and Textual reuses the others' own caches
        self._cache: dict = {}
        self._label_every = 1_000_000  # us between time labels (a multiple of row time)
        self._window: ViewWindow | None = None
        self._rows_shown: list = []
        self._legend_max_hz: float = 0.0
        self._view_rows: tuple = ()  # the rows of the last view (oldest first)
        #: the shown target's mapping names (a ``NameIndex``), for the axis and cursor
        self.names = None

    # -- geometry -------------------------------------------------------------
    @property
    def grid_width(self) -> int:
        return max(self.size.width - MARGIN, 1)

    @property
    def grid_height(self) -> int:
        return max(self.size.height - HEAD - FOOT, 1)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    # -- view ---------------------------------------------------------------
    def current_range(self) -> int | None:
        """Range index shown (``None`` = all ranges)."""
        m = self.model
        if m is None or m.space is None or not m.space.ranges:
            return None
        if self.range_sel == -1:
            return None
        if self.range_sel is None:
            return m.hottest_range()
        return min(self.range_sel, len(m.space.ranges) - 1)

    def window(self) -> ViewWindow | None:
        m = self.model
        if m is None or m.space is None or not m.space.total:
            return None
        lo, hi = m.space.range_bounds(self.current_range())
        if self.zoom > 1:
            span = max(int((hi - lo) / self.zoom), 1)
            center = self.zoom_center if self.zoom_center is not None else (lo + hi) / 2
            zlo = int(min(max(center - span / 2, lo), hi - span))
            lo, hi = zlo, zlo + span
        return ViewWindow(m.space, lo, hi, self.grid_width)

    def update(self, view) -> None:
        """Draw the shown target's rows of ``view`` (a ``MonitorView``)."""
        if view.heatmap is not None:
            self.model = view.heatmap
        self._view_rows = view.rows
        self.names = view.names
        self.prepare()
        self.refresh()

    def prepare(self) -> None:
        """Snapshot the rows and window for this frame (called before refresh)."""
        m = self.model
        self._window = self.window()
        if m is None:
            self._rows_shown = []
            return
        rows = list(self._view_rows[-self.grid_height:])
        rows.reverse()  # index 0 = newest
        self._rows_shown = rows
        if len(self._cache) > 2 * len(rows) + 8:  # keep the cache to the rows on screen
            keep = {id(r) for r in rows}
            self._cache = {k: v for k, v in self._cache.items() if k in keep}
        if rows:
            r = rows[0]
            self._legend_max_hz = r.nr_samples * 1e6 / max(r.aggr_us, 1)
            self._label_every = _nice_interval(5 * r.aggr_us * max(m.snapshots_per_row, 1))
        if self.cursor_row >= len(rows):
            self.cursor_row = max(len(rows) - 1, 0)

    def _cells(self, row) -> list:
        return self.model.row_cells(row, self._window)

    def _row_label(self, row, newest: bool) -> str:
        """``now`` on the newest row; else the row's own time when it crosses a tick.

        Labels belong to the row (not to its position on screen), so a row's line never
        changes while it scrolls and its cached Strip stays valid.
        """
        if newest:
            return "now"
        every = self._label_every
        if row.end_us // every != row.start_us // every:
            return format_time_compact(row.end_us // every * every)
        return ""

    def _row_strip(self, row, newest: bool) -> Strip:
        """The row's whole line (label and cells), cached per row content and view."""
        label = self._row_label(row, newest)
        key = (row.count, row.end_us, self._window, self.colorset, label, self.size.width)
        hit = self._cache.get(id(row))
        if hit is not None and hit[0] == key and hit[1] is row:
            return hit[2]
        strip = self._line(label, self._segments(self._cells(row), None))
        self._cache[id(row)] = (key, row, strip)
        return strip

    def _line(self, label: str, grid: list[Segment]) -> Strip:
        segs = [_label_segment(label), *grid]
        width = self.size.width
        strip = Strip(segs)
        if strip.cell_length > width:
            strip = strip.crop(0, width)
        return strip.extend_cell_length(width)

    def _segments(self, cells: list, cur_col: int | None) -> list[Segment]:
        styles = level_styles(self.colorset)
        cursor_styles = _cursor_styles(self.colorset)
        segs: list[Segment] = []
        run_style, run_text = None, []
        for c, v in enumerate(cells):
            if v is None:
                lvl = -1
                st, ch = _EMPTY, " "
            else:
                lvl = int(v * LEVELS)
                if lvl >= LEVELS:
                    lvl = LEVELS - 1
                st, ch = styles[lvl], _DIGITS[lvl]
            if c == cur_col:
                st = cursor_styles[lvl]
            if st is not run_style:
                if run_text:
                    segs.append(Segment("".join(run_text), run_style))
                run_style, run_text = st, []
            run_text.append(ch)
        if run_text:
            segs.append(Segment("".join(run_text), run_style))
        return segs

    # -- drawing --------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.size.width
        h = self.size.height
        if y == 0:
            return self._text_line(self.title_text(), width, _TITLE)
        if y >= h - FOOT:
            which = y - (h - FOOT)
            if which == 0:
                return self._axis_line(width)
            if which == 1:
                return self._legend_line(width)
            return self._text_line(self.cursor_text(), width, Style())
        grid_y = y - HEAD
        row_idx = self.grid_height - 1 - grid_y  # bottom line = newest row
        if row_idx >= len(self._rows_shown) or self._window is None:
            return self._text_line("", width, Style())
        row = self._rows_shown[row_idx]
        if row_idx == self.cursor_row and self.has_focus and self.cursor_col is not None:
            label = self._row_label(row, row_idx == 0)
            return self._line(label, self._segments(self._cells(row), self.cursor_col))
        return self._row_strip(row, row_idx == 0)

    @staticmethod
    def _text_line(text: str, width: int, style: Style) -> Strip:
        return Strip([Segment(text[:width].ljust(width), style)])

    def _axis_line(self, width: int) -> Strip:
        w = self._window
        if w is None:
            return self._text_line("", width, Style())
        left = _short_addr(w.space.offset_to_addr(w.lo))
        right = _short_addr(w.space.offset_to_addr(max(w.hi - 1, w.lo)) + 1)
        size = format_size(w.hi - w.lo, 1)
        gw = self.grid_width
        mid = f"{size}"
        if self.names is not None:  # which mappings the window spans
            lo_addr = w.space.offset_to_addr(w.lo)
            hi_addr = w.space.offset_to_addr(max(w.hi - 1, w.lo)) + 1
            label = self.names.label(lo_addr, hi_addr, max(gw - len(left) - len(right) - 14, 6))
            if label != "-":
                mid = f"{label} · {size}"
        inner = gw - len(left) - len(right)
        if inner >= len(mid) + 2:
            pad = inner - len(mid)
            text = left + " " * (pad // 2) + mid + " " * (pad - pad // 2) + right
        elif inner >= 1:
            text = left + " " * inner + right
        else:
            text = left
        return self._text_line(" " * MARGIN + text, width, _DIM)

    def _legend_line(self, width: int) -> Strip:
        styles = level_styles(self.colorset)
        hz = self._legend_max_hz
        segs = [Segment(f"{'heat':>{MARGIN - 1}} ", _DIM)]
        segs.append(Segment("0 Hz ", _DIM))
        for lvl in range(LEVELS):
            segs.append(Segment(str(lvl), styles[lvl]))
        segs.append(Segment(f" {hz:g} Hz ({self.colorset})", _DIM))
        return Strip(segs).crop(0, width).extend_cell_length(width)

    def title_text(self) -> str:
        m = self.model
        if m is None or m.space is None or not m.rows:
            return "heatmap: waiting for the first aggregation interval"
        rng = self.current_range()
        n = len(m.space.ranges)
        if rng is None:
            what = f"all {n} ranges"
        else:
            which = "hottest " if self.range_sel is None else ""
            what = f"{which}range {rng + 1}/{n}"
        row = m.rows[-1]
        per_row = format_time_us(row.aggr_us * m.snapshots_per_row)
        zoom = f" zoom {self.zoom:g}x" if self.zoom > 1 else ""
        return f"{what}{zoom} · row {per_row}"

    def cursor_info(self) -> tuple | None:
        """``(start, end, nr_accesses, age, row)`` of the region under the cursor."""
        if self.cursor_col is None or not self._rows_shown or self._window is None:
            return None
        row = self._rows_shown[min(self.cursor_row, len(self._rows_shown) - 1)]
        addrs = self._window.column_addrs()
        c = min(self.cursor_col, len(addrs) - 2)
        addr = (addrs[c] + addrs[c + 1]) // 2 if addrs[c + 1] > addrs[c] else addrs[c]
        reg = region_at(row.last, addr)
        return (*reg, row) if reg else None

    def cursor_text(self) -> str:
        width = self.size.width or 200
        if self.cursor_col is None:
            return next((t for t in _HINTS if len(t) <= width), _HINTS[-1])
        info = self.cursor_info()
        if info is None:
            return "cursor: no region here"
        s, e, nr, age, row = info
        name = f"{self.names.label(s, e, 24)} " if self.names is not None else ""
        full = (f"{name}{s:#x}-{e:#x} {format_size(e - s, 1)} · nr_accesses "
                f"{nr}/{row.nr_samples} · age {age} ({format_time_us(age * row.aggr_us)})")
        if len(full) <= width:
            return full
        return (f"{name}{s:#x} {format_size(e - s, 1)} nr_acc {nr}/{row.nr_samples} "
                f"age {format_time_compact(age * row.aggr_us)}")

    # -- actions --------------------------------------------------------------
    def action_cursor(self, drow: int, dcol: int) -> None:
        if self.cursor_col is None:
            self.cursor_col = self.grid_width // 2
            self.cursor_row = 0
        else:
            self.cursor_col = max(0, min(self.grid_width - 1, self.cursor_col + dcol))
            self.cursor_row = max(0, min(max(len(self._rows_shown) - 1, 0),
                                         self.cursor_row + drow))
        self.refresh()

    def action_zoom(self, factor: float) -> None:
        w = self._window or self.window()
        if factor == 0:
            self.zoom, self.zoom_center = 1.0, None
        else:
            if w is not None:
                col = self.cursor_col if self.cursor_col is not None else self.grid_width // 2
                self.zoom_center = w.lo + (w.hi - w.lo) * (col + 0.5) / max(w.width, 1)
            self.zoom = min(max(self.zoom * factor, 1.0), 4096.0)
            if self.zoom == 1.0:
                self.zoom_center = None
        self.redraw()

    def action_next_range(self) -> None:
        m = self.model
        n = len(m.space.ranges) if m is not None and m.space is not None else 0
        order = [None, *range(n), -1]
        self.range_sel = next_in(order, self.range_sel)
        self.zoom, self.zoom_center = 1.0, None
        self.redraw()

    def action_all_ranges(self) -> None:
        self.range_sel = None if self.range_sel == -1 else -1
        self.zoom, self.zoom_center = 1.0, None
        self.redraw()

    def action_next_colors(self) -> None:
        self.colorset = next_in(COLOR_SETS, self.colorset)
        self.redraw()

    def redraw(self) -> None:
        self.prepare()
        self.refresh()

    def on_resize(self) -> None:
        self.redraw()


_HINTS = ("arrows: cursor · +/- zoom · r/a range · c colours",
          "arrows cursor +/- zoom r/a range c colours",
          "arrows +/- r a c (? help)")


@lru_cache(maxsize=64)
def _label_segment(label: str) -> Segment:
    return Segment(f"{label:>{MARGIN - 1}} ", _DIM)


@lru_cache(maxsize=8)
def _cursor_styles(colorset: str) -> dict[int, Style]:
    """Cursor cell style per level (``-1`` = an empty cell), built once per colour set."""
    out = {lvl: st + _CURSOR for lvl, st in enumerate(level_styles(colorset))}
    out[-1] = _EMPTY + _CURSOR
    return out


def _nice_interval(us: int) -> int:
    """The smallest 1-2-5 step of time >= ``us`` (time label spacing)."""
    step = 1000
    while True:
        for m in (1, 2, 5):
            if step * m >= us:
                return step * m
        step *= 10
