"""Pure models behind the TUI widgets (no Textual): tested on their own.

* ``Space``: a target's monitored address ranges with the gaps taken out.
* ``HeatmapModel``: a bounded ring of heatmap rows.  Each snapshot is binned into a
  fine grid over its ``Space`` (byte-weighted mean of nr_accesses / nr_samples);
  ``snapshots_per_row`` snapshots are averaged into one row.  Views (an address range,
  zoom, width) re-sample rows into columns without touching the engine.
* ``WssModel``: working-set size per snapshot, damo's percentiles, a sparkline series.
* ``region_rows``: the region table (hottest, coldest, largest, oldest, by address).
"""

from __future__ import annotations

import bisect
from array import array
from collections import deque
from dataclasses import dataclass, field

from damon_tui.report.wss import percentiles, snapshot_wss

#: damo ``report wss`` defaults
WSS_PERCENTILES = (0, 25, 50, 75, 100)
WSS_EXCLUDE_SAMPLES = 20


# --------------------------------------------------------------------------- space


@dataclass(frozen=True)
class Space:
    """Address ranges (sorted, disjoint) laid end to end: offsets skip the gaps."""

    ranges: tuple[tuple[int, int], ...]
    #: offset of each range's start in the gap-less space
    offsets: tuple[int, ...] = field(init=False, compare=False, repr=False)
    total: int = field(init=False, compare=False)

    def __post_init__(self) -> None:
        offs, total = [], 0
        for s, e in self.ranges:
            offs.append(total)
            total += e - s
        object.__setattr__(self, "offsets", tuple(offs))
        object.__setattr__(self, "total", total)

    @classmethod
    def of(cls, target) -> Space:
        """The contiguous runs of a TargetSnapshot's regions."""
        starts, ends = target.starts, target.ends
        ranges: list[tuple[int, int]] = []
        n = len(starts)
        if n == 0:
            return cls(())
        run_start = starts[0]
        for i in range(1, n):
            if starts[i] != ends[i - 1]:
                ranges.append((run_start, ends[i - 1]))
                run_start = starts[i]
        ranges.append((run_start, ends[n - 1]))
        return cls(tuple(ranges))

    def addr_to_offset(self, addr: int) -> int:
        """Offset of ``addr``; an address in a gap maps to the next range's start."""
        if not self.ranges:
            return 0
        i = bisect.bisect_right(self.offsets_starts, addr) - 1
        if i < 0:
            return 0
        s, e = self.ranges[i]
        if addr >= e:
            return self.offsets[i] + (e - s)
        return self.offsets[i] + (addr - s)

    @property
    def offsets_starts(self) -> list[int]:
        cached = self.__dict__.get("_starts")
        if cached is None:
            cached = [s for s, _ in self.ranges]
            object.__setattr__(self, "_starts", cached)
        return cached

    def offset_to_addr(self, off: int) -> int:
        """Address at gap-less offset ``off`` (clamped to the space)."""
        if not self.ranges:
            return 0
        if off >= self.total:
            return self.ranges[-1][1]
        i = bisect.bisect_right(self.offsets, off) - 1
        i = max(i, 0)
        return self.ranges[i][0] + (off - self.offsets[i])

    def range_bounds(self, idx: int | None) -> tuple[int, int]:
        """Offsets ``[lo, hi)`` of range ``idx`` (``None``: the whole space)."""
        if idx is None:
            return 0, self.total
        s, e = self.ranges[idx]
        return self.offsets[idx], self.offsets[idx] + (e - s)


# --------------------------------------------------------------------------- binning


