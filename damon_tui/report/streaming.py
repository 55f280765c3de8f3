"""Reports on a damon-tui record read as a stream (``record.stream``): bounded memory
whatever the record's length, output identical to the in-memory reports.

``info`` and ``wss`` keep per-snapshot facts only (times, region counts, WSS values:
tens of bytes per snapshot); ``raw`` formats each chunk in C and writes it out.
``heatmap`` reads the record twice: the guide (contiguous ranges, their heat, the time
span) on the first pass, the bins on the second (the heats take one more pass only when
the ranges moved after the first chunk).  ``recency`` / ``temperature`` keep each
target's last snapshot (and an asked-for one) from the first pass; other choices read
the snapshots they need on a second pass.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO

from damon_tui._fast import binning, reports
from damon_tui.errors import UserError
from damon_tui.record.model import Intervals, Record, TargetData
from damon_tui.record.ours import INTERVAL_CHANGES
from damon_tui.record.stream import RecordStream
from damon_tui.report import heatmap as hm
from damon_tui.report import histograms
from damon_tui.report.intervals import snapshot_aggr_us
from damon_tui.report.raw import HEADER
from damon_tui.report.wss import WORK_TIME_NS


class SummaryTarget(TargetData):
    """A target's per-snapshot times and region counts, without its regions: only the
    lowest start and highest end are kept (for ``report info``)."""

    total_regions: int = 0

    @property
    def nr_regions(self) -> int:
        return self.total_regions


class Span(TargetData):
    """A target's first start and last end (``snap_start[0]``, ``snap_end[-1]``) and
    its number of snapshots, without the snapshots."""

    count: int = 0

    @property
    def nr_snapshots(self) -> int:
        return self.count


def _targets(stream: RecordStream, cls: type[TargetData]) -> list:
    out = []
    for i, tid in enumerate(stream.target_ids):
        t = stream.header["targets"][i]
        t = t if isinstance(t, dict) else {}
        out.append(cls(tid, str(t.get("description", "")), stream.intervals))
    return out


def _header(stream: RecordStream, nr_frames: int, changes: list[list[int]]) -> dict:
    """The header ``open_record`` gives: frames counted, interval changes listed."""
    header = dict(stream.header)
    header["nr_frames"] = nr_frames
    iv = stream.intervals
    if changes and (len(changes) > 1 or iv is None
                    or (iv.sample_us, iv.aggr_us) != tuple(changes[0][1:])):
        header[INTERVAL_CHANGES] = changes
    return header


def summary_record(stream: RecordStream) -> Record:
    """What ``report info`` needs of the record, read in one streaming pass."""
    targets: list[SummaryTarget] = _targets(stream, SummaryTarget)
    lo: list[int | None] = [None] * len(targets)
    hi: list[int | None] = [None] * len(targets)
    changes: list[list[int]] = []
    nexts = nframes = 0
    for ch in stream.chunks():
        reports.interval_changes(ch.frame_sample, ch.frame_aggr, nframes, changes)
        nframes += ch.nr_frames
        nexts += len(ch.extensions)
        for i, c in enumerate(ch.targets):
            s = targets[i]
            n = c.nr_snapshots
            if not n:
                continue
            s.snap_start.extend(c.snap_start)
            s.snap_end.extend(c.snap_end)
            base = s.offsets[-1] - c.offsets[0]
            s.offsets.extend(o + base for o in c.offsets[1:])
            a, b = c.offsets[0], c.offsets[n]
            s.total_regions += b - a
            if b > a:
                mn, mx = reports.span(c.starts, c.ends, a, b)
                old_lo, old_hi = lo[i], hi[i]
                lo[i] = mn if old_lo is None else min(old_lo, mn)
                hi[i] = mx if old_hi is None else max(old_hi, mx)
    for i, s in enumerate(targets):
        if lo[i] is not None:
            s.starts = array("Q", [lo[i]])
            s.ends = array("Q", [hi[i]])
    exts = [(0, b"")] * nexts  # only their number is reported
    return Record(stream.path, "damon-tui", _header(stream, nframes, changes), list(targets),
                  exts, list(stream.warnings))


class NeedsWholeRecord(Exception):
    """The streaming path cannot give damo's result (snapshots shorter than damo's
    work time are aggregated across snapshots): use the in-memory report."""


def wss_values(stream: RecordStream, acc_thres: int, sz_thres: int,
               exclude_samples: int) -> tuple[list[tuple[int | None, list[int]]], int]:
    """Per target ``(target_id, WSS per kept snapshot in time order)``, and the most
    snapshots a target has."""
    ids = stream.target_ids
    vals: list[array] = [array("Q") for _ in ids]
    seen = [0] * len(ids)
    for ch in stream.chunks():
        for i, c in enumerate(ch.targets):
            n = c.nr_snapshots
            first = max(0, min(n, exclude_samples - seen[i]))
            seen[i] += n
            if first >= n:
                continue
            shortest = reports.shortest(c.snap_start, c.snap_end, first, n)
            if shortest is not None and shortest < WORK_TIME_NS:
                raise NeedsWholeRecord
            vals[i].extend(binning.wss(c.starts, c.ends, c.nr_accesses, c.offsets, first, n,
                                       max(acc_thres, 0), max(sz_thres, 0)))
    return [(tid, v.tolist()) for tid, v in zip(ids, vals, strict=True)], max(seen, default=0)


def write_raw(stream: RecordStream, out: BinaryIO, tid: int | None = None) -> int:
    """``report raw`` lines of every snapshot, written chunk by chunk; returns the
    number of regions written."""
    ids = stream.target_ids
    chosen = [i for i, t in enumerate(ids) if tid is None or t == tid]
    if tid is not None and not chosen:
        raise UserError(f"--tid: no target {tid} in {stream.path}")
    out.write(HEADER.encode() + b"\n")
    if len(chosen) > 1:
        # report raw lists each target's snapshots in turn: one pass per target
        return sum(_raw_target(stream, out, i) for i in chosen)
    return _raw_target(stream, out, chosen[0]) if chosen else 0


class _WriteAhead:
    """Writes in a second thread while the caller formats the next batch (the write
    system call runs without the GIL, the formatter too): ``report raw`` then goes at the
    slower of the two speeds instead of at their harmonic sum.  Two ``RawLines`` take
    turns, so a buffer is formatted again only after its write has finished."""

    def __init__(self, out: BinaryIO, tid: bytes):
        self.out = out
        self.lines = (reports.RawLines(tid), reports.RawLines(tid))
        self.turn = 0
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="raw-writer")
        self.pending: Future | None = None

    def next_lines(self) -> reports.RawLines:
        """The formatter whose buffer is free (its last write has finished)."""
        self.turn ^= 1
        return self.lines[self.turn]

    def write(self, data: bytes | memoryview) -> None:
        self.wait()
        self.pending = self.pool.submit(self.out.write, data)

    def wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()  # a write's error (EPIPE, ENOSPC) surfaces here

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self.pool.shutdown(wait=True)


def _raw_target(stream: RecordStream, out: BinaryIO, i: int) -> int:
    ahead = _WriteAhead(out, str(stream.target_ids[i]).encode())
    try:
        return _raw_target_lines(stream, ahead, i)
    finally:
        ahead.close()


def _raw_target_lines(stream: RecordStream, out: _WriteAhead, i: int) -> int:
    header_iv = stream.intervals
    changing = _has_changes(stream)
    written = 0
    k0 = 0
    prev: Intervals | None = None
    for ch in stream.chunks():
        c = ch.targets[i]
        n = c.nr_snapshots
        a = 0
        if changing:
            for k in range(n):
                s, g = ch.frame_sample[k], ch.frame_aggr[k]
                cur = Intervals(s, g, header_iv.update_us if header_iv else 0) \
                    if s and g else header_iv
                if k0 + k == 0 or cur != prev:
                    _lines(out, k0, a, k, c)
                    out.write(f"# intervals from snapshot {k0 + k}: ".encode() + (
                        b"unknown\n" if cur is None
                        else f"sample_us {cur.sample_us} aggr_us {cur.aggr_us}\n".encode()))
                    a = k
                prev = cur
        _lines(out, k0, a, n, c)
        written += c.offsets[n] - c.offsets[0]
        k0 += n
    return written


#: snapshots formatted per call (the text buffer, reused, is ~160 bytes per region)
RAW_BATCH = 512


def _lines(out: _WriteAhead, k0: int, a: int, b: int, c: TargetData) -> None:
    for x in range(a, b, RAW_BATCH):
        y = min(b, x + RAW_BATCH)
        out.write(out.next_lines().lines(k0, x, y, c.snap_start, c.snap_end, c.offsets,
                                         c.starts, c.ends, c.nr_accesses, c.ages))


def _has_changes(stream: RecordStream) -> bool:
    """Whether the intervals change within the record (a cheap pre-pass, frame
    intervals only).  ``report raw`` then marks each stretch."""
    changes: list[list[int]] = []
    nframes = 0
    for ch in stream.chunks():
        reports.interval_changes(ch.frame_sample, ch.frame_aggr, nframes, changes)
        nframes += ch.nr_frames
    return INTERVAL_CHANGES in _header(stream, nframes, changes)


# ---------------------------------------------------------------------------
# heatmap
# ---------------------------------------------------------------------------


@dataclass
class _GuideScan:
    """One target's guide gathered on the first pass."""

    gaps: binning.GuideScan = field(default_factory=binning.GuideScan)
    heats: binning.RangeHeats | None = None
    summed_over: list = field(default_factory=list)  # the ranges ``heats`` sums over
    first_oldest: int = 0


