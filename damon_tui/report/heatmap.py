# ruff: noqa: UP031  (printf formats kept identical to damo's, whose output we match)
"""damo's ``report heatmap``: when (rows, oldest first) which addresses (columns) were
how frequently accessed, on the terminal or as an SVG picture.

Semantics follow damo 3.4.3 (``../shared/spec/damo-compat.md``): the address space is
cut at gaps present in every snapshot and the hottest contiguous range is drawn by
default; each region covers, in time, its snapshot pushed back by age x aggr (not
before the previous snapshot's end); a pixel is the time x bytes weighted mean access
frequency (Hz when the intervals are known, else samples); when the intervals change
within a record (auto-tuning), each snapshot's own aggregation interval is used for its
Hz and its age back-fill (damo 3.4.3 uses the snapshot's sampling interval for Hz but
the record's first aggregation interval for ages); digits are
``int((h - min) / ((max + 1 - min) / 9))`` capped at 9.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from damon_tui._fast import binning
from damon_tui.errors import UserError
from damon_tui.record.model import Record, TargetData
from damon_tui.report.fmt import format_sz, format_sz_accurate, format_time_ns
from damon_tui.report.intervals import snapshot_aggr_us
from damon_tui.units import UnitError, parse_size, parse_time_us

#: damo's 256-colour sets: (backgrounds, foregrounds) per level 0..9
COLORSETS = {
    "gray": ([232] * 10, [237, 239, 241, 243, 245, 247, 249, 251, 253, 255]),
    "flame": ([232, 1, 1, 2, 3, 3, 20, 21, 26, 27, 27],
              [239, 235, 237, 239, 243, 245, 247, 249, 251, 255]),
    "emotion": ([232, 234, 20, 21, 26, 2, 3, 1, 1, 1],
                [239, 235, 237, 239, 243, 245, 247, 249, 251, 255]),
}
MAX_LEVEL = 9


@dataclass
class Guide:
    """damo's record guide of one target: time span and contiguous address ranges."""

    target_index: int
    target_id: int | None
    start_time: int
    end_time: int
    ranges: list[tuple[int, int]]
    heats: list[float | None]

    def heat_per_byte(self, i: int) -> float:
        h = self.heats[i]
        size = self.ranges[i][1] - self.ranges[i][0]
        return 0.0 if h is None or size <= 0 else h / size

    @property
    def total_space(self) -> int:
        return sum(e - s for s, e in self.ranges)

    def hottest(self) -> tuple[int, int]:
        best = max(range(len(self.ranges)), key=self.heat_per_byte)
        # max() keeps the first of equal keys, as damo's stable reverse sort does
        return self.ranges[best]


def make_guide(record: Record, index: int) -> Guide | None:
    t = record.targets[index]
    if t.nr_snapshots == 0:
        return None
    ranges, heats = binning.guide(t.starts, t.ends, t.nr_accesses, t.offsets, t.nr_snapshots)
    a, b = t.offsets[0], t.offsets[1]
    return guide_from(record, index, t, ranges, heats, max(t.ages[a:b], default=0))


def guide_from(record: Record, index: int, t: TargetData, ranges: list[tuple[int, int]],
               heats: list[float | None], first_oldest: int) -> Guide | None:
    """The guide of target ``t`` (``t.snap_start[0]`` and ``t.snap_end[-1]`` are its
    first start and last end) from its ranges and heats; ``first_oldest`` is the highest
    age in its first snapshot."""
    if not ranges:
        return None
    start = t.snap_start[0]
    per_snap = snapshot_aggr_us(record, t)
    aggr_us = _uniform_aggr(t, per_snap)
    if aggr_us:
        # ages count aggregation intervals of the snapshot's own length
        start -= first_oldest * (per_snap[0] if per_snap is not None else aggr_us) * 1000
    return Guide(index, t.target_id, start, t.snap_end[-1], ranges, heats)


def guides(record: Record) -> list[Guide]:
    """Guides of all targets with data, largest total space first (damo's order)."""
    return ordered([make_guide(record, i) for i in range(len(record.targets))])


def ordered(found: list[Guide | None]) -> list[Guide]:
    """The guides there are, largest total space first (damo's order)."""
    return sorted([g for g in found if g], key=lambda g: g.total_space, reverse=True)


@dataclass
class Heatmap:
    pixels: list[float]  # row-major, rows = time
    touched: bytes
    time_start: int
    time_unit: int
    rows: int
    addr_start: int
    addr_unit: int
    cols: int
    heat_unit: str  # "hz" or "samples"
    target_id: int | None

    def heat(self, row: int, col: int) -> float | None:
        i = row * self.cols + col
        return self.pixels[i] if self.touched[i] else None

    def lowest_highest(self) -> tuple[float, float] | None:
        vals = [p for p, t in zip(self.pixels, self.touched, strict=True) if t]
        if not vals:
            return None
        return min(vals), max(vals)

    def levels(self) -> list[list[int | None]]:
        """Digit 0..9 per pixel (None: no data), damo's formula."""
        lh = self.lowest_highest()
        out: list[list[int | None]] = []
        if lh is None:
            return [[None] * self.cols for _ in range(self.rows)]
        lo, hi = lh
        unit = float(hi + 1 - lo) / 9
        for r in range(self.rows):
            row: list[int | None] = []
            base = r * self.cols
            for c in range(self.cols):
                if not self.touched[base + c]:
                    row.append(None)
                else:
                    row.append(min(int(float(self.pixels[base + c] - lo) / unit), MAX_LEVEL))
            out.append(row)
        return out


