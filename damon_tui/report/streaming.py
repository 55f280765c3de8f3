"""Reports on a damon-tui record read as a stream (``record.stream``): bounded memory
whatever the record's length, output identical to the in-memory reports.

``info`` and ``wss`` keep per-snapshot facts only (times, region counts, WSS values:
tens of bytes per snapshot); ``raw`` formats each chunk in C and writes it out.
"""

from __future__ import annotations

from array import array
from typing import BinaryIO

from damon_tui._fast import binning, reports
from damon_tui.errors import UserError
from damon_tui.record.model import Intervals, Record, TargetData
from damon_tui.record.ours import INTERVAL_CHANGES
from damon_tui.record.stream import RecordStream
from damon_tui.report.raw import HEADER
from damon_tui.report.wss import WORK_TIME_NS


class SummaryTarget(TargetData):
    """A target's per-snapshot times and region counts, without its regions: only the
    lowest start and highest end are kept (for ``report info``)."""

    total_regions: int = 0

    @property
    def nr_regions(self) -> int:
        return self.total_regions


def _changes(stream: RecordStream, samples: array, aggrs: array) -> list[list[int]]:
    out: list[list[int]] = []
    for fi in range(len(samples)):
        if not out or (out[-1][1], out[-1][2]) != (samples[fi], aggrs[fi]):
            out.append([fi, samples[fi], aggrs[fi]])
    return out


def summary_record(stream: RecordStream) -> Record:
    """What ``report info`` needs of the record, read in one streaming pass."""
    targets: list[SummaryTarget] = []
    for i, tid in enumerate(stream.target_ids):
        t = stream.header["targets"][i]
        t = t if isinstance(t, dict) else {}
        targets.append(SummaryTarget(tid, str(t.get("description", "")), stream.intervals))
    lo = [None] * len(targets)
    hi = [None] * len(targets)
    samples, aggrs = array("Q"), array("Q")
    nexts = 0
    for ch in stream.chunks():
        samples.extend(ch.frame_sample)
        aggrs.extend(ch.frame_aggr)
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
                lo[i] = mn if lo[i] is None else min(lo[i], mn)
                hi[i] = mx if hi[i] is None else max(hi[i], mx)
    for i, s in enumerate(targets):
        if lo[i] is not None:
            s.starts = array("Q", [lo[i]])
            s.ends = array("Q", [hi[i]])
    header = dict(stream.header)
    header["nr_frames"] = len(samples)
    iv = stream.intervals
    changes = _changes(stream, samples, aggrs)
    if changes and (len(changes) > 1 or iv is None
                    or (iv.sample_us, iv.aggr_us) != tuple(changes[0][1:])):
        header[INTERVAL_CHANGES] = changes
    exts = [(0, b"")] * nexts  # only their number is reported
    return Record(stream.path, "damon-tui", header, list(targets), exts,
                  list(stream.warnings))


class NeedsWholeRecord(Exception):
    """The streaming path cannot give damo's result (snapshots shorter than damo's
    work time are aggregated across snapshots): use the in-memory report."""


def wss_values(stream: RecordStream, acc_thres: int, sz_thres: int,
               exclude_samples: int) -> tuple[list[tuple[object, list[int]]], int]:
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
            for k in range(first, n):
                if c.snap_end[k] - c.snap_start[k] < WORK_TIME_NS:
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


def _raw_target(stream: RecordStream, out: BinaryIO, i: int) -> int:
    tid_txt = str(stream.target_ids[i]).encode()
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
                    _lines(out, tid_txt, k0, a, k, c)
                    out.write(f"# intervals from snapshot {k0 + k}: ".encode() + (
                        b"unknown\n" if cur is None
                        else f"sample_us {cur.sample_us} aggr_us {cur.aggr_us}\n".encode()))
                    a = k
                prev = cur
        _lines(out, tid_txt, k0, a, n, c)
        written += c.offsets[n] - c.offsets[0]
        k0 += n
    return written


#: snapshots formatted per call (the text buffer is ~160 bytes per region)
RAW_BATCH = 512


def _lines(out: BinaryIO, tid_txt: bytes, k0: int, a: int, b: int, c: TargetData) -> None:
    for x in range(a, b, RAW_BATCH):
        y = min(b, x + RAW_BATCH)
        out.write(reports.format_lines(tid_txt, k0, x, y, c.snap_start, c.snap_end,
                                       c.offsets, c.starts, c.ends, c.nr_accesses, c.ages))


def _has_changes(stream: RecordStream) -> bool:
    """Whether the intervals change within the record (a cheap pre-pass, frame
    intervals only).  ``report raw`` then marks each stretch."""
    samples, aggrs = array("Q"), array("Q")
    for ch in stream.chunks():
        samples.extend(ch.frame_sample)
        aggrs.extend(ch.frame_aggr)
    ch_ = _changes(stream, samples, aggrs)
    iv = stream.intervals
    if not ch_:
        return False
    if len(ch_) == 1 and iv is not None and (iv.sample_us, iv.aggr_us) == tuple(ch_[0][1:]):
        return False
    return True
