"""whatif against ground truth: DAMON_RECLAIM replayed on a record vs run live in the sim.

    python bench/whatif_vs_live.py [--duration 120s] [--workloads stairs,kvstore]
                                   [--min-ages 5s,20s,120s] [--seed 0]

For each workload: (1) live: the sim workload with DAMON_RECLAIM (each min_age) and
without (baseline), as ``bench/reclaim.py`` does; (2) record: the same workload
monitored without schemes, written as a damon-tui record and read back; (3) whatif:
the record replayed with the same DAMON_RECLAIM configurations.  Printed side by
side: memory saved (average RSS vs the baseline, in % of the baseline), refaults,
modelled slowdown, DAMOS time per second, quota exceeded; "diff" is whatif - live in
percentage points of the baseline's average RSS (saved) and percentage points of
slowdown.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from reclaim import run_one  # bench/reclaim.py: the live DAMON_RECLAIM runs

from damon_tui.engine import Attrs, Monitor
from damon_tui.ops.sim import SimOps
from damon_tui.options.whatif import sweep_configs
from damon_tui.record import open_record, write_record
from damon_tui.record.model import Intervals, Record, TargetData
from damon_tui.units import parse_time_us
from damon_tui.whatif import record_attrs, run_whatif


def record_workload(workload: str, duration_us: int, seed: int, path: Path) -> Record:
    """Monitor ``workload`` without schemes and write the record to ``path``."""
    ops = SimOps(workload, seed=seed)
    attrs = Attrs()
    t = TargetData(0, f"sim:{workload}", Intervals(attrs.sample_us, attrs.aggr_us,
                                                   attrs.update_us))
    for snap in Monitor(ops, attrs, seed=seed).run(duration_us):
        ts = snap.targets[0]
        t.append_arrays(snap.start_us * 1000, snap.end_us * 1000, ts.starts, ts.ends,
                        ts.nr_accesses, ts.ages)
    write_record(str(path), Record(str(path), "damon-tui", {}, [t]))
    return open_record(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", default="120s", help="virtual time per run (120s)")
    ap.add_argument("--workloads", default="stairs,kvstore,hotset")
    ap.add_argument("--min-ages", default="5s,20s,120s")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    duration_us = parse_time_us(args.duration)
    ages = [a for a in args.min_ages.split(",") if a]
    workloads = [w for w in args.workloads.split(",") if w]
    print(f"# DAMON_RECLAIM, whatif on a record vs live in the sim: {args.duration} "
          f"virtual per run, seed {args.seed}")
    print(f"{'workload':9} {'min_age':>7} | {'saved% live':>11} {'whatif':>7} {'diff':>6} | "
          f"{'refaults live':>13} {'whatif':>7} | {'slowdown live':>13} {'whatif':>7} "
          f"{'diff':>7} | {'damos ms/s live':>15} {'whatif':>7} | {'qt_exc live':>11} "
          f"{'whatif':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for w in workloads:
            base_live = run_one(w, None, duration_us, args.seed)
            rec = record_workload(w, duration_us, args.seed, Path(tmp) / f"{w}.rec")
            ns = argparse.Namespace(preset="reclaim", profile=None, param=[],
                                    profiles_dir=None, schemes=None,
                                    sweep="min_age=" + ",".join(ages))
            base, rows = run_whatif(rec, sweep_configs(ns, record_attrs(rec)),
                                    seed=args.seed)
            for age, row in zip(ages, rows, strict=True):
                live = run_one(w, ("reclaim", None, [f"min_age={age}"]), duration_us,
                               args.seed)
                saved_live = 100 * (base_live["avg_rss"] - live["avg_rss"]) \
                    / base_live["avg_rss"]
                saved_wi = 100 * row.saved_avg / base.avg_rss
                sl_live, sl_wi = 100 * live["slowdown"], 100 * row.slowdown
                print(f"{w:9} {age:>7} | {saved_live:10.2f}% {saved_wi:6.2f}% "
                      f"{saved_wi - saved_live:+6.2f} | {live['refaults']:13d} "
                      f"{row.refaults:7d} | {sl_live:12.3f}% {sl_wi:6.3f}% "
                      f"{sl_wi - sl_live:+7.3f} | {live['action_ms_per_s']:15.3f} "
                      f"{row.damos_ms_per_s:7.3f} | {live['qt_exceeds']:11d} "
                      f"{row.qt_exceeds:6d}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