def _uniform_aggr(t: TargetData, per_snap) -> int:
    """The aggregation interval that says "Hz" (0: heat in samples).  With per-snapshot
    intervals, Hz only when every snapshot's interval is known."""
    if per_snap is not None:
        return per_snap[0] if len(per_snap) and min(per_snap) > 0 else 0
    return t.intervals.aggr_us if t.intervals is not None else 0


def build(t: TargetData, time_range: tuple[int, int], addr_range: tuple[int, int],
          resol: tuple[int, int], record: Record | None = None) -> Heatmap:
    """Bin one target.  With ``record`` given, a record whose intervals change
    (auto-tuning) uses each snapshot's own aggregation interval for Hz and ages."""
    per_snap = snapshot_aggr_us(record, t) if record is not None else None
    bins = new_bins(t, time_range, addr_range, resol, per_snap)
    bins.feed(t.starts, t.ends, t.nr_accesses, t.ages, t.offsets, t.snap_start, t.snap_end,
              0, t.nr_snapshots, per_snap if bins.hz else None)
    return bins.heatmap()


class Bins(binning.HeatmapBins):
    """``HeatmapBins`` that know their map's geometry (fed whole or chunk by chunk)."""

    def __init__(self, aggr_us: int, t0: int, time_unit: int, rows: int, a0: int,
                 addr_unit: int, cols: int, target_id: int | None) -> None:
        super().__init__(aggr_us, t0, time_unit, rows, a0, addr_unit, cols)
        self.hz = aggr_us > 0
        self.geometry = (t0, time_unit, rows, a0, addr_unit, cols)
        self.target_id = target_id

    def heatmap(self) -> Heatmap:
        t0, time_unit, rows, a0, addr_unit, cols = self.geometry
        return Heatmap(self.pixels.tolist(), self.touched.tobytes(), t0, time_unit, rows,
                       a0, addr_unit, cols, "hz" if self.hz else "samples", self.target_id)