@dataclass
class StreamedHeatmaps:
    """The guides of a record read as a stream, and its maps binned on another pass."""

    stream: RecordStream
    record: Record  # header (interval changes) and ``Span`` targets
    guides: list[hm.Guide]

    @property
    def path(self) -> str:
        return self.stream.path

    def build(self, guide: hm.Guide, time_range: tuple[int, int],
              addr_ranges: list[tuple[int, int]], resol: tuple[int, int]) -> list[hm.Heatmap]:
        """``hm.build`` of each address range of the guide's target, in one pass."""
        i = guide.target_index
        t = self.record.targets[i]
        per_snap = snapshot_aggr_us(self.record, t)
        maps = [hm.new_bins(t, time_range, ar, resol, per_snap) for ar in addr_ranges]
        if not maps:
            return []
        hz = maps[0].hz
        k0 = 0
        for ch in self.stream.chunks():
            c = ch.targets[i]
            n = c.nr_snapshots
            if not n:
                continue
            ps = per_snap[k0:k0 + n] if hz and per_snap is not None else None
            for b in maps:
                b.feed(c.starts, c.ends, c.nr_accesses, c.ages, c.offsets, c.snap_start,
                       c.snap_end, 0, n, ps)
            k0 += n
        return [b.heatmap() for b in maps]


