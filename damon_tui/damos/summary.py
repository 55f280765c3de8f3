"""The closing DAMOS summary of ``monitor`` and ``record``: per-scheme statistics."""

from __future__ import annotations

from typing import Any, TextIO

from damon_tui.damos.presets import PRESETS, stats_params
from damon_tui.units import format_size, format_time_us


def scheme_summary_lines(monitor: Any) -> list[str]:
    """Per-scheme statistics and, for the sim, memory saved / refaults / slowdown."""
    runner = getattr(monitor, "damos", None)
    if runner is None:
        return []
    lines = ["# DAMOS schemes:"]
    how = "modelled" if getattr(runner, "_modelled", False) else "measured"
    stats = runner.stats()
    for i, (s, st) in enumerate(zip(runner.schemes, stats, strict=True)):
        charged_us = runner.states[i].quota.total_charged_ns / 1000
        lines.append(
            f"#   {i} {s.action}: nr_tried {st.nr_tried} sz_tried {st.sz_tried} "
            f"({format_size(st.sz_tried)}) nr_applied {st.nr_applied} sz_applied "
            f"{st.sz_applied} ({format_size(st.sz_applied)}) sz_ops_filter_passed "
            f"{st.sz_ops_filter_passed} qt_exceeds {st.qt_exceeds}; action time "
            f"{format_time_us(charged_us)} ({how}), {'active' if st.active else 'inactive'}")
    lines += module_stats_lines(runner.schemes, stats)
    lines.append(f"#   wall time in DAMOS passes {format_time_us(runner.apply_ns / 1000)} "
                 f"over {runner.nr_passes} passes; monitoring paused by watermarks "
                 f"{format_time_us(runner.wmarks.idle_us)}")
    stats_fn = getattr(monitor.ops, "stats", None)
    if callable(stats_fn) and getattr(monitor.ops, "kind", "") == "sim":
        st = stats_fn()
        saved = st.peak_rss_bytes - st.rss_bytes
        lines.append(
            f"#   sim: rss {format_size(st.rss_bytes)} (peak {format_size(st.peak_rss_bytes)},"
            f" saved {format_size(saved)}), paged out {format_size(st.bytes_paged_out)}, "
            f"refaults {st.refaults}, modelled slowdown {st.slowdown * 100:.2f}% "
            f"({st.refault_cost_us:g} us per refault), free memory {st.free_mem_rate} permil")
    return lines


def module_stats_lines(schemes, stats) -> list[str]:
    """Each preset module's read-only statistics, under their parameter names, from
    that module's own schemes (found by origin, whatever their position)."""
    lines = []
    for preset in PRESETS.values():
        mine = tuple(st for s, st in zip(schemes, stats, strict=True)
                     if getattr(s, "origin", "").startswith(preset.title + " "))
        if not mine:
            continue
        values = stats_params(preset, mine)
        lines.append(f"# {preset.title} ({preset.module}): "
                     + " ".join(f"{k} {v}" for k, v in values.items()))
    return lines


def print_scheme_summary(monitor: Any, out: TextIO) -> None:
    for line in scheme_summary_lines(monitor):
        print(line, file=out)
