# ruff: noqa: UP031  (printf formats kept identical to damo's, whose output we match)
"""Size histograms of one snapshot: by idle time (recency) and by temperature.

damo 3.4.3's ``report access --style recency-sz-hist`` and ``temperature-sz-hist``
(``damo_report_access.py``), number for number:

- **idle time** of a region: 0 when it was accessed in the snapshot (its access rate
  in percent, ``int(nr_accesses * 100 / nr_samples)``, is above 0), else its age in us
  plus one aggregation interval;
- **temperature**: ``percent * 100 + age_us * 100`` (damo's default weights
  ``0 100 100``), negated when the percent is 0 (cold memory is below zero);
- **bins**: 10 ranges ``[lo, hi)`` from the smallest to the largest value, linear
  (``ceil((max + 1 - min) / 10)`` wide) or log scale (doubling from
  ``(max - min) / 1024``), optionally cumulative (every range starts at the minimum);
  each bin holds the total size of the regions whose value falls in it.

:class:`SzHistogram` consumes one snapshot at a time (the live view and streaming
reports feed it snapshot by snapshot) and keeps only the latest distribution.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from damon_tui.errors import UserError
from damon_tui.record.model import Record, TargetData
from damon_tui.report.fmt import format_sz, format_time_ns
from damon_tui.report.intervals import snapshot_intervals

Kind = Literal["recency", "temperature"]
KINDS: tuple[Kind, ...] = ("recency", "temperature")
#: damo's ``--temperature_weights`` default: size, access rate, age
DEFAULT_WEIGHTS = (0, 100, 100)
NR_BINS = 10
#: damo's histogram bar width
MAX_DOTS = 20


@dataclass(frozen=True)
class Bin:
    """Regions whose value is in ``[lo, hi)`` total ``size`` bytes."""

    lo: int
    hi: int
    size: int


def distribution(kind: Kind, starts: Sequence[int], ends: Sequence[int],
                 nr_accesses: Sequence[int], ages: Sequence[int], sample_us: int,
                 aggr_us: int, weights: Sequence[int] = DEFAULT_WEIGHTS) -> dict[int, int]:
    """``{value: total bytes}`` of one snapshot's regions (damo's ``get_distribution``)."""
    if kind not in KINDS:
        raise ValueError(f"histogram kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    if sample_us <= 0 or aggr_us <= 0:
        raise ValueError(f"intervals: expected positive sample and aggr, got {sample_us} "
                         f"and {aggr_us}")
    dist: dict[int, int] = {}
    max_samples = aggr_us / sample_us
    for s, e, n, a in zip(starts, ends, nr_accesses, ages, strict=True):
        pct = int(n * 100.0 / max_samples)
        if kind == "recency":
            v = 0 if pct > 0 else a * aggr_us + aggr_us
        else:
            score = pct * weights[1] + a * aggr_us * weights[2]
            v = score if pct > 0 else -score
        dist[v] = dist.get(v, 0) + (e - s)
    return dist


def hist_ranges(minv: int, maxv: int, nr_ranges: int = NR_BINS, logscale: bool = False,
                cumulate: bool = False) -> list[tuple[int, int]]:
    """damo's ``get_hist_ranges``: ``[lo, hi)`` bins covering ``[minv, maxv]``."""
    if logscale:
        first = max(int((maxv - minv) / 2 ** nr_ranges), 1)
        ranges = [(minv, minv + first)]
        while ranges[-1][1] < maxv:
            width = ranges[-1][1] - ranges[-1][0]
            lo = minv if cumulate else ranges[-1][1]
            ranges.append((lo, ranges[-1][1] + width * 2))
        return ranges
    interval = max(math.ceil((maxv + 1 - minv) / nr_ranges), 1)
    return [(minv if cumulate else minv + interval * i, minv + interval * (i + 1))
            for i in range(nr_ranges)]