def heatmap_guides(stream: RecordStream) -> StreamedHeatmaps:
    """Every target's guide (``hm.guides``' answer), read in one pass (two when a
    target's ranges changed after its first chunk of regions)."""
    spans: list[Span] = _targets(stream, Span)
    scans = [_GuideScan() for _ in spans]
    changes: list[list[int]] = []
    nframes = 0
    for ch in stream.chunks():
        reports.interval_changes(ch.frame_sample, ch.frame_aggr, nframes, changes)
        nframes += ch.nr_frames
        for t, sc, c in zip(spans, scans, ch.targets, strict=True):
            n = c.nr_snapshots
            if not n:
                continue
            if not t.count:
                a, b = c.offsets[0], c.offsets[1]
                sc.first_oldest = max(c.ages[a:b], default=0)
                t.snap_start = array("q", [c.snap_start[0]])
            t.count += n
            t.snap_end = array("q", [c.snap_end[n - 1]])
            sc.gaps.feed(c.starts, c.ends, c.offsets, 0, n)
            if sc.heats is None and sc.gaps.nr_regions:
                # the ranges as they are now; summed over, they are right if they do
                # not change (checked at the end)
                sc.summed_over = sc.gaps.ranges()
                sc.heats = binning.RangeHeats(sc.summed_over)
            if sc.heats is not None:
                sc.heats.feed(c.starts, c.ends, c.nr_accesses, c.offsets[0], c.offsets[n])
    moved = [i for i, sc in enumerate(scans) if sc.gaps.ranges() != sc.summed_over]
    if moved:
        _sum_heats(stream, {i: scans[i] for i in moved})
    record = Record(stream.path, "damon-tui", _header(stream, nframes, changes), list(spans),
                    [], list(stream.warnings))
    found = [hm.guide_from(record, i, t, sc.gaps.ranges(),
                           sc.heats.heats() if sc.heats is not None else [], sc.first_oldest)
             if t.count else None
             for i, (t, sc) in enumerate(zip(spans, scans, strict=True))]
    return StreamedHeatmaps(stream, record, hm.ordered(found))


