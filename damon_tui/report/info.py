"""``report info``: what a record holds (header, time span, snapshots, targets, regions)."""

from __future__ import annotations

import datetime as _dt

from damon_tui.damos.describe import describe
from damon_tui.damos.io import schemes_from_json
from damon_tui.errors import UserError
from damon_tui.record.model import Record
from damon_tui.report.fmt import format_sz, format_time_ns
from damon_tui.report.intervals import changes
from damon_tui.units import format_time_us

#: interval stretches listed by ``report info`` before eliding the middle
MAX_CHANGE_LINES = 12


def _goal_text(goal: dict) -> str:
    try:
        bp = int(goal.get("access_bp", 0))
        return (f"intervals goal: {bp} bp ({bp / 100:g}%) of the possible access events, "
                f"checked every {int(goal['aggrs'])} aggregations, sampling within "
                f"{format_time_us(int(goal.get('min_sample_us', 0)))}.."
                f"{format_time_us(int(goal.get('max_sample_us', 0)))}")
    except (KeyError, TypeError, ValueError):
        return f"intervals goal: {goal}"


def _changes_lines(record: Record) -> list[str]:
    """Stretches of equal intervals (when they change): snapshots, time, duration."""
    ch = changes(record)
    t = next((t for t in record.targets if t.nr_snapshots), None)
    if not ch or t is None:
        return []
    n = t.nr_snapshots
    samples = [s for _, s, _ in ch if s]
    lines = [f"intervals: changed {len(ch) - 1} time{'s' if len(ch) != 2 else ''} "
             f"(sampling {format_time_us(min(samples)) if samples else '?'}.."
             f"{format_time_us(max(samples)) if samples else '?'}); per stretch:"]
    shown = list(range(len(ch)))
    if len(ch) > MAX_CHANGE_LINES:
        half = MAX_CHANGE_LINES // 2
        shown = shown[:half] + [-1] + shown[-half:]
    for i in shown:
        if i < 0:
            lines.append(f"  ... {len(ch) - MAX_CHANGE_LINES} more")
            continue
        first, sample, aggr = ch[i]
        last = (ch[i + 1][0] if i + 1 < len(ch) else n) - 1
        if first >= n:
            break
        last = min(last, n - 1)
        start, end = t.snap_start[first], t.snap_end[last]
        what = (f"sample_us {sample}, aggr_us {aggr}" if sample and aggr
                else "intervals unknown")
        lines.append(f"  snapshots {first}..{last}: {what}, time [{format_time_ns(start)}, "
                     f"{format_time_ns(end)}) ({format_time_ns(end - start)})")
    return lines


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
        lines.append("attrs: " + ", ".join(f"{k} {v}" for k, v in attrs.items()
                                           if k != "intervals_goal"))
        goal = attrs.get("intervals_goal")
        if isinstance(goal, dict) and goal.get("aggrs"):
            lines.append(_goal_text(goal))
    elif iv is not None:
        lines.append(f"attrs: sample_us {iv.sample_us}, aggr_us {iv.aggr_us}, "
                     f"update_us {iv.update_us}")
    else:
        lines.append("attrs: unknown (heat is shown in samples)")
    lines += _changes_lines(record)
    if h.get("schemes"):
        lines += _schemes_lines(h["schemes"], iv.aggr_us if iv is not None else None)
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


def _schemes_lines(raw: object, aggr_us: int | None) -> list[str]:
    """The record's schemes in words, one per line (the stored JSON if unreadable)."""
    try:
        schemes = schemes_from_json(raw, "header schemes")
    except UserError as e:
        return [f"schemes: unreadable ({e})"]
    return ["schemes:"] + [f"  #{i} {describe(s, aggr_us)}" for i, s in enumerate(schemes)]
