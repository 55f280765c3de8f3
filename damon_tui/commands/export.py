"""``damon-tui export --prometheus ADDR:PORT``: serve DAMON metrics to Prometheus."""

from __future__ import annotations

import argparse
import sys
import threading

from damon_tui.options.attrs import add_attrs_arguments, attrs_from_args
from damon_tui.options.kernel import add_kernel_arguments, kernel_monitor_from_args
from damon_tui.options.monitor import monitor_from_args
from damon_tui.options.schemes import add_scheme_arguments, preset_from_args
from damon_tui.options.targets import add_target_arguments, ops_from_args
from damon_tui.units import parse_time_us

NAME = "export"
HELP = ("monitor a target and serve its metrics (working set, regions, intervals, DAMOS "
        "counters, watermarks, module statistics) in Prometheus / OpenMetrics text")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prometheus", metavar="ADDR:PORT", required=True,
                        help="listen here for scrapes of /metrics, e.g. 127.0.0.1:9877 "
                        "(port 0 picks a free one)")
    parser.add_argument("--duration", metavar="TIME", default=None,
                        help="stop monitoring after this much monitored time (default: "
                        "until the target exits or Ctrl-C); the endpoint keeps serving")
    parser.add_argument("--speed", metavar="X", type=float, default=1.0,
                        help="simulated targets: virtual seconds per wall second (1.0)")
    parser.add_argument("--exit-when-done", action="store_true",
                        help="stop serving when monitoring ends (default: keep serving "
                        "the last values until Ctrl-C)")
    add_target_arguments(parser, default_sim="zigzag")
    add_attrs_arguments(parser)
    add_scheme_arguments(parser)
    add_kernel_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from damon_tui.errors import UserError
    from damon_tui.export import Exporter, ExportState, parse_listen

    addr, port = parse_listen(args.prometheus)
    if not args.speed > 0:
        raise UserError(f"--speed: expected a positive number, got {args.speed}")
    duration_us = None if args.duration is None else parse_time_us(args.duration, "--duration")
    attrs_from_args(args)  # refuse bad attributes before launching anything
    if args.kernel:
        monitor = kernel_monitor_from_args(args)  # the kernel's own DAMON (our kdamond)
        ops = monitor.ops
    else:
        ops = ops_from_args(args, seed=args.seed)
    try:
        if not args.kernel:
            monitor, duration_us = monitor_from_args(args, ops, duration_us, None)
        preset = args.preset
        if preset is None and args.profile:
            preset = preset_from_args(args)[0].name
        state = ExportState(monitor, preset)
        exporter = Exporter(state, addr, port)
    except BaseException:
        ops.close()
        raise
    err = sys.stderr
    target = ", ".join(t.description for t in ops.targets())
    print(f"# damon-tui export: {target} (ops {ops.kind}, {ops.resolution} resolution); "
          f"serving {exporter.url}", file=err, flush=True)
    speed = args.speed if ops.clock == "virtual" else None
    try:
        for snap in monitor.run(duration_us, speed=speed):
            state.update(snap)
        reason = ("the duration ended" if duration_us is not None
                  and monitor.now_us >= duration_us else "the target exited")
        state.end(reason)
        print(f"# monitoring ended: {reason}; damon_monitor_running is 0"
              + ("" if args.exit_when_done else "; still serving the last values (Ctrl-C "
                 "stops)"), file=err, flush=True)
        if not args.exit_when_done:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        ops.close()
        exporter.close()
    return 0
