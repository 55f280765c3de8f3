"""DAMON's monitoring attributes from the command line, in DAMON/damo units.

``add_attrs_arguments`` / ``attrs_from_args`` parse them (a bad value names its
option); ``tuned_attrs`` gives real targets the access check's cheap default intervals
for what the user left unset; ``retuner_from_args`` decides whether the intervals then
follow the measured cost (``damon_tui.retune.IntervalRetuner``).
"""

from __future__ import annotations

import argparse
import dataclasses

from damon_tui.engine import Attrs, IntervalsGoal
from damon_tui.errors import UserError
from damon_tui.retune import IntervalRetuner
from damon_tui.units import parse_percent, parse_time_us


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
            attrs = tuned_attrs(args, attrs, ops)
        except ValueError as e:
            raise UserError(f"monitoring attributes: {_option_message(str(e))} (with the "
                            f"{ops.kind} default intervals; give --sample)") from None
        check_ops_limits(attrs, ops)
    return attrs


def check_ops_limits(attrs: Attrs, ops) -> None:
    """Refuse intervals the operations set cannot serve (the sim's access history and
    64-bit clock), naming the option."""
    max_sample = getattr(ops, "max_sample_us", None)
    goal = attrs.intervals_goal
    longest = max(attrs.sample_us, goal.max_sample_us if goal.enabled else 0)
    if max_sample is not None and longest > max_sample:
        option = "--sample" if attrs.sample_us == longest else "--intervals-goal MAX_SAMPLE"
        raise UserError(f"monitoring attributes: {option}: {ops.limits_message(longest)}")
    max_time = getattr(ops, "max_time_us", None)
    if max_time is not None and attrs.aggr_us > max_time:
        raise UserError(f"monitoring attributes: --aggr: at most {max_time} us on this "
                        "target's clock")


def tuned_attrs(args: argparse.Namespace, attrs, ops):
    """``attrs`` with the access check's cheaper default intervals for what the user
    left unset (``--sample`` / ``--aggr`` are ``None`` when not given; real targets only).

    Neither given: both defaults.  Only ``--aggr`` given: the default sampling interval
    unless it exceeds the aggregation interval.  Only ``--sample`` given: the user's
    choice stands (with the generic aggregation default).
    """
    intervals = getattr(ops, "default_intervals", None)
    if intervals is None or ops.clock != "wall" or getattr(args, "sample", None) is not None:
        return attrs
    sample_us, aggr_us = intervals
    if getattr(args, "aggr", None) is not None:
        return dataclasses.replace(attrs, sample_us=min(sample_us, attrs.aggr_us))
    return dataclasses.replace(attrs, sample_us=sample_us, aggr_us=aggr_us)


def retuner_from_args(args: argparse.Namespace, monitor) -> IntervalRetuner | None:
    """An :class:`IntervalRetuner` when the intervals are ours to change, else None.

    None when the user gave ``--sample`` or ``--aggr``, a DAMOS preset (or profile) set
    its own intervals, ``--intervals-goal`` auto-tunes them, the target is not a
    wall-clock ops, or the ops cannot re-measure its cost (page idle, paddr, the sim).
    """
    ops = monitor.ops
    if ops.clock != "wall" or not callable(getattr(ops, "retune_hint", None)):
        return None
    if getattr(args, "sample", None) is not None or getattr(args, "aggr", None) is not None:
        return None
    if getattr(args, "preset", None) or getattr(args, "profile", None):
        return None  # a DAMOS preset's intervals are the module's parameters
    goal = getattr(monitor.attrs, "intervals_goal", None)
    if goal is not None and goal.enabled:
        return None  # the intervals auto-tuner (--intervals-goal) owns the intervals
    if getattr(ops, "access_check", "") != "clear_refs":
        return None
    return IntervalRetuner(monitor)