def bin_target(target, space: Space, nbins: int, nr_samples: int) -> array:
    """Byte-weighted mean of nr_accesses / nr_samples over ``nbins`` equal bins."""
    total = space.total
    if total <= 0 or nbins <= 0:
        return array("f", bytes(4 * max(nbins, 0)))
    acc = [0.0] * nbins
    bin_bytes = total / nbins
    scale = 1.0 / (max(nr_samples, 1) * bin_bytes)
    starts, ends, nrs = target.starts, target.ends, target.nr_accesses
    ranges, offsets = space.ranges, space.offsets
    ri = 0
    nranges = len(ranges)
    for i in range(len(starts)):
        nr = nrs[i]
        if nr == 0:
            continue
        s, e = starts[i], ends[i]
        while ri < nranges and ranges[ri][1] <= s:
            ri += 1
        if ri >= nranges:
            break
        rs = ranges[ri][0]
        o0 = offsets[ri] + (s - rs)
        o1 = o0 + (e - s)
        b0 = int(o0 / bin_bytes)
        b1 = min(int(o1 / bin_bytes), nbins - 1)
        if b0 >= nbins:
            continue
        if b0 == b1:
            acc[b0] += nr * (o1 - o0)
            continue
        acc[b0] += nr * ((b0 + 1) * bin_bytes - o0)
        if b1 > b0 + 1:  # interior bins are covered by this region only
            acc[b0 + 1:b1] = [nr * bin_bytes] * (b1 - b0 - 1)
        acc[b1] += nr * (o1 - b1 * bin_bytes)
    return array("f", [a * scale if a * scale < 1.0 else 1.0 for a in acc])


# --------------------------------------------------------------------------- heatmap


@dataclass
class HeatRow:
    """One heatmap row: the mean of ``count`` snapshots over a target's space."""

    start_us: int
    end_us: int
    space: Space
    values: array  # 'f', fractions of nr_samples per fine bin
    count: int
    last: object  # the last TargetSnapshot of the row (for the cursor)
    nr_samples: int
    aggr_us: int


