"""Pure models behind the TUI widgets (no Textual): tested on their own.

* ``Space``: a target's monitored address ranges, each cut into fine bins.
* ``HeatmapModel``: each snapshot binned into the fine bins of its ``Space``
  (byte-weighted mean of nr_accesses / nr_samples, in Cython) and kept (bounded); rows
  are the time slots of a uniform axis (``row_us`` each, the mean of the snapshots in
  the slot), rebuilt from the kept snapshots when the row time changes.  Views (all
  ranges with gap separators, one range, zoom, width) re-sample rows into columns.
* ``WssModel``: working-set size per snapshot, damo's percentiles, a sparkline series.
* ``region_rows``: the region table (hottest, coldest, largest, oldest, by address).
"""

from __future__ import annotations

import bisect
import math
import threading
from array import array
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property

from damon_tui._fast import binning as _bin
from damon_tui.report.wss import percentiles, snapshot_wss

#: damo ``report wss`` defaults
WSS_PERCENTILES = (0, 25, 50, 75, 100)
WSS_EXCLUDE_SAMPLES = 20


# --------------------------------------------------------------------------- space

#: fine bins each address range gets at least, so a small range is never one smear
MIN_RANGE_BINS = 32
#: heatmap columns each range needs for the all-ranges view to fit (plus a separator)
MIN_RANGE_COLS = 3