def _sum_heats(stream: RecordStream, scans: dict[int, _GuideScan]) -> None:
    """The heats of these targets' final ranges, on another pass."""
    for sc in scans.values():
        sc.summed_over = sc.gaps.ranges()
        sc.heats = binning.RangeHeats(sc.summed_over)
    for ch in stream.chunks():
        for i, sc in scans.items():
            c = ch.targets[i]
            n = c.nr_snapshots
            if n and sc.heats is not None:
                sc.heats.feed(c.starts, c.ends, c.nr_accesses, c.offsets[0], c.offsets[n])


# ---------------------------------------------------------------------------
# recency / temperature size histograms
# ---------------------------------------------------------------------------


def _snapshot_of(c: TargetData, k: int) -> tuple:
    """Snapshot ``k`` of a chunk's target: its times and its four region arrays."""
    a, b = c.offsets[k], c.offsets[k + 1]
    return (c.snap_start[k], c.snap_end[k], c.starts[a:b], c.ends[a:b],
            c.nr_accesses[a:b], c.ages[a:b])


def sz_histograms(stream: RecordStream, kind: histograms.Kind, which: str = "last",
                  tid: int | None = None, logscale: bool = False, cumulate: bool = False,
                  raw: bool = False) -> Iterator[str]:
    """``histograms.snapshot_histograms`` on a record read as a stream: one pass keeps
    each target's last snapshot (and snapshot ``which`` when it is an index from the
    start); other snapshots are read on another pass when asked for."""
    spans: list[Span] = _targets(stream, Span)
    keep = int(which) if which.lstrip("-").isdigit() and int(which) >= 0 else None
    kept: dict[tuple[int, int], tuple] = {}
    changes: list[list[int]] = []
    nframes = 0
    for ch in stream.chunks():
        reports.interval_changes(ch.frame_sample, ch.frame_aggr, nframes, changes)
        nframes += ch.nr_frames
        for i, (t, c) in enumerate(zip(spans, ch.targets, strict=True)):
            n = c.nr_snapshots
            if not n:
                continue
            if not t.count:
                t.snap_start = array("q", [c.snap_start[0]])
            if keep is not None and t.count <= keep < t.count + n:
                kept[(i, keep)] = _snapshot_of(c, keep - t.count)
            if t.count - 1 != keep:
                kept.pop((i, t.count - 1), None)
            t.count += n
            kept[(i, t.count - 1)] = _snapshot_of(c, n - 1)
    record = Record(stream.path, "damon-tui", _header(stream, nframes, changes), list(spans),
                    [], list(stream.warnings))

    def snapshots(i: int, ks: range) -> Iterator[tuple]:
        if all((i, k) in kept for k in ks):
            yield from (kept[(i, k)] for k in ks)
            return
        k0 = 0
        for ch in stream.chunks():
            c = ch.targets[i]
            n = c.nr_snapshots
            for k in range(max(ks.start, k0), min(ks.stop, k0 + n)):
                yield _snapshot_of(c, k - k0)
            k0 += n
            if k0 >= ks.stop:
                break

    return histograms.snapshot_histograms(record, kind, which, tid, logscale, cumulate, raw,
                                          snapshots)
