"""``damon-tui stop``: turn off the kdamonds damon-tui started (never anyone else's)."""

from __future__ import annotations

import argparse

NAME = "stop"
HELP = ("turn off kdamonds that damon-tui started, including ones a crashed run left on; "
        "other kdamonds are never touched")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from damon_tui.options.kernel import add_path_arguments

    add_path_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from damon_tui.kernel.stop import stop_ours
    from damon_tui.kernel.sysfs import new_io
    from damon_tui.options.kernel import paths_from_args

    for line in stop_ours(new_io(), paths_from_args(args)):
        print(line)
    return 0