@dataclass(frozen=True)
class ViewWindow:
    """What the heatmap shows: a target's address window ``[lo, hi)`` in space offsets."""

    space: Space
    lo: int
    hi: int
    width: int

    def column_addrs(self) -> list[int]:
        """``width + 1`` column boundary addresses."""
        span = self.hi - self.lo
        return [
            self.space.offset_to_addr(self.lo + span * c // self.width) for c in range(self.width)
        ] + [self.space.offset_to_addr(self.hi - 1) + 1 if span else self.lo]


class HeatmapModel:
    """Bounded history of heatmap rows for one target; views re-sample it."""

    def __init__(self, fine_bins: int = 2048, max_rows: int = 600, snapshots_per_row: int = 1):
        self.fine_bins = fine_bins
        self.rows: deque[HeatRow] = deque(maxlen=max_rows)
        self.snapshots_per_row = snapshots_per_row
        self._pending: HeatRow | None = None
        self.space: Space | None = None
        #: per-range cumulative sum of heat x bytes, for the current space
        self._range_heat: list[float] = []
        self._col_cache: dict = {}
        self._hot: int | None = None
        self.generation = 0  # bumps whenever a row is added or replaced

    # -- feeding --------------------------------------------------------------
    def add(self, snapshot, target_idx: int = 0) -> bool:
        """Add one snapshot; return True when a row was completed."""
        target = snapshot.targets[target_idx]
        space = Space.of(target)
        if self.space is not None and space == self.space:
            space = self.space
        else:
            self.space = space
            self._range_heat = [0.0] * len(space.ranges)
            self._hot = None
            self._col_cache.clear()
        nr_samples = max(snapshot.aggr_us // max(snapshot.sample_us, 1), 1)
        values = bin_target(target, space, self.fine_bins, nr_samples)
        self._accumulate_range_heat(values)
        p = self._pending
        if p is not None and p.space is space and p.count < self.snapshots_per_row:
            c = p.count
            pv = p.values
            for b in range(self.fine_bins):
                pv[b] = (pv[b] * c + values[b]) / (c + 1)
            p.count = c + 1
            p.end_us = snapshot.end_us
            p.last = target
        else:
            p = HeatRow(snapshot.start_us, snapshot.end_us, space, values, 1, target,
                        nr_samples, snapshot.aggr_us)
            self.rows.append(p)
            self._pending = p
        self.generation += 1
        return p.count >= self.snapshots_per_row

    def _accumulate_range_heat(self, values: array) -> None:
        space = self.space
        if not space or not space.total:
            return
        nb = self.fine_bins
        for i in range(len(space.ranges)):
            lo, hi = space.range_bounds(i)
            b0 = lo * nb // space.total
            b1 = max(hi * nb // space.total, b0 + 1)
            self._range_heat[i] += sum(values[b0:b1])

    def set_snapshots_per_row(self, n: int) -> None:
        self.snapshots_per_row = max(1, int(n))

    def clear(self) -> None:
        self.rows.clear()
        self._pending = None
        self.generation += 1

    # -- ranges ---------------------------------------------------------------
    def hottest_range(self) -> int | None:
        """Index of the range with the highest mean heat so far (damo's default).

        With hysteresis: the view moves to another range only when that range is 10 %
        hotter than the one shown, so two equally hot ranges do not make it flicker.
        """
        if not self.space or not self.space.ranges:
            return None
        means = []
        for i, heat in enumerate(self._range_heat):
            lo, hi = self.space.range_bounds(i)
            nb = max(1, (hi - lo) * self.fine_bins // max(self.space.total, 1))
            means.append(heat / nb)
        best = max(range(len(means)), key=means.__getitem__)
        cur = self._hot
        if cur is not None and cur < len(means) and means[best] <= means[cur] * 1.1:
            return cur
        self._hot = best
        return best

    # -- views ----------------------------------------------------------------
    def columns_for(self, window: ViewWindow, space: Space) -> list[tuple[int, int]]:
        """Fine-bin slices ``[b0, b1)`` of ``space`` under each column of ``window``."""
        key = (window, id(space))
        cached = self._col_cache.get(key)
        if cached is not None:
            return cached
        nb = self.fine_bins
        total = max(space.total, 1)
        if space is window.space or space == window.space:
            span = window.hi - window.lo
            offs = [window.lo + span * c / window.width for c in range(window.width + 1)]
        else:
            offs = [space.addr_to_offset(a) for a in window.column_addrs()]
        cols = []
        for c in range(window.width):
            b0 = int(offs[c] * nb / total)
            b1 = int(offs[c + 1] * nb / total + 0.999999)
            if offs[c + 1] <= offs[c]:
                cols.append((0, 0))
                continue
            b0 = min(b0, nb - 1)
            cols.append((b0, max(b1, b0 + 1)))
        if len(self._col_cache) > 64:
            self._col_cache.clear()
        self._col_cache[key] = cols
        return cols

    def row_cells(self, row: HeatRow, window: ViewWindow) -> list[float | None]:
        """Column values (fractions of nr_samples) of one row; ``None`` = no data."""
        cols = self.columns_for(window, row.space)
        v = row.values
        out: list[float | None] = []
        for b0, b1 in cols:
            if b1 <= b0:
                out.append(None)
            elif b1 - b0 == 1:
                out.append(v[b0])
            else:
                out.append(sum(v[b0:b1]) / (b1 - b0))
        return out


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

    def __init__(self, fine_bins: int = 2048, max_rows: int = 600, snapshots_per_row: int = 1):
        import threading

        self.lock = threading.Lock()
        self.fine_bins = fine_bins
        self.max_rows = max_rows
        self.snapshots_per_row = snapshots_per_row
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
                self.heatmaps.append(HeatmapModel(self.fine_bins, self.max_rows,
                                                  self.snapshots_per_row))
                self.wss.append(WssModel())
            for i in range(len(snapshot.targets)):
                self.heatmaps[i].add(snapshot, i)
                self.wss[i].add(snapshot, i)
            self.latest = snapshot
            self.count += 1
            self.generation += 1

    def set_snapshots_per_row(self, n: int) -> None:
        with self.lock:
            self.snapshots_per_row = n
            for h in self.heatmaps:
                h.set_snapshots_per_row(n)

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
