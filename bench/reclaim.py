"""DAMON_RECLAIM on the built-in simulated workloads: memory saved, refaults, slowdown,
and the time spent applying schemes per second of monitoring against the time quota.

    python bench/reclaim.py [--duration 300s] [--workloads zigzag,stairs] [--seed 0]

Configurations: DAMON_RECLAIM's defaults (min_age 120 s, 10 ms / 128 MiB per s,
watermarks 500/400/200) and the docs' example profile (min_age 30 s, 1 GiB per s),
and the defaults with min_age 5 s.
"Saved" is the baseline run's average RSS minus the run's average RSS (same workload,
same seed, no scheme): the DAMON papers' memory-saving measure.  Slowdown is the sim's
model: refaults x refault cost / elapsed time.  "action ms/s" is the time charged to
the time quota per second of (virtual) monitoring: the sim's modelled cost of the
actions (``damon_tui.ops.sim.ActionCosts``: 20 us per page paged out, 100 ns per page
scanned, 1 us per call); "max/win" is the most charged in one reset interval after
the first (which starts from the kernel's 4 MiB/ms throughput guess); the quota allows
"quota ms/s".  "wall ms/s" is our own wall time in DAMOS passes per monitored second.
"""

from __future__ import annotations

import argparse
import sys
import time

from damon_tui.damos.runtime import runner_for
from damon_tui.engine import Attrs, Monitor
from damon_tui.ops.sim import SimOps, builtin_workloads
from damon_tui.options.schemes import config_from_args
from damon_tui.units import format_size, parse_time_us

CONFIGS = (("none", None), ("reclaim defaults", ("reclaim", None, [])),
           ("reclaim-example", ("reclaim", "reclaim-example", [])),
           ("min_age=5s", ("reclaim", None, ["min_age=5s"])))


def run_one(workload: str, config, duration_us: int, seed: int) -> dict:
    ops = SimOps(workload, seed=seed)
    schemes: tuple = ()
    attrs = Attrs()
    if config is not None:
        preset, profile, params = config
        ns = argparse.Namespace(preset=None if profile else preset, profile=profile,
                                param=params, profiles_dir=None, schemes=None)
        schemes, attrs = config_from_args(ns, attrs)
    m = Monitor(ops, attrs, seed=seed,
                damos=runner_for(schemes, ops, attrs.sample_us, attrs.aggr_us))
    t0 = time.perf_counter()
    windows: dict[int, int] = {}
    prev = 0
    for _ in m.run(duration_us):
        if m.damos is not None:
            q = m.damos.states[0].quota
            if q.charged_from is not None:
                windows[q.charged_from] = windows.get(q.charged_from, 0) + (
                    q.total_charged_ns - prev)
            prev = q.total_charged_ns
    wall = time.perf_counter() - t0
    st = ops.stats()
    out = {"avg_rss": st.avg_rss_bytes, "rss": st.rss_bytes, "refaults": st.refaults,
           "slowdown": st.slowdown, "paged_out": st.bytes_paged_out, "wall": wall,
           "monitored_s": m.now_us / 1e6}
    if m.damos is not None:
        s = m.damos.stats()[0]
        q = m.damos.states[0].quota
        charged = [ns for _, ns in sorted(windows.items())]
        first = next((i for i, ns in enumerate(charged) if ns), len(charged))
        later = charged[first + 1:]  # after the first window that charged anything
        out.update(wall_ms_per_s=m.damos.apply_ns / 1e6 / out["monitored_s"],
                   action_ms_per_s=q.total_charged_ns / 1e6 / out["monitored_s"],
                   max_win_ms=max(later, default=0) / 1e6,
                   quota_ms=q.quota.ms, reset_ms=q.quota.reset_interval_ms,
                   sz_applied=s.sz_applied, qt_exceeds=s.qt_exceeds,
                   idle_s=m.damos.wmarks.idle_us / 1e6)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", default="300s", help="virtual time per run (300s)")
    ap.add_argument("--workloads", default=",".join(builtin_workloads()))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    duration_us = parse_time_us(args.duration)
    workloads = [w for w in args.workloads.split(",") if w]
    progress = None
    if sys.stderr.isatty():
        from rich.progress import Progress
        progress = Progress(transient=True)
        progress.start()
        task = progress.add_task("runs", total=len(workloads) * len(CONFIGS))
    hdr = (f"{'workload':10} {'config':17} {'avg rss':>11} {'saved':>11} {'saved%':>6} "
           f"{'paged out':>11} {'refaults':>9} {'slowdown':>8} {'action ms/s':>11} "
           f"{'max/win':>7} {'quota ms/s':>10} {'qt_exc':>6} {'paused':>7} "
           f"{'wall ms/s':>9} {'wall s':>6}")
    rows = []
    try:
        for w in workloads:
            base = None
            for name, cfg in CONFIGS:
                r = run_one(w, cfg, duration_us, args.seed)
                if progress is not None:
                    progress.advance(task)
                if cfg is None:
                    base = r
                saved = base["avg_rss"] - r["avg_rss"]
                pct = 100 * saved / base["avg_rss"] if base["avg_rss"] else 0.0
                if cfg is None:
                    extra = (f"{'-':>11} {'-':>7} {'-':>10} {'-':>6} {'-':>7} "
                             f"{'-':>9}")
                else:
                    quota = r["quota_ms"] * 1000 / r["reset_ms"]
                    extra = (f"{r['action_ms_per_s']:11.3f} {r['max_win_ms']:7.2f} "
                             f"{quota:10.1f} {r['qt_exceeds']:6d} {r['idle_s']:6.0f}s "
                             f"{r['wall_ms_per_s']:9.3f}")
                rows.append(f"{w:10} {name:17} {format_size(r['avg_rss']):>11} "
                            f"{format_size(saved):>11} {pct:5.1f}% "
                            f"{format_size(r['paged_out']):>11} {r['refaults']:9d} "
                            f"{r['slowdown'] * 100:7.2f}% {extra} {r['wall']:6.2f}")
    finally:
        if progress is not None:
            progress.stop()
    print(f"# DAMON_RECLAIM in the sim: {args.duration} virtual per run, seed {args.seed}")
    print(hdr)
    for row in rows:
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
