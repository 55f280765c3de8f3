"""The live heatmap widget: time (rows) against address (columns).

By default every address range is shown side by side (a separator column stands for
each unmonitored gap, its size on the axis) when they fit, else the hottest range,
picked once.  Cells are coloured by heat on a truecolour ramp scaled to the data
(linear or log, the scale in the legend); each character cell is two time rows (``▀``:
the older row as foreground, the newer as background), so the screen holds twice the
history.  ``c`` also offers damo's digit sets (one time row per line).  Live, the newest
row is at the bottom; a replay that fits starts at the top like ``damo report heatmap``.
"""

from __future__ import annotations

from array import array
from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from damon_tui._fast import binning as _bin
from damon_tui.tui.colors import (
    COLOR_SETS,
    HEAT_STEPS,
    LEVELS,
    half_block_style,
    heat_color,
    level_styles,
)
from damon_tui.tui.models import (
    LOG_DECADES,
    HeatmapModel,
    ViewWindow,
    next_in,
    nice_scale,
    region_at,
    time_tick,
)
from damon_tui.units import format_rate, format_size, format_time_us

MARGIN = 10  # left column with time labels
FOOT = 3  # axis, legend, cursor lines
TALL = 30  # from this height, a second axis line: the gaps' sizes and the end addresses
HEAD = 1  # title line

#: colour modes: the heat ramp (linear, log), then damo's digit sets
MODES = ("linear", "log", *COLOR_SETS)

