"""``report info``: what a record holds (header, time span, snapshots, targets, regions)."""

from __future__ import annotations

import datetime as _dt

from damon_tui.record.model import Record
from damon_tui.report.fmt import format_sz, format_time_ns


def report_info(record: Record) -> str:
    h = record.header
    lines = [f"file: {record.path}", f"format: {record.format}"]
    if record.format == "damon-tui":
        lines.append(f"format version: {h.get('version')}")
        if h.get("created_by"):
            lines.append(f"created by: {h['created_by']}")
        st = h.get("start_time")
        if isinstance(st, (int, float)):
            when = _dt.datetime.fromtimestamp(st, _dt.UTC)
            lines.append(f"started: {when.isoformat(timespec='seconds')}")
        lines.append(f"ops: {h.get('ops')} ({h.get('clock')} clock, "
                     f"{h.get('resolution')} resolution"
                     + (f", {h['access_check']}" if h.get("access_check") else "") + ")")
        if h.get("converted_from"):
            lines.append(f"converted from: {h['converted_from']}")
    attrs = h.get("attrs")
    iv = record.intervals
    if isinstance(attrs, dict):
        lines.append("attrs: " + ", ".join(f"{k} {v}" for k, v in attrs.items()))
    elif iv is not None:
        lines.append(f"attrs: sample_us {iv.sample_us}, aggr_us {iv.aggr_us}, "
                     f"update_us {iv.update_us}")
    else:
        lines.append("attrs: unknown (heat is shown in samples)")
    if h.get("schemes"):
        lines.append(f"schemes: {h['schemes']}")
    lines.append(f"snapshots: {record.nr_snapshots}")
    lines.append(f"regions: {record.nr_regions}")
    if record.extensions:
        lines.append(f"frames with extension data (scheme stats): {len(record.extensions)}")
    for t in record.targets:
        lines.append(f"target {t.target_id}: {t.description}")
        n = t.nr_snapshots
        if n == 0:
            lines.append("  no snapshots")
            continue
        counts = [t.offsets[k + 1] - t.offsets[k] for k in range(n)]
        start, end = t.snap_start[0], t.snap_end[-1]
        lines.append(f"  time: [{format_time_ns(start)}, {format_time_ns(end)}) "
                     f"({format_time_ns(end - start)})")
        lines.append(f"  snapshots: {n}, regions: {t.nr_regions} "
                     f"(per snapshot min {min(counts)}, avg {t.nr_regions / n:.1f}, "
                     f"max {max(counts)})")
        if t.nr_regions:
            lo, hi = min(t.starts), max(t.ends)
            lines.append(f"  address span: [{lo:#x}, {hi:#x}) ({format_sz(hi - lo)})")
    for w in record.warnings:
        lines.append(f"damage: {w}")
    return "\n".join(lines)
