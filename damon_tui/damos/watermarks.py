"""DAMOS watermarks (damon-reference §4): per-scheme activation with hysteresis."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from damon_tui.damos.scheme import Watermarks


def wmark_wait_us(wm: Watermarks, active: bool, metric: int | None) -> tuple[bool, int]:
    """One evaluation of ``damos_wmark_wait_us``: (new active flag, µs to wait).

    ``metric`` is the free memory rate in permil (None for the ``none`` metric).
    Above high or below low: inactive, wait.  Inactive in [mid, high]: stay
    inactive, wait.  Otherwise (low <= metric < mid, or already active): active.
    """
    if wm.metric == "none" or metric is None:
        return True, 0
    if metric > wm.high or metric < wm.low:
        return False, wm.interval_us
    if wm.mid <= metric <= wm.high and not active:
        return False, wm.interval_us
    return True, 0


class WatermarksState:
    """Activation state of every scheme; :meth:`wait_us` is ``kdamond_wait_activation``."""

    def __init__(self, watermarks: Sequence[Watermarks],
                 free_mem_rate: Callable[[], int]) -> None:
        self.watermarks = list(watermarks)
        self.active = [True] * len(self.watermarks)  # new schemes start activated
        self._free_mem_rate = free_mem_rate
        self.needs_metric = any(w.metric == "free_mem_rate" for w in self.watermarks)
        self.last_metric: int | None = None
        #: µs spent suspended because every scheme was inactive
        self.idle_us = 0

    def wait_us(self) -> int:
        """Evaluate every scheme; the minimum wait (0 = monitor now).

        With no schemes this is 0: monitoring never pauses.
        """
        if not self.watermarks:
            return 0
        metric = self._free_mem_rate() if self.needs_metric else None
        self.last_metric = metric
        min_wait = None
        for i, wm in enumerate(self.watermarks):
            self.active[i], wait = wmark_wait_us(wm, self.active[i], metric)
            min_wait = wait if min_wait is None else min(min_wait, wait)
        if min_wait:
            self.idle_us += min_wait
        return min_wait or 0
