"""``damon-tui commit``: change a running kdamond damon-tui started; the kernel validates."""

from __future__ import annotations

import argparse

NAME = "commit"
HELP = ("change the attributes or schemes of a running kdamond that damon-tui started; "
        "the kernel validates, and a refusal keeps the running configuration")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from damon_tui.options.kernel import add_path_arguments

    parser.add_argument("--kdamond", metavar="N", type=int, default=None,
                        help="the kdamond's index (default: the only running one of ours)")
    g = parser.add_argument_group("changes (passed to the kernel as given)")
    g.add_argument("--sample", metavar="TIME", help="sampling interval")
    g.add_argument("--aggr", metavar="TIME", help="aggregation interval")
    g.add_argument("--update", metavar="TIME", help="operations update interval")
    g.add_argument("--min-nr-regions", metavar="N", type=int, help="minimum number of regions")
    g.add_argument("--max-nr-regions", metavar="N", type=int, help="maximum number of regions")
    g.add_argument("--schemes", metavar="FILE|TEXT",
                   help="replace the schemes (damo JSON, a file of one-line schemes, or "
                   "one-line text); damon-tui's snapshot scheme is kept")
    add_path_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from damon_tui.damos.io import load_schemes
    from damon_tui.errors import UserError
    from damon_tui.kernel.commit import commit
    from damon_tui.kernel.sysfs import new_io
    from damon_tui.options.kernel import paths_from_args
    from damon_tui.units import parse_time_us

    attrs = {}
    for opt, name in (("sample", "sample_us"), ("aggr", "aggr_us"), ("update", "update_us")):
        if getattr(args, opt) is not None:
            attrs[name] = parse_time_us(getattr(args, opt), f"--{opt}")
    for opt, name in (("min_nr_regions", "min_nr_regions"), ("max_nr_regions", "max_nr_regions")):
        value = getattr(args, opt)
        if value is not None:
            if value < 0:
                raise UserError(f"--{opt.replace('_', '-')}: must not be negative, got {value}")
            attrs[name] = value
    schemes = load_schemes(args.schemes) if args.schemes else None
    if not attrs and schemes is None:
        raise UserError("nothing to commit: give attributes (--sample, --aggr, ...) or "
                        "--schemes")
    for line in commit(new_io(), paths_from_args(args), args.kdamond, attrs, schemes):
        print(line)
    return 0