def histogram(dist: dict[int, int], ranges: Sequence[tuple[int, int]] | None = None,
              logscale: bool = False, cumulate: bool = False) -> list[Bin]:
    """The bins of a distribution (``ranges`` None: damo's 10 automatic ranges)."""
    if not dist:
        return []
    if ranges is None:
        ranges = hist_ranges(min(dist), max(dist), NR_BINS, logscale, cumulate)
    return [Bin(lo, hi, sum(sz for v, sz in dist.items() if lo <= v < hi))
            for lo, hi in ranges]


class SzHistogram:
    """Size histogram fed one snapshot at a time; :meth:`bins` describes the latest."""

    def __init__(self, kind: Kind, weights: Sequence[int] = DEFAULT_WEIGHTS,
                 logscale: bool = False, cumulate: bool = False) -> None:
        if kind not in KINDS:
            raise ValueError(f"histogram kind: expected one of {', '.join(KINDS)}, "
                             f"got {kind!r}")
        self.kind: Kind = kind
        self.weights = tuple(weights)
        self.logscale = logscale
        self.cumulate = cumulate
        self.dist: dict[int, int] = {}
        self.total_bytes = 0
        #: bytes x samples of the snapshot over its aggregation time (damo's bandwidth)
        self.bytes_per_s = 0.0
        self.nr_snapshots = 0
        self.nr_regions = 0

    def add(self, starts: Sequence[int], ends: Sequence[int], nr_accesses: Sequence[int],
            ages: Sequence[int], sample_us: int, aggr_us: int) -> None:
        """Consume one snapshot's regions (this replaces the previous distribution)."""
        self.dist = distribution(self.kind, starts, ends, nr_accesses, ages, sample_us,
                                 aggr_us, self.weights)
        self.total_bytes = sum(self.dist.values())
        access_bytes = sum((e - s) * n for s, e, n in zip(starts, ends, nr_accesses,
                                                          strict=True))
        self.bytes_per_s = access_bytes / (aggr_us / 1e6)
        self.nr_snapshots += 1
        self.nr_regions = len(starts)

    def add_snapshot(self, snapshot_target, sample_us: int, aggr_us: int) -> None:
        """Consume an engine ``TargetSnapshot`` (its four arrays)."""
        t = snapshot_target
        self.add(t.starts, t.ends, t.nr_accesses, t.ages, sample_us, aggr_us)

    def bins(self) -> list[Bin]:
        return histogram(self.dist, None, self.logscale, self.cumulate)

    def format_value(self, v: float, raw: bool = False) -> str:
        """A bin edge as damo prints it (a time for recency, a number for temperature)."""
        if self.kind == "recency":
            return format_time_ns(v * 1000, raw)
        return format_nr(v, raw)

    def render(self, raw: bool = False) -> str:
        """damo's histogram text (``histogram_str``) with its legend line."""
        legend = "<idle time (us)>" if self.kind == "recency" else "<temperature>"
        bins = self.bins()
        if not bins:
            return "no region in snapshot"
        rows = [("[%s, %s)" % (self.format_value(b.lo, raw), self.format_value(b.hi, raw)),
                 format_sz(b.size, raw), b.size) for b in bins]
        return f"{legend} <total size>\n" + histogram_text(rows)


def format_nr(nr: float, raw: bool = False) -> str:
    """damo's ``format_nr``: ``-1,234,567``."""
    text = "%d" % abs(nr)
    if not raw:
        text = f"{int(text):,}"
    return ("-" if nr < 0 else "") + text


def histogram_text(rows: Sequence[tuple[str, str, int]]) -> str:
    """damo's ``histogram_str``: aligned x range, y value and a 20-dot bar per row."""
    yvals = [r[2] for r in rows]
    lo, hi = min(yvals), max(yvals)
    wx = max(len(r[0]) for r in rows)
    wy = max(len(r[1]) for r in rows)
    step = max(int((hi - lo) / MAX_DOTS), 1)
    lines = []
    for x, y, v in rows:
        dots = min(math.ceil((v - lo) / step), MAX_DOTS)
        lines.append("%s %s |%s%s|" % (x.ljust(wx), y.ljust(wy), "*" * dots,
                                       " " * (MAX_DOTS - dots)))
    return "\n".join(lines)


