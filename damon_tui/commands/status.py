"""``damon-tui status``: the kernel's kdamonds and DAMON modules, read-only (like damo)."""

from __future__ import annotations

import argparse

NAME = "status"
HELP = ("show the kernel's DAMON: every kdamond (ours or not), its contexts, targets, "
        "schemes and stats, and the DAMON_RECLAIM / DAMON_LRU_SORT parameters (read-only)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from damon_tui.options.kernel import add_path_arguments

    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_path_arguments(parser)


def run(args: argparse.Namespace) -> int:
    import json

    from damon_tui.kernel.status import collect, format_text
    from damon_tui.kernel.sysfs import new_io
    from damon_tui.options.kernel import paths_from_args

    st = collect(new_io(), paths_from_args(args))
    if args.json:
        print(json.dumps(st, indent=1))
    else:
        print("\n".join(format_text(st)))
    return 0