_DIM = Style(dim=True)
_TITLE = Style(bold=True)
_CURSOR = Style(reverse=True, bold=True)
_CURSOR_HALF = Style(color="white", bold=True)
_EMPTY = Style()
_SEP = Style(color="grey42")


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

    #: ``None`` = the default (all ranges if they fit, else the hottest); ``-1`` = all
    #: ranges; else a range index
    range_sel: reactive[int | None] = reactive(None, always_update=True)
    colorset: reactive[str] = reactive("linear")

    class SlotsChanged(Message):
        """The number of time rows the heatmap shows changed (a replay refits)."""

        def __init__(self, slots: int) -> None:
            self.slots = slots
            super().__init__()

    def __init__(self, model: HeatmapModel | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.zoom = 1.0
        self.zoom_center: float | None = None  # a fine-bin position
        self.cursor_row = 0  # screen lines above the newest line
        self.cursor_col: int | None = None
        #: line group -> (key, rows, Strip): a line is rebuilt only when its rows change
        self._cache: dict = {}
        self._window: ViewWindow | None = None
        self._view_rows: tuple = ()  # the rows of the last view (oldest first)
        self._by_slot: dict = {}
        self._top = 0  # line group drawn on the first grid line
        self._newest = 0  # line group of the newest row
        self._row_us = 0
        self._label_every = 1_000_000
        self._top_value = 0.0  # the colour scale's top, a fraction of nr_samples
        self._hz_per_value = 0.0
        self._anchor_top = False
        self._slots_posted = 0
        self._drawn_title = ""  # the title and footer as last asked to repaint
        self._drawn_foot: tuple = ()
        #: the shown target's mapping names (a ``NameIndex``), for the axis and cursor
        self.names = None

    # -- geometry -------------------------------------------------------------
    @property
    def grid_width(self) -> int:
        return max(self.size.width - MARGIN, 1)

    @property
    def grid_height(self) -> int:
        return max(self.size.height - HEAD - self.foot, 1)

    @property
    def foot(self) -> int:
        return _foot_lines(self.size.height)

    @property
    def half(self) -> bool:
        """Two time rows per character cell (the heat ramp), else one (damo's digits)."""
        return self.colorset in ("linear", "log")

    @property
    def slots_per_line(self) -> int:
        return 2 if self.half else 1

    @property
    def visible_slots(self) -> int:
        """Time rows on screen."""
        return self.grid_height * self.slots_per_line

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
            return m.shown_range(self.grid_width)
        return min(self.range_sel, len(m.space.ranges) - 1)

    def window(self) -> ViewWindow | None:
        m = self.model
        if m is None or m.space is None or not m.space.total:
            return None
        nb = m.fine_bins
        lo, hi = m.space.range_bins(self.current_range(), nb)
        if self.zoom > 1:
            span = max(int((hi - lo) / self.zoom), 1)
            center = self.zoom_center if self.zoom_center is not None else (lo + hi) / 2
            zlo = int(min(max(center - span / 2, lo), hi - span))
            lo, hi = zlo, zlo + span
        return ViewWindow(m.space, lo, hi, self.grid_width, nb)

    def update(self, view) -> bool:
        """Draw the shown target's rows of ``view`` (a ``MonitorView``); True when the
        whole widget is repainted (a scroll, a new scale or window), False when only the
        lines that changed are."""
        if view.heatmap is not None:
            self.model = view.heatmap
        self._view_rows = view.rows
        self._anchor_top = view.replay is not None
        self.names = view.names
        before = self._layout_key()
        recent = {g: self._line_rows(g) for g in (self._newest - 1, self._newest)}
        self.prepare()
        title, foot = self.title_text(), self._foot_key()
        if before != self._layout_key() or not self.is_mounted:
            self._drawn_title, self._drawn_foot = title, foot
            self.refresh()
            return True
        # the lines stay where they are (no scroll, same window and scale): repaint only
        # the lines whose rows changed, and the title and the footer if they changed (a
        # frame that touches only the newest lines composes only those)
        width = self.size.width
        for g in range(self._newest - 1, self._newest + 1):
            rows = self._line_rows(g)
            old = recent.get(g)
            if old is None or any(a is not b for a, b in zip(old, rows, strict=True)):
                self.refresh(Region(0, HEAD + g - self._top, width, 1))
        if title != self._drawn_title:
            self._drawn_title = title
            self.refresh(Region(0, 0, width, HEAD))
        if foot != self._drawn_foot:
            self._drawn_foot = foot
            self.refresh(Region(0, self.size.height - self.foot, width, self.foot))
        return False

    def _foot_key(self) -> tuple:
        """What the footer lines (gaps, axis, legend, cursor) show, cheaply: they are
        repainted when it changes."""
        cursor = self.cursor_text() if self.cursor_col is not None else None
        return (self._window, self.names, self._top_value, self._hz_per_value,
                self.colorset, cursor)

    def _layout_key(self) -> tuple:
        """What places every line: when it changes, the whole widget is repainted."""
        return (self._top, self._window, self._top_value, self.colorset, self._row_us,
                self.size, self.cursor_row, self.cursor_col)

    def prepare(self) -> None:
        """Place the rows on the lines and fix the colour scale for this frame."""
        window = self.window()
        if window is not None and window == self._window:
            window = self._window  # the same columns: keep the one whose layout is computed
        self._window = window
        rows = self._view_rows
        spl = self.slots_per_line
        h = self.grid_height
        if self.model is None or not rows:
            self._by_slot = {}
            return
        newest = rows[-1].slot // spl
        first = rows[0].slot // spl
        self._top = first if self._anchor_top and newest - first < h else newest - h + 1
        self._newest = newest
        lo_slot = self._top * spl
        by_slot: dict = {}
        for r in reversed(rows):
            if r.slot < lo_slot:
                break
            by_slot.setdefault(r.slot, r)
        self._by_slot = by_slot
        last = rows[-1]
        self._row_us = last.row_us
        self._hz_per_value = last.nr_samples * 1e6 / max(last.aggr_us, 1)
        top = max((r.vmax for r in by_slot.values()), default=0.0)
        self._top_value = nice_scale(top * self._hz_per_value) / self._hz_per_value
        self._label_every = time_tick(5 * spl * self._row_us)
        keep = range(self._top, newest + 1)
        if len(self._cache) > 2 * h + 8:
            self._cache = {g: v for g, v in self._cache.items() if g in keep}
        if self.cursor_row > newest - self._top:
            self.cursor_row = max(newest - self._top, 0)

    def _line_rows(self, g: int) -> tuple:
        spl = self.slots_per_line
        return tuple(self._by_slot.get(g * spl + i) for i in range(spl))

    def _cells(self, row) -> array:
        """Column values of ``row`` (``-1``: no data or a separator)."""
        if row is None or self.model is None or self._window is None:
            return _no_data(self.grid_width)
        b0, b1 = self.model.columns_for(self._window, row.space)
        return _bin.columns(row.values, b0, b1)

    def _row_label(self, g: int) -> str:
        """The time of the tick inside line ``g`` (ticks are >= a line apart: no repeats)."""
        span = self.slots_per_line * self._row_us
        start, end = g * span, (g + 1) * span
        every = self._label_every
        tick = -(-start // every) * every
        if tick >= end or tick < 0:  # lines above the first snapshot have no time
            return ""
        return format_time_us(tick, 1) if tick else "0 s"

    def _line_strip(self, g: int, cur_col: int | None = None, width: int | None = None) -> Strip:
        """Line ``g``'s whole strip (label and cells), cached while its rows stay."""
        if width is None:
            width = self.size.width
        rows = self._line_rows(g)
        key = (self._window, self.colorset, self._top_value, width, self._row_us)
        if cur_col is None:
            hit = self._cache.get(g)
            if hit is not None and hit[0] == key and all(
                    a is b for a, b in zip(hit[1], rows, strict=True)):
                return hit[2]
        cells = [self._cells(r) for r in rows]
        grid = self._half_segments(cells[0], cells[1], cur_col) if self.half else \
            self._digit_segments(cells[0], cur_col)
        strip = self._line(self._row_label(g), grid, width, len(cells[0]))
        if cur_col is None:
            self._cache[g] = (key, rows, strip)
        return strip

    @staticmethod
    def _line(label: str, grid: list[Segment], width: int, ncells: int) -> Strip:
        """The label and ``grid`` (``ncells`` one-cell characters) cut or padded to
        ``width``."""
        head = _label_segment(label)
        strip = Strip([head, *grid], cell_len(head.text) + ncells)
        if strip.cell_length > width:
            strip = strip.crop(0, width)
        return strip.extend_cell_length(width)

    def _separators(self, n: int) -> bytes:
        """One byte per column of the shown window, non-zero for a gap's separator."""
        w = self._window
        return _sep_mask(w.separators if w is not None else frozenset(), n)

    def _half_segments(self, upper: array, lower: array,
                       cur_col: int | None) -> list[Segment]:
        n = len(upper)
        if len(lower) < n:
            lower = _no_data(n)
        runs = _bin.half_runs(upper, lower, self._top_value, self.colorset == "log",
                              HEAT_STEPS, LOG_DECADES, self._separators(n),
                              -1 if cur_col is None else cur_col)
        styles = _half_styles()
        return [Segment(text, styles[key]) for text, key in runs]

    def _digit_segments(self, cells: array, cur_col: int | None) -> list[Segment]:
        runs = _bin.digit_runs(cells, LEVELS, self._separators(len(cells)),
                               -1 if cur_col is None else cur_col)
        styles = _digit_styles(self.colorset)
        return [Segment(text, styles[key]) for text, key in runs]

    # -- drawing --------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        size = self.size  # a computed property: read once per line
        width, h = size.width, size.height
        if y == 0:
            return self._text_line(self.title_text(), width, _TITLE)
        foot = _foot_lines(h)
        if y >= h - foot:
            which = y - (h - foot) - (foot - FOOT)
            if which == -1:
                return self._gap_line(width)
            if which == 0:
                return self._axis_line(width)
            if which == 1:
                return self._legend_line(width)
            return self._text_line(self.cursor_text(), width, Style())
        g = self._top + y - HEAD
        if not self._by_slot or self._window is None or g > self._newest:
            return self._text_line("", width, Style())
        if (self.has_focus and self.cursor_col is not None
                and g == self._newest - self.cursor_row):
            return self._line_strip(g, self.cursor_col, width)
        return self._line_strip(g, None, width)

    @staticmethod
    def _text_line(text: str, width: int, style: Style) -> Strip:
        return Strip([Segment(text[:width].ljust(width), style)])

    def _axis_line(self, width: int) -> Strip:
        w = self._window
        if w is None or not w.columns:
            return self._text_line("", width, Style())
        gw = min(self.grid_width, len(w.columns))
        buf = [" "] * gw
        segments = w.segments()
        if len(segments) == 1:  # one range: its ends' addresses and its size / name
            _r, c0, c1 = segments[0]
            lo, hi = w.span_addrs(c0, c1)
            left, right = f"{lo:#x}", f"{hi:#x}"
            _place(buf, left, c0 + len(left) // 2, c0, c1)
            _place(buf, right, c1 - (len(right) + 1) // 2, c0, c1)
            mid = self._range_label(lo, hi, c1 - c0 - len(left) - len(right) - 2)
            _place(buf, mid, (c0 + c1) // 2, c0 + len(left) + 1, c1 - len(right) - 1)
        else:  # several: each range's name or size under its columns
            for _r, c0, c1 in segments:
                lo, hi = w.span_addrs(c0, c1)
                _place(buf, self._range_label(lo, hi, c1 - c0), (c0 + c1) // 2, c0, c1)
        if self.size.height < TALL:  # no gap line: gap sizes here where there is room
            for c, gap in w.gaps():
                _place(buf, f"┊{format_size(gap, 0)}┊", c, 0, gw)
        return self._text_line(" " * MARGIN + "".join(buf), width, _DIM)

    def _gap_line(self, width: int) -> Strip:
        """The first and last address shown and, under each separator, its gap's size."""
        w = self._window
        if w is None or not w.columns:
            return self._text_line("", width, Style())
        gw = min(self.grid_width, len(w.columns))
        buf = [" "] * gw
        segments = w.segments()
        if len(segments) > 1:
            lo = w.span_addrs(segments[0][1], segments[0][2])[0]
            hi = w.span_addrs(segments[-1][1], segments[-1][2])[1]
            _place(buf, f"{lo:#x}", 0, 0, gw)
            _place(buf, f"{hi:#x}", gw, 0, gw)
        for c, gap in w.gaps():
            if not _place(buf, f"┊{format_size(gap, 0)} gap┊", c, 0, gw):
                if not _place(buf, f"┊{format_size(gap, 0)}┊", c, 0, gw):
                    _place(buf, "┊", c, c, c + 1)
        return self._text_line(" " * MARGIN + "".join(buf), width, _DIM)

    def _range_label(self, lo: int, hi: int, room: int) -> str:
        """``name · size`` of addresses ``[lo, hi)`` in ``room`` cells (or less)."""
        size = format_size(hi - lo, 1)
        if self.names is not None:
            name = self.names.label(lo, hi, room)
            if name != "-" and len(name) + len(size) + 3 <= room:
                return f"{name} · {size}"
            if name != "-" and "…" not in name:
                return name  # the name says more than the size
        return size if len(size) <= room else format_size(hi - lo, 0)

    def _legend_line(self, width: int) -> Strip:
        segs = [Segment(f"{'heat':>{MARGIN - 1}} ", _DIM)]
        if self.half:
            top_hz = self._top_value * self._hz_per_value
            log = self.colorset == "log"
            wide = width >= 80
            segs.append(Segment("idle " if wide else "", _DIM))
            segs.append(Segment("█", Style(color=heat_color(0))))
            low = format_rate(top_hz / 10 ** LOG_DECADES) if log else "0"
            segs.append(Segment(f"  {low} ", _DIM))
            n = 12 if wide else 6
            for i in range(n):
                segs.append(Segment("█", Style(color=heat_color(
                    1 + i * (HEAT_STEPS - 1) // (n - 1)))))
            scale = (f"log, {LOG_DECADES} decades" if log else "linear") if wide else \
                ("log" if log else "linear")
            segs.append(Segment(f" {format_rate(top_hz)} ({scale}{'; c: colours' if wide else ''})",
                                _DIM))
        else:
            styles = level_styles(self.colorset)
            hz = self._hz_per_value
            segs.append(Segment("0 Hz ", _DIM))
            for lvl in range(LEVELS):
                segs.append(Segment(str(lvl), styles[lvl]))
            segs.append(Segment(f" {format_rate(hz)} (damo {self.colorset})", _DIM))
        return Strip(segs).crop(0, width).extend_cell_length(width)

    def title_text(self) -> str:
        m = self.model
        if m is None or m.space is None or not m.rows:
            return "heatmap: waiting for the first aggregation interval"
        rng = self.current_range()
        n = len(m.space.ranges)
        if rng is None:
            what = f"all {n} ranges" if n > 1 else "1 range"
        else:
            which = "hottest " if self.range_sel is None else ""
            what = f"{which}range {rng + 1}/{n}"
        zoom = f" zoom {self.zoom:g}x" if self.zoom > 1 else ""
        per_row = format_time_us(self._row_us or m.row_us)
        span = format_time_us(self.visible_slots * (self._row_us or m.row_us))
        per_line = " (2 per line)" if self.half else ""
        forms = (f"{what}{zoom} · row {per_row}{per_line} · screen {span}",
                 f"{what}{zoom} · row {per_row} · screen {span}",
                 f"{what}{zoom} · row {per_row}")
        width = self.size.width or 200
        return next((f for f in forms if len(f) <= width), forms[-1])

    def cursor_info(self) -> tuple | None:
        """``(start, end, nr_accesses, age, row)`` of the region under the cursor."""
        w = self._window
        if self.cursor_col is None or not self._by_slot or w is None or not w.columns:
            return None
        rows = [r for r in self._line_rows(self._newest - self.cursor_row) if r is not None]
        if not rows or rows[-1].last is None:
            return None
        row = rows[-1]
        addrs = w.column_addrs(min(self.cursor_col, len(w.columns) - 1))
        if addrs is None:
            return None
        reg = region_at(row.last, (addrs[0] + addrs[1]) // 2)
        return (*reg, row) if reg else None

    def cursor_text(self) -> str:
        width = self.size.width or 200
        if self.cursor_col is None:
            return next((t for t in _HINTS if len(t) <= width), _HINTS[-1])
        gap = self._gap_under_cursor()
        if gap is not None:
            return f"gap: {format_size(gap, 1)} not monitored between two ranges"
        info = self.cursor_info()
        if info is None:
            return "cursor: no region here"
        s, e, nr, age, row = info
        name = f"{self.names.label(s, e, 24)} " if self.names is not None else ""
        hz = format_rate(nr * 1e6 / max(row.aggr_us, 1))
        size, age_t = format_size(e - s, 1), format_time_us(age * row.aggr_us, 1)
        forms = (f"{name}{s:#x}-{e:#x} {size} · nr_accesses {nr}/{row.nr_samples} ({hz}) · "
                 f"age {age} ({age_t}) · at {format_time_us(row.end_us, 1)}",
                 f"{name}{s:#x} {size} · nr_accesses {nr}/{row.nr_samples} · age {age} ({age_t})",
                 f"{name}{s:#x} {size} nr_acc {nr}/{row.nr_samples} age {age_t}",
                 f"{s:#x} {size} nr_acc {nr}/{row.nr_samples} age {age_t}")
        return next((f for f in forms if len(f) <= width), forms[-1][:width])

    def _gap_under_cursor(self) -> int | None:
        w = self._window
        if w is None or self.cursor_col is None:
            return None
        return dict(w.gaps()).get(self.cursor_col)

    # -- actions --------------------------------------------------------------
    def action_cursor(self, drow: int, dcol: int) -> None:
        if self.cursor_col is None:
            self.cursor_col = self.grid_width // 2
            if self._window is not None and self.cursor_col in self._window.separators:
                self.cursor_col += 1  # start on memory, not on a gap
            self.cursor_row = 0
        else:
            self.cursor_col = max(0, min(self.grid_width - 1, self.cursor_col + dcol))
            self.cursor_row = max(0, min(max(self._newest - self._top, 0),
                                         self.cursor_row + drow))
        self.refresh()

    def action_zoom(self, factor: float) -> None:
        w = self._window or self.window()
        if factor == 0:
            self.zoom, self.zoom_center = 1.0, None
        else:
            if w is not None and w.columns:
                col = self.cursor_col if self.cursor_col is not None else self.grid_width // 2
                b0, b1 = w.columns[min(col, len(w.columns) - 1)]
                self.zoom_center = (b0 + b1) / 2 if b0 >= 0 else (w.lo + w.hi) / 2
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
        self.colorset = next_in(MODES, self.colorset)
        self.cursor_row = 0
        self.redraw()
        self._post_slots()

    def redraw(self) -> None:
        self.prepare()
        self.refresh()

    def on_resize(self) -> None:
        self.redraw()
        self._post_slots()

    def _post_slots(self) -> None:
        n = self.visible_slots
        if n != self._slots_posted:
            self._slots_posted = n
            self.post_message(self.SlotsChanged(n))


_HINTS = ("arrows: cursor · +/- zoom · r/a range · c colours · T row time",
          "arrows cursor +/- zoom r/a range c colours T rows",
          "arrows +/- r a c T (? help)")


def _place(buf: list[str], text: str, center: int, lo: int, hi: int) -> bool:
    """Write ``text`` centred on ``center`` within ``[lo, hi)`` of ``buf`` if those cells
    are free (a label never overwrites another)."""
    if not text:
        return False
    start = min(max(center - len(text) // 2, lo), hi - len(text))
    if start < lo or start < 0 or start + len(text) > len(buf):
        return False
    if any(ch != " " for ch in buf[max(start - 1, 0):start + len(text) + 1]):
        return False  # taken, or touching another label
    buf[start:start + len(text)] = list(text)
    return True


def _foot_lines(height: int) -> int:
    """Footer lines at this widget height (a gap line from ``TALL`` on)."""
    return FOOT + (height >= TALL)


@lru_cache(maxsize=8)
def _no_data(n: int) -> array:
    """``n`` columns of no data (a line's missing row)."""
    return array("f", [-1.0]) * n


@lru_cache(maxsize=16)
def _sep_mask(separators: frozenset[int], n: int) -> bytes:
    """``n`` bytes, 1 at each separator column (``half_runs`` / ``digit_runs``' ``seps``)."""
    mask = bytearray(n)
    for c in separators:
        if c < n:
            mask[c] = 1
    return bytes(mask)


@lru_cache(maxsize=1)
def _half_styles() -> tuple[Style, ...]:
    """The style of each key ``half_runs`` gives (see its docstring)."""
    k = HEAT_STEPS + 2
    cells = tuple(half_block_style(a - 1, b - 1) if a or b else _EMPTY
                  for a in range(k) for b in range(k))
    return (*cells, _EMPTY, _SEP, *(_cursor_half(s - 1) for s in range(k)))


@lru_cache(maxsize=8)
def _digit_styles(colorset: str) -> tuple[Style, ...]:
    """The style of each key ``digit_runs`` gives for ``colorset`` (see its docstring)."""
    cursor = _cursor_styles(colorset)
    return (*level_styles(colorset), _EMPTY, _SEP, *(cursor[lvl] for lvl in range(-1, LEVELS)))


def _label_segment(label: str) -> Segment:
    return Segment(f"{label:>{MARGIN - 1}} ", _DIM)


@lru_cache(maxsize=64)
def _cursor_half(step: int) -> Style:
    return _CURSOR_HALF + Style(bgcolor=heat_color(step) if step >= 0 else None)


@lru_cache(maxsize=8)
def _cursor_styles(colorset: str) -> dict[int, Style]:
    """Cursor cell style per level (``-1`` = an empty cell), built once per colour set."""
    out = {lvl: st + _CURSOR for lvl, st in enumerate(level_styles(colorset))}
    out[-1] = _EMPTY + _CURSOR
    return out