def _pick_snapshots(which: str, nr: int) -> range:
    """``last`` / ``all`` / an index (negative from the end) -> snapshot indexes."""
    if which == "all":
        return range(nr)
    if which == "last":
        return range(nr - 1, nr) if nr else range(0)
    try:
        i = int(which)
    except ValueError:
        raise UserError(f"--snapshot: expected an index, 'last' or 'all', "
                        f"got {which!r}") from None
    j = i + nr if i < 0 else i
    if not 0 <= j < nr:
        raise UserError(f"--snapshot {which}: the target has {nr} snapshots "
                        f"(0..{nr - 1}, or -1..-{nr})")
    return range(j, j + 1)


def _slices(t: TargetData) -> Callable[[range], Iterator[tuple]]:
    def snapshots(ks: range) -> Iterator[tuple]:
        for k in ks:
            a, b = t.offsets[k], t.offsets[k + 1]
            yield (t.snap_start[k], t.snap_end[k], t.starts[a:b], t.ends[a:b],
                   t.nr_accesses[a:b], t.ages[a:b])
    return snapshots


def snapshot_histograms(record: Record, kind: Kind, which: str = "last",
                        tid: int | None = None, logscale: bool = False,
                        cumulate: bool = False, raw: bool = False,
                        snapshots: Callable[[int, range], Iterator[tuple]] | None = None,
                        ) -> Iterator[str]:
    """One text block per chosen snapshot of each target: a comment line naming it,
    damo's histogram, its ``memory bw estimate`` and ``total size`` lines.

    ``snapshots(i, ks)`` gives target ``i``'s snapshots ``ks`` as ``(start_ns, end_ns,
    starts, ends, nr_accesses, ages)`` (default: from the record's arrays; a streamed
    record's targets carry only their first start and snapshot count).
    """
    targets = [(i, t) for i, t in enumerate(record.targets)
               if tid is None or t.target_id == tid]
    if not targets:
        ids = ", ".join(str(t.target_id) for t in record.targets)
        raise UserError(f"--tid {tid}: no such target in {record.path} (ids: {ids})")
    for i, t in targets:
        per_snap = snapshot_intervals(record, t)
        if t.intervals is None and per_snap is None:
            raise UserError(f"{record.path}: target {t.target_id} has no monitoring "
                            "intervals, which the idle times and access rates need")
        t0 = t.snap_start[0] if t.nr_snapshots else 0
        ks = _pick_snapshots(which, t.nr_snapshots)
        regions = snapshots(i, ks) if snapshots is not None else _slices(t)(ks)
        for k, (s_start, s_end, starts, ends, nrs, ages) in zip(ks, regions, strict=True):
            iv = per_snap[k] if per_snap is not None else t.intervals
            if iv is None or not iv.sample_us or not iv.aggr_us:
                iv = t.intervals
            if iv is None:
                raise UserError(f"{record.path}: target {t.target_id} snapshot {k} has no "
                                "monitoring intervals, which the idle times and access "
                                "rates need")
            h = SzHistogram(kind, logscale=logscale, cumulate=cumulate)
            h.add(starts, ends, nrs, ages, iv.sample_us, iv.aggr_us)
            name = f" ({t.description})" if t.description else ""
            when = f"{format_time_ns(s_start - t0)}..{format_time_ns(s_end - t0)}"
            yield "\n".join([
                f"# target {t.target_id if t.target_id is not None else i}{name} "
                f"snapshot {k} of {t.nr_snapshots}, {when}",
                h.render(raw),
                f"memory bw estimate: {format_sz(h.bytes_per_s, raw)} per second",
                f"total size: {format_sz(h.total_bytes, raw)}",
            ])
