"""Command-line target and monitoring-attribute options shared by monitor, record and tui.

``add_target_arguments`` / ``ops_from_args`` choose the operations set; real targets
(``--pid``, ``--paddr``, ``--regions``, a command after ``--``) come from
``damon_tui.ops.real_targets``.  ``add_attrs_arguments`` / ``attrs_from_args``
parse DAMON's monitoring attributes in DAMON/damo units.
"""

from __future__ import annotations

import argparse

from damon_tui.errors import UserError
from damon_tui.units import parse_percent, parse_time_us


def add_target_arguments(parser: argparse.ArgumentParser, default_sim: str | None = None) -> None:
    """``--sim NAME|PATH`` (+ ``--access-rate``) and, when available, real targets."""
    group = parser.add_argument_group("target")
    parser.set_defaults(default_sim=default_sim)  # --sim stays None unless given
    group.add_argument(
        "--sim",
        metavar="NAME|PATH",
        default=None,
        help="simulated masim workload: a built-in name (see `damon-tui workloads`) or a "
        "masim config file" + (f" (default: {default_sim})" if default_sim else ""),
    )
    group.add_argument(
        "--access-rate",
        metavar="N",
        type=float,
        default=None,
        help="simulated accesses per second (default: the sim's realistic default)",
    )
    group.add_argument(
        "--sim-free-mem",
        metavar="PERCENT",
        default=None,
        help="free memory of the simulated machine before the workload's own pages "
        "(default 100%%: the workload is alone); lower it to wake DAMON_RECLAIM's and "
        "DAMON_LRU_SORT's watermarks",
    )
    try:
        from damon_tui.ops import real_targets
    except ImportError:
        return
    real_targets.add_arguments(group)


def ops_from_args(args: argparse.Namespace, seed: int = 0):
    """Build the operations set the arguments ask for."""
    try:
        from damon_tui.ops import real_targets
    except ImportError:
        real_targets = None
    sim = getattr(args, "sim", None)
    if real_targets is not None:
        if sim and (getattr(args, "pid", None) or getattr(args, "paddr", False)
                    or getattr(args, "command_line", None)):
            raise UserError("give only one target: --sim and a real target (--pid, --paddr "
                            "or -- COMMAND) were both given")
        ops = real_targets.ops_from_args(args)
        if ops is not None:
            if getattr(args, "sim_free_mem", None) is not None:
                ops.close()
                raise UserError("--sim-free-mem: only a simulated workload (--sim) has a "
                                "modelled machine; real targets report the machine's memory")
            return ops
    sim = sim or getattr(args, "default_sim", None)
    if not sim:
        raise UserError("no target: give --sim NAME|PATH (see `damon-tui workloads`)")
    from damon_tui.ops.sim import SimOps

    return SimOps(sim, access_rate=args.access_rate, seed=seed,
                  free_mem_permil=sim_free_mem_permil(getattr(args, "sim_free_mem", None)))


def sim_free_mem_permil(text: str | None) -> int:
    """``--sim-free-mem``: ``60%`` or ``60`` -> 600 permil; None -> 1000."""
    if text is None:
        return 1000
    value = parse_percent(text)
    if value is None:
        try:
            value = float(text)
        except ValueError:
            value = None
    if value is None or not 0 <= value <= 100:
        raise UserError(f"--sim-free-mem: expected a percentage 0..100, got {text!r}")
    return int(round(value * 10))


def add_attrs_arguments(parser: argparse.ArgumentParser) -> None:
    """DAMON's monitoring attributes, in DAMON/damo units (``5ms``, ``100 ms``, ``60s``)."""
    group = parser.add_argument_group("monitoring attributes")
    group.add_argument("--sample", metavar="TIME", default=None,
                       help="sampling interval (5ms; real targets: a cheaper default measured "
                       "for the access-check method, see `damon-tui doctor`)")
    group.add_argument("--aggr", metavar="TIME", default=None,
                       help="aggregation interval (100ms; real targets: 20 samples)")
    group.add_argument("--update", metavar="TIME", default="1s",
                       help="operations update interval (1s; the kernel's default is 60s)")
    group.add_argument("--min-nr-regions", metavar="N", type=int, default=10,
                       help="minimum number of regions (10)")
    group.add_argument("--max-nr-regions", metavar="N", type=int, default=1000,
                       help="maximum number of regions (1000)")
    group.add_argument("--intervals-goal", nargs=4, default=None,
                       metavar=("ACCESS_BP", "AGGRS", "MIN_SAMPLE", "MAX_SAMPLE"),
                       help="auto-tune the sampling and aggregation intervals (kernel 6.15+): "
                       "aim for ACCESS_BP basis points (or a percentage like 0.4%%) of the "
                       "possible access events, checked every AGGRS aggregations, keeping "
                       "the sampling interval within MIN_SAMPLE..MAX_SAMPLE (times like 5ms, "
                       "10s); the number of samples per aggregation is kept. "
                       "AGGRS 0 disables (default)")
    group.add_argument("--seed", metavar="N", type=int, default=0,
                       help="random seed: the same seed and input give the same result (0)")


