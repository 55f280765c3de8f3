"""The ``Monitor`` the command-line options describe (the commands' composition root)."""

from __future__ import annotations

import argparse

from damon_tui.damos.runtime import runner_for
from damon_tui.engine import Monitor
from damon_tui.errors import UserError
from damon_tui.options.attrs import attrs_from_args, check_ops_limits
from damon_tui.options.schemes import schemes_from_args


def monitor_from_args(args: argparse.Namespace, ops, duration_us: int | None,
                      default_sim_duration_us: int | None):
    """The ``Monitor`` the options describe for ``ops``: tuned attrs, schemes, duration.

    Returns ``(monitor, duration_us)``; a simulated target without ``--duration`` runs
    for ``default_sim_duration_us``.  On any refusal ``ops`` is closed, so a launched
    command never outlives a monitor that was not built.
    """
    try:
        attrs = attrs_from_args(args, ops)
        if duration_us is None and ops.clock == "virtual":
            duration_us = default_sim_duration_us
        schemes = schemes_from_args(args, attrs, ops)
        attrs = getattr(args, "damos_attrs", None) or attrs  # a DAMOS preset's own intervals
        check_ops_limits(attrs, ops)
        max_time = getattr(ops, "max_time_us", None)
        if max_time is not None and duration_us is not None and duration_us > max_time:
            raise UserError(f"--duration: at most {max_time} us on this target's clock, got "
                            f"{duration_us}")
        monitor = Monitor(ops, attrs, seed=args.seed,
                          damos=runner_for(schemes, ops, attrs.sample_us, attrs.aggr_us))
        region = getattr(args, "damos_region", None)
        if region is not None:  # DAMON_RECLAIM/LRU_SORT's monitor_region_start/end
            try:
                for t in range(len(monitor.targets)):
                    monitor.set_target_ranges(t, [region])
            except ValueError as e:
                raise UserError(f"monitor_region_start/monitor_region_end: {e}") from None
    except BaseException:
        ops.close()
        raise
    return monitor, duration_us
