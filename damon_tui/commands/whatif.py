"""``damon-tui whatif``: what DAMOS would do on a recorded access pattern."""

from __future__ import annotations

import argparse
import sys

from damon_tui.options.schemes import add_scheme_arguments
from damon_tui.units import format_size, format_time_us, parse_size

NAME = "whatif"
HELP = ("replay a record as a workload and run DAMOS schemes on it: memory saved, refaults "
        "and slowdown per swept parameter value")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("record", metavar="RECORD",
                        help="a record: damon-tui, damo json / json_compressed or perf script")
    parser.add_argument("--sweep", metavar="NAME=V1,V2,...",
                        help="run once per value: a preset parameter (min_age=30s,2m) or a "
                        "{NAME} placeholder in the --schemes text")
    parser.add_argument("--output", "-o", metavar="FILE.svg",
                        help="draw the trade-off curve (saved vs slowdown) as SVG")
    parser.add_argument("--target", type=int, default=0, metavar="N",
                        help="which target of the record to replay (0)")
    parser.add_argument("--mem-total", metavar="SIZE", default=None,
                        help="modelled machine memory (default 1.5 x the no-scheme replay's "
                        "peak RSS, as the sim's 1.5 x the workload)")
    parser.add_argument("--refault-cost", metavar="US", type=float, default=50.0,
                        help="modelled cost of one refault in microseconds (50)")
    parser.add_argument("--seed", type=int, default=0, metavar="N",
                        help="seed of the replay's access draws and the engine (0)")
    add_scheme_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from damon_tui.errors import UserError
    from damon_tui.ops.recorded import MODEL_NOTE
    from damon_tui.options.whatif import sweep_configs
    from damon_tui.record import open_record
    from damon_tui.report.tradeoff import off_notes, table_lines, write_tradeoff_svg
    from damon_tui.whatif import record_attrs, run_whatif

    if args.output is not None and not args.output.endswith(".svg"):
        raise UserError(f"--output {args.output}: expected a .svg file name")
    mem_total = None if args.mem_total is None else parse_size(args.mem_total, "--mem-total")
    if args.refault_cost < 0:
        raise UserError(f"--refault-cost: expected >= 0 us, got {args.refault_cost}")
    record = open_record(args.record)
    if not 0 <= args.target < len(record.targets):
        raise UserError(f"--target {args.target}: {args.record} has {len(record.targets)} "
                        "target(s)")
    attrs = record_attrs(record, args.target)
    configs = sweep_configs(args, attrs)  # every value validated before any replay
    ops_kw = {"mem_total": mem_total, "refault_cost_us": args.refault_cost}
    out = sys.stdout
    progress = None
    bar = None
    if sys.stderr.isatty():
        from rich.progress import Progress

        bar = Progress(transient=True)
        task = bar.add_task("replaying", total=1)
        bar.start()

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
    try:
        base, rows = run_whatif(record, configs, args.target, args.seed, progress, **ops_kw)
    finally:
        if bar is not None:
            bar.stop()
    t = record.targets[args.target]
    print(f"# damon-tui whatif: {args.record} ({record.format}), target {args.target} "
          f"{t.description or ''}".rstrip() + f", {t.nr_snapshots} snapshots, "
          f"{format_time_us(rows[0].duration_us if rows else 0)} replayed, sample "
          f"{format_time_us(attrs.sample_us)}, aggr {format_time_us(attrs.aggr_us)}",
          file=out)
    print(f"# {MODEL_NOTE}; refault cost {args.refault_cost:g} us", file=out)
    print(f"# baseline (no scheme): avg rss {format_size(base.avg_rss)}, peak "
          f"{format_size(base.peak_rss)}; modelled memory {format_size(base.mem_total)}",
          file=out)
    for line in table_lines(base, rows):
        print(line, file=out)
    for note in off_notes(base, rows):
        print(f"# {note}", file=out)
    if args.output:
        write_tradeoff_svg(rows, base, args.output,
                           title=f"whatif {args.record}: memory saved vs slowdown")
        print(f"# trade-off curve written to {args.output}", file=out)
    return 0
