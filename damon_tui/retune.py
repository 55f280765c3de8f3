"""Interval retuning beside the engine: follow an ops set's measured sampling cost.

The ops only suggests (``retune_hint()``); :class:`IntervalRetuner` owns the policy and
calls ``Monitor.set_attrs``.  Whether a command retunes at all is an option decision
(``damon_tui.options.attrs.retuner_from_args``).
"""

from __future__ import annotations

import dataclasses
from typing import Any


class IntervalRetuner:
    """Follows an ops set's measured sampling cost by retuning the monitor's intervals.

    The protocol: an ops that can re-measure its cost has ``retune_hint() ->
    (sample_us, aggr_us) | None`` (None: nothing new) and ``retune_floor_us``.  Each
    :meth:`poll` (once per snapshot, from the thread iterating ``Monitor.run``) asks
    for a hint and applies it through ``Monitor.set_attrs`` (thread-safe; in force from
    the next sample) when it is at least ``GROW`` times the current sampling interval,
    or at most ``SHRINK`` times it (hysteresis: noise does not flap the intervals).
    The sampling interval never goes below the ops' floor.
    """

    GROW = 1.2
    SHRINK = 0.5

    def __init__(self, monitor: Any) -> None:
        self.monitor = monitor
        self.floor_us = int(getattr(monitor.ops, "retune_floor_us", 1))
        #: (sample_us, aggr_us) of every retune applied, in order
        self.history: list[tuple[int, int]] = []

    def poll(self):
        """Apply the ops' hint if it differs enough; return the new ``Attrs`` or None."""
        hint = self.monitor.ops.retune_hint()
        if hint is None:
            return None
        sample_us, aggr_us = hint
        attrs = self.monitor.attrs
        if sample_us < self.floor_us:
            aggr_us = aggr_us * self.floor_us // sample_us
            sample_us = self.floor_us
        current = attrs.sample_us
        if not (sample_us >= current * self.GROW or sample_us <= current * self.SHRINK):
            return None
        if sample_us == current:
            return None
        new = dataclasses.replace(attrs, sample_us=sample_us, aggr_us=max(aggr_us, sample_us))
        self.monitor.set_attrs(new)
        self.history.append((new.sample_us, new.aggr_us))
        return new
