"""DAMON_RECLAIM on the built-in simulated workloads: memory saved, refaults, slowdown,
and the time spent applying schemes per second of monitoring against the time quota.

    python bench/reclaim.py [--duration 300s] [--workloads zigzag,stairs] [--seed 0]

Configurations: DAMON_RECLAIM's defaults (min_age 120 s, 10 ms / 128 MiB per s,
watermarks 500/400/200) and the docs' example profile (min_age 30 s, 1 GiB per s),
and the defaults with min_age 5 s.
"Saved" is the baseline run's average RSS minus the run's average RSS (same workload,
same seed, no scheme): the DAMON papers' memory-saving measure.  Slowdown is the sim's
model: refaults x refault cost / elapsed time.  "apply ms/s" is wall time spent in
DAMOS passes per second of (virtual) monitoring; "ops ms/s" is the part charged to the
time quota (the ops' apply calls); the quota allows quota_ms per reset interval.
"""

from __future__ import annotations

import argparse
import sys
import time

from damon_tui.damos.cli_args import config_from_args
from damon_tui.engine import Attrs, Monitor
from damon_tui.ops.sim import SimOps, builtin_workloads
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
    m = Monitor(ops, attrs, seed=seed, schemes=schemes)
    t0 = time.perf_counter()
    for _ in m.run(duration_us):
        pass
    wall = time.perf_counter() - t0
    st = ops.stats()
    out = {"avg_rss": st.avg_rss_bytes, "rss": st.rss_bytes, "refaults": st.refaults,
           "slowdown": st.slowdown, "paged_out": st.bytes_paged_out, "wall": wall,
           "monitored_s": m.now_us / 1e6}
    if m.damos is not None:
        s = m.damos.stats()[0]
        q = m.damos.states[0].quota
        out.update(apply_ms_per_s=m.damos.apply_ns / 1e6 / out["monitored_s"],
                   ops_ms_per_s=q.total_charged_ns / 1e6 / out["monitored_s"],
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
           f"{'paged out':>11} {'refaults':>9} {'slowdown':>8} {'apply ms/s':>10} "
           f"{'ops ms/s':>8} {'quota ms/s':>10} {'qt_exc':>6} {'paused':>7} {'wall s':>6}")
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
                    extra = f"{'-':>10} {'-':>8} {'-':>10} {'-':>6} {'-':>7}"
                else:
                    quota = r["quota_ms"] * 1000 / r["reset_ms"]
                    extra = (f"{r['apply_ms_per_s']:10.3f} {r['ops_ms_per_s']:8.3f} "
                             f"{quota:10.1f} {r['qt_exceeds']:6d} {r['idle_s']:6.0f}s")
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
