"""``damon-tui monitor``: print what DAMON sees, per aggregation interval or every N."""

from __future__ import annotations

import argparse
import sys

from damon_tui.damos.summary import print_scheme_summary
from damon_tui.options.attrs import add_attrs_arguments, attrs_from_args, retuner_from_args
from damon_tui.options.kernel import add_kernel_arguments
from damon_tui.options.monitor import monitor_from_args
from damon_tui.options.schemes import add_scheme_arguments
from damon_tui.options.targets import add_target_arguments, ops_from_args
from damon_tui.report.wss import percentiles, snapshot_wss
from damon_tui.signals import interrupt_on_signals
from damon_tui.units import format_size, format_time_us, parse_time_us

NAME = "monitor"
HELP = "monitor a target and print regions, working-set size and the hottest regions"

#: percentiles of the closing working-set summary, as damo's ``report wss`` default
SUMMARY_PERCENTILES = (0, 25, 50, 75, 100)
DEFAULT_SIM_DURATION_US = 70_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser, default_sim="zigzag")
    add_attrs_arguments(parser)
    parser.add_argument("--duration", metavar="TIME", default=None,
                        help="how long to monitor, in the target's clock (simulated "
                        "workloads: 70s; real targets: until the target exits or Ctrl-C)")
    parser.add_argument("--every", metavar="TIME", default="1s",
                        help="print one line per this much monitored time (1s; "
                        "'0' prints every aggregation interval)")
    parser.add_argument("--hottest", metavar="N", type=int, default=3,
                        help="hottest regions shown per line (3)")
    add_scheme_arguments(parser)
    add_kernel_arguments(parser)


def _region_text(start: int, end: int, nr: int, age: int, nr_samples: int) -> str:
    return f"{start:#x}-{end:#x} {format_size(end - start)} {nr}/{nr_samples} age {age}"


def goal_text(attrs) -> str:
    """``, intervals goal ...`` for the banner when auto-tuning is on, else ``""``."""
    goal = attrs.intervals_goal
    if not goal.enabled:
        return ""
    return (f", intervals goal {goal.access_bp} bp per {goal.aggrs} aggrs, sample "
            f"{format_time_us(goal.min_sample_us)}..{format_time_us(goal.max_sample_us)}")


def run(args: argparse.Namespace) -> int:
    from damon_tui.errors import UserError

    attrs_from_args(args)  # refuse bad attributes before launching or attaching to anything
    duration_us = None if args.duration is None else parse_time_us(args.duration, "--duration")
    every_us = parse_time_us(args.every, "--every")
    if args.hottest < 0:
        raise UserError(f"--hottest: expected 0 or more regions, got {args.hottest}")
    with interrupt_on_signals():  # SIGTERM / SIGHUP end monitoring like Ctrl-C
        if args.kernel:
            from damon_tui.options.kernel import kernel_monitor_from_args

            monitor = kernel_monitor_from_args(args)  # the kernel's own DAMON (our kdamond)
            ops, retune = monitor.ops, None
        else:
            ops = ops_from_args(args, seed=args.seed)
            monitor, duration_us = monitor_from_args(args, ops, duration_us,
                                                     DEFAULT_SIM_DURATION_US)
            retune = retuner_from_args(args, monitor)  # real targets: follow the measured cost
        return _monitor(ops, monitor, retune, duration_us, every_us, args.hottest)


def _monitor(ops, monitor, retune, duration_us, every_us: int, hottest: int) -> int:
    """Print per-interval lines, then the summary (also when interrupted)."""
    attrs = monitor.attrs
    out = sys.stdout
    target = ", ".join(t.description for t in ops.targets())
    print(f"# damon-tui monitor: {target} (ops {ops.kind}, {ops.access_check}, "
          f"{ops.resolution} resolution), sample {format_time_us(attrs.sample_us)}, "
          f"aggr {format_time_us(attrs.aggr_us)}, regions {attrs.min_nr_regions}.."
          f"{attrs.max_nr_regions}{goal_text(attrs)}", file=out)
    print(f"# {'time':>9} {'regions':>7} {'wss':>12}  hottest regions "
          "(start-end size nr_accesses/samples age)", file=out)
    wss_history: list[int] = []
    next_print = 0
    last = None
    shown = (attrs.sample_us, attrs.aggr_us)  # the intervals the output last stated
    try:
        for snap in monitor.run(duration_us):
            last = snap
            nr_samples = snap.aggr_us // snap.sample_us
            regions = [r for t in snap.targets for r in t]
            wss = sum(snapshot_wss(t) for t in snap.targets)
            wss_history.append(wss)
            if snap.end_us >= next_print:
                next_print = snap.end_us + every_us
                if (snap.sample_us, snap.aggr_us) != shown:
                    shown = (snap.sample_us, snap.aggr_us)
                    print(f"# intervals now: sample {format_time_us(snap.sample_us)}, aggr "
                          f"{format_time_us(snap.aggr_us)} ({nr_samples} samples per "
                          "aggregation)", file=out)
                hot = sorted(regions, key=lambda r: (-r[2], -(r[1] - r[0])))[:hottest]
                hot_text = "; ".join(_region_text(s, e, nr, age, nr_samples)
                                      for s, e, nr, age in hot if nr > 0)
                print(f"{format_time_us(snap.end_us):>11} {len(regions):>7} "
                      f"{format_size(wss):>12}  {hot_text or '-'}", file=out)
            if retune is not None and (new := retune.poll()) is not None:
                shown = (new.sample_us, new.aggr_us)
                print(f"# intervals retuned to the measured access-check cost: sample "
                      f"{format_time_us(new.sample_us)}, aggr {format_time_us(new.aggr_us)}",
                      file=out)
    except KeyboardInterrupt as e:
        print(f"# {e.args[0]} received" if e.args else "# interrupted", file=out)
    finally:
        ops.close()
    if not wss_history:
        print("# no aggregation interval completed", file=out)
        _summary(monitor, out)
        return 0
    assert last is not None  # wss_history has a value per snapshot
    # the engine's clock, not the last window's end: watermarks may pause monitoring
    print(f"# {len(wss_history)} aggregation intervals, "
          f"{format_time_us(max(last.end_us, monitor.now_us))} monitored", file=out)
    print("# working-set size percentiles:", file=out)
    for p, value in percentiles(wss_history, SUMMARY_PERCENTILES):
        print(f"#   {p:>3} {format_size(value):>12}", file=out)
    print(f"#   avr {format_size(sum(wss_history) / len(wss_history)):>12}", file=out)
    _summary(monitor, out)
    return 0


def _summary(monitor, out) -> None:
    """DAMOS statistics: the engine's, or the kernel's as read from its stats files."""
    print_scheme_summary(monitor, out)
    for line in getattr(monitor, "summary_lines", list)():
        print(line, file=out)
