# ruff: noqa: UP031  (printf formats kept identical to damo's, whose output we match)
"""damo's ``report wss``: the distribution of working-set sizes over snapshots.

Per snapshot, the working set is the bytes of regions with ``nr_accesses >= acc_thres``
and size ``>= sz_thres``; the first ``exclude_samples`` snapshots are dropped; values
are sorted by size (or kept in time order) and percentiles picked at index
``int(p / 100 * N)``.  By default targets are collapsed into one distribution
(target id 0), summing the per-target sorted lists index by index, as damo does.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from damon_tui._fast import binning
from damon_tui.record.model import Record, TargetData
from damon_tui.report.fmt import format_sz

#: damo's ``--work_time`` default: snapshots shorter than this are aggregated (ns)
WORK_TIME_NS = 1000


def pick(ordered: Sequence[int], p: float) -> int:
    """damo's percentile pick on sorted values: index ``int(p / 100 * N)``, clamped to
    the last."""
    n = len(ordered)
    return ordered[min(int(p / 100.0 * n), n - 1)]


def percentiles(values: Iterable[int], points: Iterable[float]) -> list[tuple[Any, int]]:
    """``(p, value)`` per point of ``values``' distribution (damo's pick); ``[]`` if empty."""
    ordered = sorted(values)
    if not ordered:
        return []
    return [(p, pick(ordered, p)) for p in points]


def snapshot_wss(t: Any, acc_thres: int = 1, sz_thres: int = 1) -> int:
    """damo's working-set size of one target's snapshot (``starts``/``ends``/
    ``nr_accesses`` arrays, as an engine ``TargetSnapshot``): bytes of regions with
    ``nr_accesses >= acc_thres`` and size ``>= sz_thres``."""
    offsets = array("q", (0, len(t.starts)))
    return binning.wss(t.starts, t.ends, t.nr_accesses, offsets, 0, 1,
                       max(acc_thres, 0), max(sz_thres, 0))[0]


def target_wss(t: TargetData, acc_thres: int = 1, sz_thres: int = 1,
               exclude_samples: int = 20) -> list[int]:
    """WSS per (kept) snapshot of one target, in time order."""
    first = min(exclude_samples, t.nr_snapshots)
    if first >= t.nr_snapshots:
        return []
    short = any(t.snap_end[i] - t.snap_start[i] < WORK_TIME_NS
                for i in range(first, t.nr_snapshots))
    if not short:
        return list(binning.wss(t.starts, t.ends, t.nr_accesses, t.offsets, first,
                                t.nr_snapshots, max(acc_thres, 0), max(sz_thres, 0)))
    return _grouped_wss(t, first, acc_thres, sz_thres)


def _grouped_wss(t: TargetData, first: int, acc_thres: int, sz_thres: int) -> list[int]:
    """damo's ``adjust_records``: snapshots shorter than the work time are aggregated
    with the following ones (max nr_accesses of overlapping regions added up); a last
    incomplete group is dropped."""
    out = []
    group: list[int] = []
    for i in range(first, t.nr_snapshots):
        group.append(i)
        if t.snap_end[group[-1]] - t.snap_start[group[0]] < WORK_TIME_NS:
            continue
        regions: list[list[int]] = []
        for k in group:
            add: dict[int, int] = {}
            a, b = t.offsets[k], t.offsets[k + 1]
            for s, e, n in zip(t.starts[a:b], t.ends[a:b], t.nr_accesses[a:b], strict=True):
                _add_region(regions, [s, e, n], add)
            for idx, n in add.items():
                regions[idx][2] += n
        out.append(sum(e - s for s, e, n in regions
                       if n >= acc_thres and e - s >= sz_thres))
        group = []
    return out


def _add_region(regions: list[list[int]], region: list[int], add: dict[int, int]) -> None:
    for idx, r in enumerate(regions):
        if r[1] <= region[0] or region[1] <= r[0]:
            continue
        add[idx] = max(add.get(idx, 0), region[2])
        if region[0] < r[0]:
            _add_region(regions, [region[0], r[0], region[2]], add)
        if r[1] < region[1]:
            _add_region(regions, [r[1], region[1], region[2]], add)
        return
    regions.append(region)


def wss_dists(record: Record, acc_thres: int = 1, sz_thres: int = 1,
              exclude_samples: int = 20, sort: bool = True,
              collapse: bool = True) -> dict[int | None, list[int]]:
    """Per target id (or ``{0: ...}`` when collapsed) the WSS values."""
    return combine([(t.target_id, target_wss(t, acc_thres, sz_thres, exclude_samples))
                    for t in record.targets], sort, collapse)


def combine(values: list[tuple[int | None, list[int]]], sort: bool = True,
            collapse: bool = True) -> dict[int | None, list[int]]:
    """Per-target WSS values (time order) -> the distributions ``report wss`` prints."""
    dists: dict[int | None, list[int]] = {}
    for tid, d in values:
        if sort:
            d.sort()
        dists[tid] = d
    if collapse:
        merged: list[int] = []
        for d in dists.values():
            for i, v in enumerate(d):
                if i < len(merged):
                    merged[i] += v
                else:
                    merged.append(v)
        dists = {0: merged}
    return dists


def format_dist(dist: list[int], percentiles: Iterable[int], nr_cols_bar: int = 59,
                raw: bool = False, all_values: bool = False, metric: str = "wss") -> str:
    """damo's ``fmt_dists``: ``# avr:``, then ``%3d %15s |****|`` per percentile."""
    lines = [f"# <percentile> <{metric}>"]
    if not dist:
        lines.append("# no snapshot")
        return "\n".join(lines)
    lines.append("# avr:\t%s" % format_sz(sum(dist) / len(dist), raw))
    if all_values:
        lines += ["%s %s" % (i, format_sz(v, raw)) for i, v in enumerate(dist)]
        return "\n".join(lines)
    picked = [(p, pick(dist, p)) for p in percentiles]
    val_per_col = 1.0
    if nr_cols_bar > 0:
        max_val = max((v for _, v in picked), default=0)
        val_per_col = max_val / nr_cols_bar if max_val > 0 else 1
    for p, val in picked:
        line = "%3d %15s" % (p, format_sz(val, raw))
        if nr_cols_bar > 0:
            cols = int(val / val_per_col)
            line += " |%s%s|" % ("*" * cols, " " * (nr_cols_bar - cols))
        lines.append(line)
    return "\n".join(lines)


def report(record: Record, percentiles: Iterable[int] = range(0, 101, 25),
           acc_thres: int = 1, sz_thres: int = 1, exclude_samples: int = 20,
           sort: bool = True, collapse: bool = True, nr_cols_bar: int = 59,
           raw: bool = False, all_values: bool = False) -> str:
    """The whole ``report wss`` text, as damo prints it."""
    return format_report(wss_dists(record, acc_thres, sz_thres, exclude_samples, sort,
                                   collapse), percentiles, nr_cols_bar, raw, all_values)


def format_report(dists: dict[int | None, list[int]], percentiles: Iterable[int],
                  nr_cols_bar: int = 59, raw: bool = False, all_values: bool = False) -> str:
    out = []
    percentiles = list(percentiles)
    for tid, dist in dists.items():
        out.append("# target_id\t%s" % tid)
        out.append(format_dist(dist, percentiles, nr_cols_bar, raw, all_values))
    return "\n".join(out)
