"""``damon-tui record``: monitor a target and append every snapshot to a record file."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from typing import Any

from damon_tui.damos.summary import print_scheme_summary
from damon_tui.options.attrs import add_attrs_arguments, attrs_from_args, retuner_from_args
from damon_tui.options.kernel import add_kernel_arguments
from damon_tui.options.monitor import monitor_from_args
from damon_tui.options.schemes import add_scheme_arguments
from damon_tui.options.targets import add_target_arguments, ops_from_args
from damon_tui.units import format_size, format_time_us, parse_time_us

NAME = "record"
HELP = "monitor a target and record every snapshot to a crash-safe file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    add_attrs_arguments(parser)
    parser.add_argument("--duration", metavar="TIME", default=None,
                        help="how long to record, in the target's clock (simulated workloads: "
                        "60s; real targets: until the target exits or Ctrl-C)")
    parser.add_argument("-o", "--output", metavar="FILE", default="damon-tui.rec",
                        help="record file to write (damon-tui.rec)")
    parser.add_argument("--format", choices=("damon-tui", "damo-json"), default="damon-tui",
                        help="damon-tui: our crash-safe streaming format (default); "
                        "damo-json: damo's json_compressed, written when recording ends")
    parser.add_argument("--fsync", action="store_true",
                        help="fsync every frame (survives power loss, slower)")
    add_scheme_arguments(parser)
    add_kernel_arguments(parser)


def _schemes_json(schemes) -> object:
    if not schemes:
        return None
    from damon_tui.damos.io import scheme_to_dict

    return [scheme_to_dict(s) for s in schemes]


DEFAULT_SIM_DURATION_US = 60_000_000


def _attrs_json(attrs) -> dict:
    """The header's ``attrs``: the initial intervals (frames carry the ones in force),
    plus the intervals auto-tuning goal when set."""
    out = {"sample_us": attrs.sample_us, "aggr_us": attrs.aggr_us,
           "update_us": attrs.update_us, "min_nr_regions": attrs.min_nr_regions,
           "max_nr_regions": attrs.max_nr_regions}
    goal = attrs.intervals_goal
    if goal.enabled:
        out["intervals_goal"] = {"access_bp": goal.access_bp, "aggrs": goal.aggrs,
                                 "min_sample_us": goal.min_sample_us,
                                 "max_sample_us": goal.max_sample_us}
    return out


def _check_output(path: str) -> None:
    """Refuse an output path that cannot be written before any target is started."""
    from damon_tui.safe_output import is_stream

    is_stream(path)


def run(args: argparse.Namespace) -> int:
    from damon_tui.record import RecordWriter, make_header
    from damon_tui.safe_output import discard, is_stream, temp_name
    from damon_tui.signals import interrupt_on_signals

    attrs_from_args(args)  # refuse bad attributes before launching or attaching to anything
    duration_us = None if args.duration is None else parse_time_us(args.duration, "--duration")
    _check_output(args.output)
    with interrupt_on_signals():  # SIGTERM / SIGHUP end the recording like Ctrl-C
        extra: dict[str, Any] = {}
        if args.kernel:
            from damon_tui.options.kernel import kernel_attrs_json, kernel_monitor_from_args

            monitor = kernel_monitor_from_args(args)  # the kernel's own DAMON (our kdamond)
            ops, retune = monitor.ops, None
            extra["kernel"] = kernel_attrs_json(monitor)
        else:
            ops = ops_from_args(args, seed=args.seed)
            monitor, duration_us = monitor_from_args(args, ops, duration_us,
                                                     DEFAULT_SIM_DURATION_US)
            retune = retuner_from_args(args, monitor)  # real targets: follow the measured cost
        attrs, schemes = monitor.attrs, monitor.schemes
        out = args.output
        damo_out = None
        try:
            targets = ops.targets()
            header = make_header(
                ops=ops.kind,
                clock=ops.clock,
                resolution=ops.resolution,
                access_check=ops.access_check,
                attrs=_attrs_json(attrs),
                targets=[{"target_id": t.target_id, "description": t.description,
                          "pid": t.pid} for t in targets],
                schemes=_schemes_json(schemes),
                seed=args.seed,
                duration_us=duration_us,
                **extra,
            )
            if args.format == "damo-json":
                damo_out = out
                # our record, converted when recording ends
                out = temp_name(tempfile.gettempdir() + "/damon-tui.rec"
                                if is_stream(damo_out) else damo_out)
            writer = RecordWriter(out, header, fsync=args.fsync)
        except BaseException:
            ops.close()  # a launched command must not outlive a refused record
            if damo_out is not None and out != damo_out:
                discard(out)
            raise
        try:
            return _record(args, monitor, ops, writer, retune, duration_us, damo_out)
        finally:
            if damo_out is not None:
                discard(out)


def _record(args, monitor, ops, writer, retune, duration_us, damo_out) -> int:
    """Run the monitor into ``writer``; the summary on stderr (also when interrupted)."""
    from damon_tui.record import open_record, write_damo

    out = writer.path
    shown = damo_out or out
    progress = _progress(duration_us)
    last_end = 0
    try:
        with writer, progress as bar:
            task = (bar.add_task("recording", total=duration_us, monitored="0 s")
                    if bar else None)
            try:
                for snap in monitor.run(duration_us):
                    writer.write_snapshot(snap)  # each frame carries its own intervals
                    last_end = snap.end_us
                    if retune is not None:
                        retune.poll()
                    if bar is not None:
                        done = (snap.end_us if duration_us is None
                                else min(snap.end_us, duration_us))
                        bar.update(task, completed=done, monitored=format_time_us(snap.end_us))
            except KeyboardInterrupt as e:
                why = f"{e.args[0]} received" if e.args else "interrupted"
                print(f"# {why}; {writer.nr_frames} snapshots kept in {shown}",
                      file=sys.stderr)
    finally:
        ops.close()
    if writer.nr_frames == 0 and (os.path.lexists(damo_out) if damo_out else writer.kept_old):
        print(f"# no snapshot recorded: {shown} left unchanged", file=sys.stderr)
        return 0
    per_region = writer.bytes_written / writer.nr_regions if writer.nr_regions else 0
    print_scheme_summary(monitor, sys.stderr)
    if damo_out is not None:
        size = write_damo(damo_out, open_record(out))
        print(f"# recorded {writer.nr_frames} snapshots ({format_time_us(last_end)} "
              f"monitored, {writer.nr_regions} regions) to {damo_out} (damo json_compressed, "
              f"{format_size(size)})", file=sys.stderr)
        return 0
    print(f"# recorded {writer.nr_frames} snapshots ({format_time_us(last_end)} monitored, "
          f"{writer.nr_regions} regions) to {out}: {format_size(writer.bytes_written)}, "
          f"{per_region:.2f} bytes per region", file=sys.stderr)
    return 0


def _progress(total_us: int):
    if not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    done = TextColumn("{task.fields[monitored]}")
    return Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), done,
                    console=Console(stderr=True), transient=True)
