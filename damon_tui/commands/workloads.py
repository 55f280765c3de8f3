"""``damon-tui workloads``: list the built-in simulated workloads."""

from __future__ import annotations

import argparse

NAME = "workloads"
HELP = "list the built-in simulated workloads (masim format) usable with --sim"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name", nargs="?", metavar="NAME|PATH",
        help="show one workload (built-in name or masim config file) phase by phase",
    )


def _show(name: str) -> int:
    from damon_tui.ops.sim import load_workload
    from damon_tui.units import format_size, format_time_us

    w = load_workload(name)
    print(f"{w.name}: {w.description or '(no description)'}")
    print(f"regions ({len(w.regions)}, {format_size(w.total_size)}):")
    for r in w.regions:
        print(f"  {r.name:<16} {format_size(r.size):>12}")
    print(f"phases ({len(w.phases)}, {format_time_us(w.duration_ms * 1000)} per pass, "
          "then the list repeats):")
    for ph in w.phases:
        total = ph.total_probability
        pats = ", ".join(
            f"{p.region} {'random' if p.random else f'seq/{p.stride}'}"
            + (f" {p.probability * 100 // total}%" if total and len(ph.patterns) > 1 else "")
            for p in ph.patterns
        )
        print(f"  {format_time_us(ph.duration_ms * 1000):>8}  {ph.name}: {pats}")
    return 0


def run(args: argparse.Namespace) -> int:
    from damon_tui.ops.sim import builtin_workloads, load_workload
    from damon_tui.units import format_size, format_time_us

    if args.name:
        return _show(args.name)
    rows = []
    for name in builtin_workloads():
        w = load_workload(name)
        rows.append((name, format_size(w.total_size), f"{len(w.phases)} phases",
                     format_time_us(w.duration_ms * 1000), w.description))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    return 0
