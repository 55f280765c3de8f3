"""``damon-tui tui`` (the default command): the Textual app on a live target or a record."""

from __future__ import annotations

import argparse

from damon_tui.errors import UserError
from damon_tui.options.attrs import add_attrs_arguments
from damon_tui.options.kernel import add_kernel_arguments
from damon_tui.options.schemes import add_scheme_arguments
from damon_tui.options.targets import add_target_arguments

NAME = "tui"
HELP = "interactive view: live heatmap, working set, regions, schemes, presets, replay"

_SPEEDS = {"1": 1.0, "1x": 1.0, "10": 10.0, "10x": 10.0, "100": 100.0, "100x": 100.0,
           "max": 0.0}


def _speed(text: str) -> str:
    if text.lower() not in _SPEEDS:
        raise argparse.ArgumentTypeError(f"expected 1x, 10x, 100x or max, got {text!r}")
    return text.lower()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser, default_sim="zigzag")
    parser.add_argument("--replay", metavar="FILE",
                        help="replay a record file (damon-tui's or damo's) with a timeline")
    add_attrs_arguments(parser)
    parser.add_argument("--speed", default="1x", type=_speed, metavar="1x|10x|100x|max",
                        help="simulated time per wall second (1x = real time; s cycles it)")
    parser.add_argument("--paused", action="store_true", help="start paused (space resumes)")
    parser.add_argument("--record", metavar="FILE", dest="record_path",
                        help="file the record toggle (w) writes (default: damon-tui-<time>.damon)")
    add_scheme_arguments(parser, preset_help="start with the DAMON_RECLAIM or "
                         "DAMON_LRU_SORT preset enabled", profile_help="preset profile to load")
    add_kernel_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from damon_tui.tui.app import DamonApp
    from damon_tui.tui.session import session_from_args

    session = session_from_args(args)
    app = DamonApp(session, speed=_SPEEDS[args.speed], autostart=not args.paused,
                   record_path=args.record_path)
    app.profiles_dir = getattr(args, "profiles_dir", None)
    try:
        app.run()
    finally:
        app.shutdown()
    if app.return_code not in (None, 0):
        raise UserError(f"the TUI ended with an error (code {app.return_code})")
    return 0