def new_bins(t: TargetData, time_range: tuple[int, int], addr_range: tuple[int, int],
             resol: tuple[int, int], per_snap) -> Bins:
    """Empty bins of one map of ``t`` (``per_snap``: ``snapshot_aggr_us``'s answer)."""
    rows, cols = resol
    if rows < 1 or cols < 1:
        raise UserError("--resol: rows and columns must be at least 1")
    t0, t1 = time_range
    a0, a1 = addr_range
    if t1 <= t0:
        raise UserError(f"--time-range: empty time range [{t0}, {t1}) ns")
    if a1 <= a0:
        raise UserError(f"--address-range: empty address range [{a0}, {a1})")
    time_unit = max((t1 - t0) // rows, 1)
    addr_unit = max((a1 - a0) // cols, 1)
    return Bins(_uniform_aggr(t, per_snap), t0, time_unit, rows, a0, addr_unit, cols,
                t.target_id)


def _start_txt(colorset: str, level: int) -> str:
    bgs, fgs = COLORSETS[colorset]
    return "\x1b[48;5;%dm\x1b[38;5;%dm" % (bgs[level], fgs[level])


_END = "\x1b[0m"


def render_text(hm: Heatmap, colorset: str = "gray", color: bool = False,
                show_colorset: bool = True) -> str:
    """The terminal heatmap and damo's four footer lines."""
    lines = []
    lh = hm.lowest_highest()
    if lh is not None:
        for row in hm.levels():
            if color:
                chars = [(_start_txt(colorset, 4) + " ") if lv is None
                         else "%s%d" % (_start_txt(colorset, lv), lv) for lv in row]
                lines.append("".join(chars) + _END)
            else:
                lines.append("".join(" " if lv is None else str(lv) for lv in row))
    if show_colorset:
        if color:
            sample = "".join("%s%d" % (_start_txt(colorset, lv), lv)
                             for lv in range(MAX_LEVEL + 1)) + _END
        else:
            sample = "0123456789"
        if lh is None:
            lines.append(f"# access_frequency: {sample} (no data in this range)")
        else:
            lines.append("# access_frequency: %s (%.3f-%.3f %s)" % (sample, lh[0], lh[1],
                                                                  hm.heat_unit))
    addr_len = hm.addr_unit * hm.cols
    lines.append("# x-axis: space [%s, %s) (%s)" % (
        format_sz_accurate(hm.addr_start), format_sz_accurate(hm.addr_start + addr_len),
        format_sz(addr_len)))
    time_len = hm.time_unit * hm.rows
    lines.append("# y-axis: time [%s, %s) (%s)" % (
        format_time_ns(hm.time_start), format_time_ns(hm.time_start + time_len),
        format_time_ns(time_len)))
    lines.append("# resolution: %dx%d (%s and %s for each character)" % (
        hm.cols, hm.rows, format_sz(float(addr_len) / hm.cols),
        format_time_ns(float(time_len) / hm.rows)))
    return "\n".join(lines)


def render_gnuplot_raw(hm: Heatmap, abs_time: bool = False, abs_addr: bool = False) -> str:
    """damo's ``--output raw``: ``<time> <address> <heat>`` per pixel."""
    out = []
    for r in range(hm.rows):
        for c in range(hm.cols):
            tm = hm.time_start + r * hm.time_unit
            ad = hm.addr_start + c * hm.addr_unit
            if not abs_time:
                tm -= hm.time_start
            if not abs_addr:
                ad -= hm.addr_start
            h = hm.heat(r, c)
            out.append("%s\t%s\t%s" % (tm, ad, "NaN" if h is None else h))
    return "\n".join(out)


# ---------------------------------------------------------------------------
# argument completion (damo's complete_src_args)
# ---------------------------------------------------------------------------


def parse_time_ns(text: str, field: str) -> int:
    """A time in ns: bare numbers are ns (damo), units allowed (``10s``, ``1 m 5 s``)."""
    s = str(text).strip().replace(",", "")
    if s == "min":
        return 0
    if s == "max":
        return 2**64 - 1
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*ns", s)
    if m:
        return int(float(m.group(1)))
    try:
        return parse_time_us(s, field) * 1000
    except UnitError as e:
        raise UserError(str(e)) from None


def _parse_addr(text: str, field: str) -> int:
    try:
        return parse_size(str(text).strip(), field)
    except UnitError as e:
        raise UserError(str(e)) from None


def complete_time_range(user: list[str] | None, guide: Guide) -> tuple[int, int]:
    if user is None:
        return guide.start_time, guide.end_time
    if len(user) not in (2, 3):
        raise UserError("--time-range: expected START END [BASE]")
    t0 = parse_time_ns(user[0], "--time-range START")
    t1 = parse_time_ns(user[1], "--time-range END")
    if len(user) == 3:
        base_txt = user[2]
        if base_txt == "guided":
            base = guide.start_time
        elif base_txt == "guided_end":
            base = guide.end_time
        else:
            base = parse_time_ns(base_txt, "--time-range BASE")
        t0, t1 = base + t0, base + t1
    return t0, t1


def complete_address_ranges(user: list[list[str]] | None, draw_range: str,
                            guide: Guide) -> list[tuple[int, int]]:
    guided = [guide.hottest()] if draw_range == "hottest" else list(guide.ranges)
    if user is None:
        return guided
    out = []
    for i, fields in enumerate(user):
        if len(fields) not in (2, 3):
            raise UserError("--address-range: expected START END [BASE]")
        a0 = _parse_addr(fields[0], "--address-range START")
        a1 = _parse_addr(fields[1], "--address-range END")
        if len(fields) == 3:
            if fields[2] == "guided":
                if i >= len(guided):
                    raise UserError(f"--address-range {i}: no guided range to base on")
                base = guided[i][0]
            else:
                base = _parse_addr(fields[2], "--address-range BASE")
            a0, a1 = base + a0, base + a1
        out.append((a0, a1))
    return out


def select_target(record: Record, tid: int | None, gs: list[Guide] | None = None) -> Guide:
    """The guide of target ``tid`` (None: the largest); ``gs``: the guides if known."""
    gs = guides(record) if gs is None else gs
    if not gs:
        raise UserError(f"{record.path}: no regions to draw")
    if tid is None:
        return gs[0]
    for g in gs:
        if g.target_id == tid:
            return g
    ids = ", ".join(str(g.target_id) for g in gs)
    raise UserError(f"--tid: no target {tid} in {record.path} (targets: {ids})")


def format_guide(g: Guide, raw: bool = True) -> str:
    """damo's ``--guide`` text."""
    lines = [f"target_id: {g.target_id}"]
    if raw:
        lines.append("time: [%d, %d) (%d)" % (g.start_time, g.end_time,
                                              g.end_time - g.start_time))
    else:
        lines.append("time: [%s, %s) (%s)" % (format_time_ns(g.start_time),
                                              format_time_ns(g.end_time),
                                              format_time_ns(g.end_time - g.start_time)))
    for i, (s, e) in enumerate(g.ranges):
        if raw:
            lines.append("region\t%2d: [%d, %d) (%d)" % (i, s, e, e - s))
        else:
            lines.append("region\t%2d: [%s, %s) (%s)" % (i, format_sz_accurate(s),
                                                         format_sz_accurate(e),
                                                         format_sz(e - s)))
    return "\n".join(lines)