@dataclass(frozen=True)
class Space:
    """A target's address ranges (sorted, disjoint runs of regions) and their fine bins.

    Every range is cut into equal fine bins: ``MIN_RANGE_BINS`` at least, the rest of
    the bins in proportion to its size, so a 132 KiB stack next to a 1 GiB heap still
    has bins (and columns) of its own.
    """

    ranges: tuple[tuple[int, int], ...]
    total: int = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", sum(e - s for s, e in self.ranges))

    @classmethod
    def of(cls, target) -> Space:
        """The contiguous runs of a TargetSnapshot's regions (Cython, GIL released)."""
        return cls(_bin.runs(_typed(target.starts, "Q"), _typed(target.ends, "Q")))

    def layout(self, nbins: int) -> tuple[array, array]:
        """``(first bin, number of bins)`` per range, as ``array('q')`` (cached)."""
        cache = self.__dict__.setdefault("_layouts", {})
        got = cache.get(nbins)
        if got is not None:
            return got
        n = len(self.ranges)
        counts = [0] * n
        if n and nbins > 0:
            least = min(MIN_RANGE_BINS, nbins // n)
            rest = nbins - least * n
            total = max(self.total, 1)
            sizes = [e - s for s, e in self.ranges]
            counts = [least + rest * sz // total for sz in sizes]
            counts[max(range(n), key=sizes.__getitem__)] += nbins - sum(counts)
        first, b = [], 0
        for c in counts:
            first.append(b)
            b += c
        got = (array("q", first), array("q", counts))
        cache[nbins] = got
        return got

    def bounds(self) -> tuple[array, array]:
        """Range starts and ends as ``array('Q')`` (cached, for the Cython binning)."""
        got = self.__dict__.get("_bounds")
        if got is None:
            got = (array("Q", [s for s, _ in self.ranges]), array("Q", [e for _, e in self.ranges]))
            self.__dict__["_bounds"] = got
        return got

    def range_bins(self, idx: int | None, nbins: int) -> tuple[int, int]:
        """Fine bins ``[lo, hi)`` of range ``idx`` (``None``: every range)."""
        if idx is None or not self.ranges:
            return 0, nbins
        first, counts = self.layout(nbins)
        return first[idx], first[idx] + counts[idx]

    def range_of_bin(self, b: float, nbins: int) -> int:
        """Index of the range holding fine bin ``b``."""
        first, _ = self.layout(nbins)
        return max(bisect.bisect_right(first, b) - 1, 0)

    def bin_to_addr(self, b: float, nbins: int, idx: int | None = None) -> int:
        """Address at fine-bin position ``b`` (of range ``idx``, default the one holding it)."""
        if not self.ranges:
            return 0
        first, counts = self.layout(nbins)
        i = self.range_of_bin(b, nbins) if idx is None else idx
        s, e = self.ranges[i]
        frac = (b - first[i]) / max(counts[i], 1)
        return s + int(min(max(frac, 0.0), 1.0) * (e - s))

    def addr_to_bin(self, addr: int, nbins: int) -> float | None:
        """Fine-bin position of ``addr``; ``None`` outside every range (a gap)."""
        i = bisect.bisect_right(self.bounds()[0], addr) - 1
        if i < 0 or addr >= self.ranges[i][1]:
            return None
        first, counts = self.layout(nbins)
        s, e = self.ranges[i]
        return first[i] + (addr - s) * counts[i] / (e - s)

    def overlapping(self, rng: tuple[int, int]) -> int | None:
        """The range overlapping ``rng`` the most (``None``: none does)."""
        best, best_len = None, 0
        for i, (s, e) in enumerate(self.ranges):
            over = min(e, rng[1]) - max(s, rng[0])
            if over > best_len:
                best, best_len = i, over
        return best

    def fits(self, width: int) -> bool:
        """Every range gets ``MIN_RANGE_COLS`` columns and a separator in ``width``."""
        n = len(self.ranges)
        return n * MIN_RANGE_COLS + n - 1 <= width


# --------------------------------------------------------------------------- binning


def bin_target(target, space: Space, nbins: int, nr_samples: int) -> array:
    """Byte-weighted mean of nr_accesses / nr_samples over the space's fine bins (Cython,
    GIL released)."""
    first, counts = space.layout(nbins)
    rstart, rend = space.bounds()
    return _bin.bin_ranges(_typed(target.starts, "Q"), _typed(target.ends, "Q"),
                           _typed(target.nr_accesses, "I"), rstart, rend, first, counts,
                           nbins, float(max(nr_samples, 1)))


def _typed(values, code: str) -> array:
    """``values`` as a typed array (snapshots carry them; tests may pass lists)."""
    if isinstance(values, array) and values.typecode == code:
        return values
    return array(code, values)


# --------------------------------------------------------------------------- heatmap


@dataclass
class BinnedSnapshot:
    """One snapshot of a target in fine bins: what rows are rebuilt from."""

    start_us: int
    end_us: int
    space: Space
    values: array
    nr_samples: int
    aggr_us: int
    #: the regions (for the cursor); dropped from older kept snapshots to bound memory
    target: object | None


@dataclass(frozen=True)
class HeatRow:
    """One time slot ``[slot * row_us, (slot + 1) * row_us)``: the mean of its snapshots."""

    slot: int
    row_us: int
    space: Space
    values: array  # 'f', fractions of nr_samples per fine bin
    count: int
    last: object | None  # the last TargetSnapshot of the row (for the cursor)
    nr_samples: int
    aggr_us: int
    end_us: int  # end of the last snapshot in the row
    vmax: float  # the largest value

    @property
    def start_us(self) -> int:
        return self.slot * self.row_us


@dataclass(frozen=True)
class ViewWindow:
    """What the heatmap shows: fine bins ``[lo, hi)`` of a space in ``width`` columns."""

    space: Space
    lo: int
    hi: int
    width: int
    nbins: int

    @cached_property
    def columns(self) -> tuple[tuple[int, int], ...]:
        """Per column its fine bins ``(b0, b1)``; ``(-1, r)`` = the gap before range ``r``."""
        return layout_columns(self.space, self.nbins, self.lo, self.hi, self.width)

    @cached_property
    def separators(self) -> frozenset[int]:
        """Columns that stand for a gap between two ranges."""
        return frozenset(c for c, (b0, _) in enumerate(self.columns) if b0 < 0)

    @cached_property
    def bin_arrays(self) -> tuple[array, array]:
        """The columns as two ``array('q')`` (separators: an empty slice)."""
        cols = self.columns
        return (array("q", [b0 if b0 >= 0 else 0 for b0, _ in cols]),
                array("q", [b1 if b0 >= 0 else 0 for b0, b1 in cols]))

    def column_addrs(self, c: int) -> tuple[int, int] | None:
        """Addresses ``[a0, a1)`` under column ``c`` (``None``: a separator)."""
        b0, b1 = self.columns[c]
        if b0 < 0:
            return None
        r = self.space.range_of_bin(b0, self.nbins)
        return (self.space.bin_to_addr(b0, self.nbins, r),
                self.space.bin_to_addr(b1, self.nbins, r))

    def span_addrs(self, c0: int, c1: int) -> tuple[int, int]:
        """Addresses from column ``c0`` to the end of column ``c1 - 1`` (one range's)."""
        first, last = self.column_addrs(c0), self.column_addrs(c1 - 1)
        if first is None or last is None:
            raise ValueError(f"columns {c0}..{c1 - 1} include a separator")
        return first[0], last[1]

    def segments(self) -> list[tuple[int, int, int]]:
        """``(range, first column, end column)`` of each range shown, left to right."""
        return list(self._segments)

    @cached_property
    def _segments(self) -> tuple[tuple[int, int, int], ...]:
        out: list[tuple[int, int, int]] = []
        for c, (b0, _) in enumerate(self.columns):
            if b0 < 0:
                continue
            r = self.space.range_of_bin(b0, self.nbins)
            if out and out[-1][0] == r and out[-1][2] == c:
                out[-1] = (r, out[-1][1], c + 1)
            else:
                out.append((r, c, c + 1))
        return tuple(out)

    def gaps(self) -> list[tuple[int, int]]:
        """``(column, bytes)`` of each separator: the unmonitored gap it stands for."""
        out = []
        for c, (b0, r) in enumerate(self.columns):
            if b0 < 0 and 0 < r < len(self.space.ranges):
                out.append((c, self.space.ranges[r][0] - self.space.ranges[r - 1][1]))
        return out


def layout_columns(space: Space, nbins: int, lo: int, hi: int,
                   width: int) -> tuple[tuple[int, int], ...]:
    """Columns over fine bins ``[lo, hi)``: each range shown gets columns in proportion to
    its bins (one at least) and a separator column stands for each gap between ranges."""
    first, counts = space.layout(nbins)
    parts = []
    for r in range(len(first)):
        a, b = max(lo, first[r]), min(hi, first[r] + counts[r])
        if b > a:
            parts.append((r, a, b))
    if width <= 0 or not parts:
        return ()
    avail = width - (len(parts) - 1)
    if avail < len(parts):  # too narrow for separators: bins straight across
        return tuple(_spread(lo, hi, width))
    total = sum(b - a for _, a, b in parts)
    ncols = [max(1, avail * (b - a) // total) for _, a, b in parts]
    biggest = sorted(range(len(parts)), key=lambda i: -(parts[i][2] - parts[i][1]))
    k = 0
    while sum(ncols) != avail:  # hand the rounding to (or take it from) the biggest
        i = biggest[k % len(biggest)]
        if sum(ncols) < avail:
            ncols[i] += 1
        elif ncols[i] > 1:
            ncols[i] -= 1
        k += 1
    out: list[tuple[int, int]] = []
    for (r, a, b), n in zip(parts, ncols, strict=True):
        if out:
            out.append((-1, r))
        out.extend(_spread(a, b, n))
    return tuple(out)


def _spread(a: int, b: int, n: int) -> list[tuple[int, int]]:
    """``n`` columns over bins ``[a, b)`` (a column may repeat a bin when bins are few)."""
    span = b - a
    out = []
    for c in range(n):
        b0 = a + span * c // n
        out.append((b0, max(a + span * (c + 1) // n, b0 + 1)))
    return out


def fit_row_us(duration_us: int, aggr_us: int, nslots: int) -> int:
    """The shortest multiple of ``aggr_us`` whose rows cover ``duration_us`` in ``nslots``
    rows (a whole record on one screen, like ``damo report heatmap``)."""
    aggr_us = max(aggr_us, 1)
    return aggr_us * -(-max(duration_us, 1) // (aggr_us * max(nslots, 1)))


_MS, _S, _M = 1000, 1_000_000, 60_000_000
#: time label spacings that read well (a label is at most ``10 m 30 s`` wide)
TIME_TICKS = (_MS, 2 * _MS, 5 * _MS, 10 * _MS, 20 * _MS, 50 * _MS, 100 * _MS, 200 * _MS,
              500 * _MS, _S, 2 * _S, 5 * _S, 10 * _S, 15 * _S, 30 * _S, _M, 2 * _M, 5 * _M,
              10 * _M, 15 * _M, 30 * _M, 60 * _M)


def time_tick(us: int) -> int:
    """The smallest time label spacing >= ``us`` (whole hours past the list)."""
    for t in TIME_TICKS:
        if t >= us:
            return t
    return -(-us // (60 * _M)) * 60 * _M


class HeatmapModel:
    """The heatmap of one target: kept snapshots in fine bins (bounded) and the rows of a
    uniform time axis built from them; changing the row time rebuilds the rows."""

    def __init__(self, fine_bins: int = 1024, max_rows: int = 600, snapshots_per_row: int = 1,
                 max_snapshots: int = 4096, keep_targets: int = 600):
        self.fine_bins = fine_bins
        self.rows: deque[HeatRow] = deque(maxlen=max_rows)
        self.snaps: deque[BinnedSnapshot] = deque(maxlen=max_snapshots)
        self.keep_targets = keep_targets
        self.snapshots_per_row = snapshots_per_row
        self.row_us = 0  # 0: set from the first snapshot's aggregation interval
        self.space: Space | None = None
        #: per range the summed bin values so far (the hottest range), for ``space``
        self._range_heat: list[float] = []
        self._col_cache: dict = {}
        #: the range the view picked when all did not fit (kept: the view never jumps)
        self._sticky: tuple[int, int] | None = None
        self.generation = 0  # bumps whenever a row is added or replaced

    # -- feeding --------------------------------------------------------------
    def add(self, snapshot, target_idx: int = 0) -> bool:
        """Add one snapshot; True when it opened a new row (time slot)."""
        target = snapshot.targets[target_idx]
        space = Space.of(target)
        if self.space is not None and space == self.space:
            space = self.space
        else:
            self.space = space
            self._range_heat = [0.0] * len(space.ranges)
            self._col_cache.clear()
        nr_samples = max(snapshot.aggr_us // max(snapshot.sample_us, 1), 1)
        values = bin_target(target, space, self.fine_bins, nr_samples)
        first, counts = space.layout(self.fine_bins)
        for i, s in enumerate(_bin.range_sums(values, first, counts)):
            self._range_heat[i] += s
        if self.row_us <= 0:
            self.row_us = max(snapshot.aggr_us, 1) * self.snapshots_per_row
        b = BinnedSnapshot(snapshot.start_us, snapshot.end_us, space, values, nr_samples,
                           snapshot.aggr_us, target)
        snaps = self.snaps
        snaps.append(b)
        if len(snaps) > self.keep_targets:
            snaps[-1 - self.keep_targets].target = None
        self.generation += 1
        return self._place(b)

    def _place(self, b: BinnedSnapshot) -> bool:
        slot = b.start_us // self.row_us
        last = self.rows[-1] if self.rows else None
        if last is not None and last.slot == slot and last.space is b.space:
            values = _bin.merge_mean(last.values, last.count, b.values)
            self.rows[-1] = HeatRow(slot, self.row_us, b.space, values, last.count + 1,
                                    b.target or last.last, b.nr_samples, b.aggr_us, b.end_us,
                                    _bin.vmax(values))
            return False
        self.rows.append(HeatRow(slot, self.row_us, b.space, b.values, 1, b.target,
                                 b.nr_samples, b.aggr_us, b.end_us, _bin.vmax(b.values)))
        return True

    def set_row_us(self, row_us: int) -> None:
        """Rows of ``row_us`` each, rebuilt from the kept snapshots (a uniform axis)."""
        row_us = max(int(row_us), 1)
        if row_us == self.row_us:
            return
        self.row_us = row_us
        self.rows.clear()
        group: list[BinnedSnapshot] = []
        for b in self.snaps:
            if group and (b.start_us // row_us != group[0].start_us // row_us
                          or b.space is not group[0].space):
                self._add_group(group)
                group = []
            group.append(b)
        if group:
            self._add_group(group)
        self.generation += 1

    def _add_group(self, group: list[BinnedSnapshot]) -> None:
        last = group[-1]
        values = _bin.mean_of([b.values for b in group]) if len(group) > 1 else last.values
        target = next((b.target for b in reversed(group) if b.target is not None), None)
        self.rows.append(HeatRow(last.start_us // self.row_us, self.row_us, last.space, values,
                                 len(group), target, last.nr_samples, last.aggr_us,
                                 last.end_us, _bin.vmax(values)))

    def set_snapshots_per_row(self, n: int) -> None:
        """Rows of ``n`` aggregation intervals (rebuilt from the kept snapshots)."""
        self.snapshots_per_row = max(1, int(n))
        if self.snaps:
            self.set_row_us(self.snaps[-1].aggr_us * self.snapshots_per_row)

    def clear(self) -> None:
        self.rows.clear()
        self.snaps.clear()
        self.generation += 1

    # -- ranges ---------------------------------------------------------------
    def hottest_range(self) -> int | None:
        """Index of the range with the highest mean heat so far (damo's default)."""
        if not self.space or not self.space.ranges:
            return None
        _, counts = self.space.layout(self.fine_bins)
        means = [h / max(c, 1) for h, c in zip(self._range_heat, counts, strict=True)]
        return max(range(len(means)), key=means.__getitem__)

    def shown_range(self, width: int) -> int | None:
        """What the view shows by default: every range (``None``) when they fit in
        ``width`` columns, else the hottest, picked once and then kept (followed by
        address as the ranges change) so the view never jumps by itself."""
        sp = self.space
        if sp is None or not sp.ranges or sp.fits(width):
            return None
        if self._sticky is not None:
            r = sp.overlapping(self._sticky)
            if r is not None:
                self._sticky = sp.ranges[r]
                return r
        r = self.hottest_range()
        self._sticky = sp.ranges[r] if r is not None else None
        return r

    # -- views ----------------------------------------------------------------
    def columns_for(self, window: ViewWindow, space: Space) -> tuple[array, array]:
        """Fine-bin slices of ``space`` under each column of ``window`` (rows binned in an
        older space are mapped by address; no data: an empty slice)."""
        if space is window.space or space == window.space:
            return window.bin_arrays
        key = (window, id(space))
        cached = self._col_cache.get(key)
        if cached is not None:
            return cached
        nb = self.fine_bins
        b0s, b1s = array("q"), array("q")
        for c in range(window.width if window.columns else 0):
            addrs = window.column_addrs(c)
            lo = space.addr_to_bin(addrs[0], nb) if addrs else None
            hi = space.addr_to_bin(max(addrs[1] - 1, addrs[0]), nb) if addrs else None
            if lo is None or hi is None:
                b0s.append(0)
                b1s.append(0)
            else:
                b0s.append(int(lo))
                b1s.append(max(int(hi) + 1, int(lo) + 1))
        if len(self._col_cache) > 64:
            self._col_cache.clear()
        self._col_cache[key] = (b0s, b1s)
        return b0s, b1s

    def row_cells(self, row: HeatRow, window: ViewWindow) -> list[float | None]:
        """Column values (fractions of nr_samples) of one row; ``None`` = no data."""
        b0, b1 = self.columns_for(window, row.space)
        return [None if v < 0 else v for v in _bin.columns(row.values, b0, b1)]


def level_of(value: float | None, levels: int = 10) -> int | None:
    """damo's digit for a value on a fixed 0..1 scale: 0..levels-1 (None = empty)."""
    if value is None:
        return None
    return min(int(value * levels), levels - 1)


def region_at(target, addr: int) -> tuple[int, int, int, int] | None:
    """``(start, end, nr_accesses, age)`` of the region holding ``addr``."""
    starts = target.starts
    i = bisect.bisect_right(starts, addr) - 1
    if i < 0 or addr >= target.ends[i]:
        return None
    return (starts[i], target.ends[i], target.nr_accesses[i], target.ages[i])



# --------------------------------------------------------------------------- wss


class WssModel:
    """Working-set size per snapshot (bounded) with damo's summary statistics."""

    def __init__(self, max_samples: int = 100_000, exclude_samples: int = WSS_EXCLUDE_SAMPLES):
        self.values: deque[int] = deque(maxlen=max_samples)
        self.times: deque[int] = deque(maxlen=max_samples)
        self.exclude_samples = exclude_samples
        self.seen = 0

    def add(self, snapshot, target_idx: int = 0) -> int:
        wss = snapshot_wss(snapshot.targets[target_idx])
        self.seen += 1
        if self.seen > self.exclude_samples:
            self.values.append(wss)
            self.times.append(snapshot.end_us)
        self.current = wss
        return wss

    current: int = 0

    def percentiles(self, points=WSS_PERCENTILES) -> list[tuple[int, int]]:
        return percentiles(self.values, points)

    def average(self) -> float:
        return sum(self.values) / len(self.values) if self.values else 0.0

    def series(self, n: int) -> list[float]:
        """The history as ``n`` points, each the mean of an equal chunk of it."""
        return chunk_means(list(self.values), n)

    def clear(self) -> None:
        self.values.clear()
        self.times.clear()
        self.seen = 0
        self.current = 0


def chunk_means(vals, n: int) -> list[float]:
    """``vals`` as at most ``n`` points, each the mean of an equal chunk."""
    if len(vals) <= n or n <= 0:
        return [float(v) for v in vals]
    step = len(vals) / n
    out = []
    for i in range(n):
        chunk = vals[int(i * step): max(int((i + 1) * step), int(i * step) + 1)]
        out.append(sum(chunk) / len(chunk))
    return out


def wss_bars(points: list[tuple[int, int]], width: int) -> list[tuple[int, int, int]]:
    """``(percentile, wss, bar_len)`` with bars scaled to the largest value (damo-like)."""
    top = max((v for _, v in points), default=0)
    return [(p, v, (v * width // top) if top else 0) for p, v in points]


# --------------------------------------------------------------------------- regions

SORT_KEYS = ("hottest", "coldest", "size", "age", "address")


def region_rows(target, sort: str = "hottest", limit: int = 20) -> list[tuple[int, int, int, int]]:
    """``(start, end, nr_accesses, age)`` of a target's regions, sorted and cut."""
    rows = list(zip(target.starts, target.ends, target.nr_accesses, target.ages, strict=False))
    if sort == "hottest":
        rows.sort(key=lambda r: (-r[2], -(r[1] - r[0]), r[0]))
    elif sort == "coldest":
        rows.sort(key=lambda r: (r[2], -r[3], -(r[1] - r[0]), r[0]))
    elif sort == "size":
        rows.sort(key=lambda r: (-(r[1] - r[0]), r[0]))
    elif sort == "age":
        rows.sort(key=lambda r: (-r[3], r[0]))
    elif sort == "address":
        pass
    else:
        raise ValueError(f"unknown sort {sort!r}: one of {', '.join(SORT_KEYS)}")
    return rows[:limit]


def next_in(seq, current):
    """The element after ``current`` in ``seq`` (cycling)."""
    i = seq.index(current) if current in seq else -1
    return seq[(i + 1) % len(seq)]


# --------------------------------------------------------------------------- feed


class Feed:
    """Everything the views need, fed one snapshot at a time (from any thread)."""

    def __init__(self, fine_bins: int = 1024, max_rows: int = 600, snapshots_per_row: int = 1):
        self.lock = threading.Lock()
        self.fine_bins = fine_bins
        self.max_rows = max_rows
        self.snapshots_per_row = snapshots_per_row
        #: a fixed row time (a replay fitted to the screen); None: snapshots_per_row
        self.row_us: int | None = None
        self.heatmaps: list[HeatmapModel] = []
        self.wss: list[WssModel] = []
        self.latest = None
        self.count = 0
        self.generation = 0
        self.ended = False

    def add(self, snapshot) -> None:
        if snapshot is None:
            self.ended = True
            self.generation += 1
            return
        with self.lock:
            while len(self.heatmaps) < len(snapshot.targets):
                hm = HeatmapModel(self.fine_bins, self.max_rows, self.snapshots_per_row)
                if self.row_us:
                    hm.row_us = self.row_us
                self.heatmaps.append(hm)
                self.wss.append(WssModel())
            for i in range(len(snapshot.targets)):
                self.heatmaps[i].add(snapshot, i)
                self.wss[i].add(snapshot, i)
            self.latest = snapshot
            self.count += 1
            self.generation += 1

    def set_snapshots_per_row(self, n: int) -> None:
        """Rows of ``n`` aggregation intervals, rebuilt from the kept snapshots."""
        with self.lock:
            self.snapshots_per_row = n
            self.row_us = None
            for h in self.heatmaps:
                h.set_snapshots_per_row(n)
            self.generation += 1

    def set_row_us(self, row_us: int) -> None:
        """Rows of ``row_us`` each (also for targets that appear later)."""
        with self.lock:
            self.row_us = row_us
            for h in self.heatmaps:
                h.set_row_us(row_us)
            self.generation += 1

    def reset(self) -> None:
        with self.lock:
            self.heatmaps.clear()
            self.wss.clear()
            self.latest = None
            self.count = 0
            self.ended = False
            self.generation += 1

    @property
    def nr_regions(self) -> int:
        snap = self.latest
        return sum(len(t.starts) for t in snap.targets) if snap is not None else 0


# --------------------------------------------------------------------------- heat scale

#: decades below the top the log scale shows (lower heat: the coldest colour)
LOG_DECADES = 3
_NICE = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_scale(x: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 x 10^k >= ``x`` (a legend's top; 0 -> 0).

    The view's scale moves in these steps, so the rows drawn stay valid while the data's
    maximum wanders within a step."""
    if x <= 0:
        return 0.0
    k = math.floor(math.log10(x))
    for m in _NICE:
        top = m * 10.0 ** k
        if top >= x * (1 - 1e-9):
            return top
    return 10.0 ** (k + 1)


def heat_step(value: float, top: float, log_scale: bool, steps: int) -> int:
    """Colour step of a cell: ``-1`` no data, ``0`` idle, ``1..steps`` from cold to ``top``
    (linear in the value, or over ``LOG_DECADES`` decades below ``top``; the heatmap's
    line kernel ``half_runs`` uses the same C function)."""
    return _bin.heat_step(value, top, log_scale, steps, LOG_DECADES)