#: the option that sets each ``Attrs`` field, for error messages
_ATTR_OPTIONS = {"sample_us": "--sample", "aggr_us": "--aggr", "update_us": "--update",
                 "min_nr_regions": "--min-nr-regions", "max_nr_regions": "--max-nr-regions",
                 "intervals_goal": "--intervals-goal"}


def intervals_goal_from_args(values: list[str] | None):
    """``IntervalsGoal`` from ``--intervals-goal ACCESS_BP AGGRS MIN_SAMPLE MAX_SAMPLE``."""
    from damon_tui.engine import IntervalsGoal

    if values is None:
        return IntervalsGoal()
    opt = "--intervals-goal"
    bp_text, aggrs_text, min_text, max_text = values
    pct = parse_percent(bp_text)
    if pct is not None:
        access_bp = round(pct * 100)
    else:
        try:
            access_bp = int(bp_text)
        except ValueError:
            raise UserError(f"monitoring attributes: {opt} ACCESS_BP: expected basis points "
                            f"(an integer) or a percentage like 0.4%, got {bp_text!r}") from None
    try:
        aggrs = int(aggrs_text)
    except ValueError:
        raise UserError(f"monitoring attributes: {opt} AGGRS: expected an integer, got "
                        f"{aggrs_text!r}") from None
    try:
        min_us = parse_time_us(min_text, f"{opt} MIN_SAMPLE")
        max_us = parse_time_us(max_text, f"{opt} MAX_SAMPLE")
        return IntervalsGoal(access_bp, aggrs, min_us, max_us)
    except ValueError as e:
        raise UserError(f"monitoring attributes: {_option_message(str(e))}") from None


def _option_message(message: str) -> str:
    """A validation message with its field prefixed by the option that sets it."""
    for field, option in _ATTR_OPTIONS.items():
        if message.startswith(field):
            head, sep, rest = message.partition(":")
            if sep and (head == field or head.startswith(f"{field}.")):
                return f"{option} ({head}):{rest}"
    return message


def attrs_from_args(args: argparse.Namespace, ops=None):
    """``Attrs`` from the parsed options; a bad value names its option.

    With ``ops`` given, intervals the user left unset take the operations set's own
    defaults (real targets pick sampling intervals that keep the monitor's CPU low).
    """
    from damon_tui.engine import Attrs

    goal = intervals_goal_from_args(getattr(args, "intervals_goal", None))
    try:
        attrs = Attrs(
            sample_us=parse_time_us(args.sample or "5ms", "--sample"),
            aggr_us=parse_time_us(args.aggr or "100ms", "--aggr"),
            update_us=parse_time_us(args.update, "--update"),
            min_nr_regions=args.min_nr_regions,
            max_nr_regions=args.max_nr_regions,
            intervals_goal=goal,
        )
    except ValueError as e:
        raise UserError(f"monitoring attributes: {_option_message(str(e))}") from None
    if ops is not None:
        try:
            from damon_tui.ops.real_targets import tuned_attrs
        except ImportError:
            return attrs
        try:
            attrs = tuned_attrs(args, attrs, ops)
        except ValueError as e:
            raise UserError(f"monitoring attributes: {_option_message(str(e))} (with the "
                            f"{ops.kind} default intervals; give --sample)") from None
    return attrs


def monitor_from_args(args: argparse.Namespace, ops, duration_us: int | None,
                      default_sim_duration_us: int):
    """The ``Monitor`` the options describe for ``ops``: tuned attrs, schemes, duration.

    Returns ``(monitor, duration_us)``; a simulated target without ``--duration`` runs
    for ``default_sim_duration_us``.  On any refusal ``ops`` is closed, so a launched
    command never outlives a monitor that was not built.
    """
    from damon_tui.damos.cli_args import schemes_from_args
    from damon_tui.engine import Monitor

    try:
        attrs = attrs_from_args(args, ops)
        if duration_us is None and ops.clock == "virtual":
            duration_us = default_sim_duration_us
        schemes = schemes_from_args(args, attrs, ops)
        attrs = getattr(args, "damos_attrs", None) or attrs  # a DAMOS preset's own intervals
        monitor = Monitor(ops, attrs, seed=args.seed,
                          **({"schemes": schemes} if schemes else {}))
    except BaseException:
        ops.close()
        raise
    return monitor, duration_us
