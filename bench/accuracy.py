"""How close is DAMON's estimate to the simulated ground truth?

For each built-in workload and max_nr_regions in (100, 1000) this runs the engine on
``SimOps`` and compares, per aggregation window:

- per-byte access frequency: the engine's estimate for a byte is its region's
  ``nr_accesses / nr_samples``; the truth is the share of the window's sampling
  intervals in which the byte's page was touched.  Reported as the mean absolute error
  over all mapped bytes and windows (0 = perfect, 1 = always entirely wrong).
- working-set size: the engine's WSS (bytes of regions with nr_accesses >= 1) against
  the bytes of pages touched during the window; mean absolute error, in bytes and as a
  share of the mean true WSS.

Most built-ins need only 10-16 regions, so max_nr_regions 100 and 1000 give the same
result.  ``mosaic`` is the one that needs more: its 96 mappings take one region each
and its 12 scanned tables need about 3 more each (a hot-to-cold ramp), about 136 in
all.  At 100 DAMON cannot split the ramps out, so each scanned table reads as one
averaged region (its never-touched 2 MiB tail is counted in the WSS); at 1000 it can.

Each run covers one pass of the workload's phases, at least 30 s of virtual time (mosaic's
pass is under 0.1 s and loops).

Also prints the sim's own cost: checks of 1000 addresses per second (what the engine
pays per sample).

    python bench/accuracy.py [--duration 60s] [--every 1] [--workloads zigzag,stairs]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from array import array

from damon_tui.engine import Attrs, Monitor
from damon_tui.ops.sim import SimOps, builtin_workloads
from damon_tui.units import format_size, parse_time_us

#: shortest default run (virtual time), for workloads whose pass is short
MIN_DURATION_US = 30_000_000


def sim_query_speed(name: str = "zigzag", nr_addrs: int = 1000, rounds: int = 5000) -> float:
    """Address checks per second of wall time (each call checks ``nr_addrs``)."""
    ops = SimOps(name)
    rnd = random.Random(0)
    addrs = array("Q", [rnd.randrange(s, e) for s, e in ops.mappings
                        for _ in range(nr_addrs // len(ops.mappings))])
    out = array("B", bytes(len(addrs)))
    t = 20_000_000
    start = time.perf_counter()
    for _ in range(rounds):
        ops.prepare_access_checks(0, addrs, t)
        t += 5000
        ops.check_accesses(0, addrs, out, t)
    return rounds * len(addrs) / (time.perf_counter() - start)


def measure(name: str, max_nr: int, duration_us: int, every: int, progress=None) -> dict:
    ops = SimOps(name)
    mon = Monitor(ops, Attrs(max_nr_regions=max_nr), seed=0)
    err_sum = 0.0
    err_pages = 0
    wss_err = 0.0
    wss_true_sum = 0.0
    n = 0
    regions = 0
    t_engine = 0.0
    t0 = time.perf_counter()
    it = iter(mon.run(duration_us))
    k = 0
    while True:
        t_start = time.perf_counter()
        snap = next(it, None)
        t_engine += time.perf_counter() - t_start
        if snap is None:
            break
        k += 1
        if progress is not None:
            progress(snap.end_us)
        if (k - 1) % every:
            continue
        target = snap.targets[0]
        regions += len(target)
        err, pages = ops.true_freq_abs_error(target, snap.start_us, snap.end_us,
                                             snap.sample_us, snap.nr_samples)
        err_sum += err
        err_pages += pages
        est_wss = sum(e - s for s, e, nr, _ in target if nr >= 1)
        true_wss = sum(ops.true_touched_bytes(s, e, snap.start_us, snap.end_us)
                       for s, e in ops.mappings)
        wss_err += abs(est_wss - true_wss)
        wss_true_sum += true_wss
        n += 1
    return {
        "freq_mae": err_sum / err_pages if err_pages else 0.0,
        "wss_mae": wss_err / n if n else 0.0,
        "wss_rel": wss_err / wss_true_sum if wss_true_sum else 0.0,
        "regions": regions / n if n else 0.0,
        "windows": n,
        "engine_s": t_engine,
        "total_s": time.perf_counter() - t0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", default=None,
                        help="virtual time per run (default: one pass of the workload, "
                        "at least 30 s)")
    parser.add_argument("--every", type=int, default=5,
                        help="compare every Nth aggregation window (default 5; 1 = all, "
                        "about 5x slower: the truth walks every page of every window)")
    parser.add_argument("--workloads", default=",".join(builtin_workloads()))
    parser.add_argument("--max-nr-regions", default="100,1000")
    args = parser.parse_args(argv)

    speed = sim_query_speed()
    print(f"sim access checks: {speed / 1e6:.1f} M addresses/s "
          f"({1000 / speed * 1e6:.2f} us per check of 1000 addresses)")
    print()
    header = (f"{'workload':<11} {'max_nr':>6} {'regions':>7} {'windows':>7} "
              f"{'freq MAE':>8} {'WSS MAE':>12} {'WSS rel':>7} {'engine s':>8}")
    print(header)
    print("-" * len(header))
    bar = None
    if sys.stderr.isatty():
        from rich.progress import Progress

        bar = Progress(transient=True)
        bar.start()
    for name in args.workloads.split(","):
        ops = SimOps(name)
        duration = (parse_time_us(args.duration, "duration", default_unit="s")
                    if args.duration
                    else max(ops.workload.duration_ms * 1000, MIN_DURATION_US))
        for max_nr in (int(x) for x in args.max_nr_regions.split(",")):
            update = None
            if bar is not None:
                task = bar.add_task(f"{name} max_nr {max_nr}", total=duration)

                def update(now_us: int, task=task) -> None:
                    bar.update(task, completed=now_us)

            r = measure(name, max_nr, duration, args.every, update)
            if bar is not None:
                bar.remove_task(task)
            print(f"{name:<11} {max_nr:>6} {r['regions']:>7.0f} {r['windows']:>7} "
                  f"{r['freq_mae']:>8.3f} {format_size(r['wss_mae']):>12} "
                  f"{r['wss_rel']:>6.1%} {r['engine_s']:>8.2f}", flush=True)
    if bar is not None:
        bar.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
