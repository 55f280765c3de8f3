"""DAMON's monitoring engine: attributes, region lists, the monitor loop, snapshots.

A thin Python layer over ``damon_tui._fast.regions`` (Cython): the region arrays, the
PRNG and the per-sample loop live in C; this module sequences one aggregation window
(merge, scheme hook, snapshot, reset, split, ops update) like the kernel's kdamond
(damon-reference §1, era C).  The engine knows nothing of DAMOS: schemes reach it as a
:class:`SchemeHook` that the composition root (a command, the TUI session) passes in.
"""

from __future__ import annotations

import dataclasses
import threading
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from damon_tui._fast.regions import (
    AGGREGATE,
    CALL,
    LIMIT,
    STOPPED,
    UPDATE,
    WAITED,
    Core,
    RegionList,
    Rng,
    mvsum,
    nr_accesses_mvsum,
)
from damon_tui.feedback import feed
from damon_tui.ops.base import OpsError, TargetGone

if TYPE_CHECKING:
    from damon_tui.ops.base import Ops

__all__ = [
    "Attrs",
    "IntervalsGoal",
    "Monitor",
    "RegionList",
    "SchemeHook",
    "Rng",
    "Snapshot",
    "TargetSnapshot",
    "mvsum",
    "nr_accesses_mvsum",
    "tune_intervals",
]

_UINT_MAX = 2**32 - 1
ULONG_MAX = 2**64 - 1


@dataclass(frozen=True)
class IntervalsGoal:
    """Monitoring intervals auto-tuning goal (``damon_intervals_goal``, 6.15+).

    Aim for ``access_bp`` (basis points) of the maximum possible access events, measured
    over ``aggrs`` aggregation intervals; the sampling interval stays within
    [``min_sample_us``, ``max_sample_us``].  ``aggrs`` 0 disables tuning (the default).
    """

    access_bp: int = 0
    aggrs: int = 0
    min_sample_us: int = 0
    max_sample_us: int = 0

    def __post_init__(self) -> None:
        for name in ("access_bp", "aggrs", "min_sample_us", "max_sample_us"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"intervals_goal.{name}: expected an integer, got {value!r}")
            if value < 0:
                raise ValueError(f"intervals_goal.{name}: must not be negative, got {value}")
            if value > ULONG_MAX:  # the kernel's unsigned long
                raise ValueError(f"intervals_goal.{name}: out of range (at most {ULONG_MAX}), "
                                 f"got {value}")

    @property
    def enabled(self) -> bool:
        return self.aggrs != 0


@dataclass(frozen=True)
class Attrs:
    """Monitoring attributes (``damon_attrs``), validated like ``damon_set_attrs``."""

    sample_us: int = 5000
    aggr_us: int = 100_000
    update_us: int = 60_000_000
    min_nr_regions: int = 10
    max_nr_regions: int = 1000
    intervals_goal: IntervalsGoal = IntervalsGoal()

    def __post_init__(self) -> None:
        for name in ("sample_us", "aggr_us", "update_us", "min_nr_regions", "max_nr_regions"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name}: expected an integer, got {value!r}")
            if value > ULONG_MAX:  # the kernel's unsigned long
                raise ValueError(f"{name}: out of range (at most {ULONG_MAX}), got {value}")
        for name in ("sample_us", "aggr_us", "update_us"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be positive, got {getattr(self, name)}")
        if self.min_nr_regions < 3:
            raise ValueError(f"min_nr_regions: must be at least 3, got {self.min_nr_regions}")
        if self.min_nr_regions > self.max_nr_regions:
            raise ValueError(
                f"max_nr_regions: must be >= min_nr_regions ({self.min_nr_regions}), "
                f"got {self.max_nr_regions}"
            )
        if self.sample_us > self.aggr_us:
            raise ValueError(
                f"aggr_us: must be >= sample_us ({self.sample_us}), got {self.aggr_us}"
            )
        goal = self.intervals_goal
        if not isinstance(goal, IntervalsGoal):
            raise ValueError(f"intervals_goal: expected IntervalsGoal, got {goal!r}")
        if goal.aggrs:
            if goal.min_sample_us > goal.max_sample_us:
                raise ValueError(
                    f"intervals_goal.max_sample_us: must be >= min_sample_us "
                    f"({goal.min_sample_us}), got {goal.max_sample_us}"
                )
            if not goal.min_sample_us <= self.sample_us <= goal.max_sample_us:
                raise ValueError(
                    f"sample_us: must be within the intervals goal's [min_sample_us, "
                    f"max_sample_us] = [{goal.min_sample_us}, {goal.max_sample_us}], "
                    f"got {self.sample_us}"
                )

    @property
    def nr_samples(self) -> int:
        """Samples per aggregation = the maximum nr_accesses (``nr_samples_per_aggr``)."""
        return min(self.aggr_us // self.sample_us, _UINT_MAX)


def tune_intervals(attrs: Attrs, access_events: int, total_bytes: int) -> Attrs | None:
    """The next attrs of intervals auto-tuning (``kdamond_tune_intervals``, §1.7).

    ``access_events`` is Σ size·nr_accesses and ``total_bytes`` Σ size over every
    region of the window just aggregated.  None when no change is needed.  The number
    of samples per aggregation is kept: ``aggr' = sample' · nr_samples``.
    """
    goal = attrs.intervals_goal
    aggr_samples = attrs.nr_samples
    target = total_bytes * aggr_samples * goal.access_bp // 10000
    score = access_events * 10000 // max(1, target)
    adapt = feed(100_000_000, score) // 10000
    if adapt <= 10000:
        adapt = 5000 + adapt // 2  # reduce at most by half: [1, 10000] -> [5000, 10000]
    if adapt == 10000:
        return None
    sample = min(goal.max_sample_us, attrs.sample_us * adapt // 10000)
    sample = max(goal.min_sample_us, sample, 1)
    return dataclasses.replace(attrs, sample_us=sample, aggr_us=sample * aggr_samples)


class TargetSnapshot:
    """One target's regions at the end of an aggregation window (typed arrays)."""

    __slots__ = ("target_id", "starts", "ends", "nr_accesses", "ages")

    def __init__(self, target_id: int, starts: array, ends: array, nr_accesses: array,
                 ages: array) -> None:
        self.target_id = target_id
        self.starts = starts
        self.ends = ends
        self.nr_accesses = nr_accesses
        self.ages = ages

    def __len__(self) -> int:
        return len(self.starts)

    def __iter__(self) -> Iterator[tuple[int, int, int, int]]:
        return zip(self.starts, self.ends, self.nr_accesses, self.ages, strict=True)

    @property
    def total_bytes(self) -> int:
        """Sum of the region sizes."""
        return sum(self.ends) - sum(self.starts)

    def __repr__(self) -> str:
        return f"TargetSnapshot(target_id={self.target_id}, regions={list(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TargetSnapshot):
            return NotImplemented
        return (self.target_id == other.target_id and self.starts == other.starts
                and self.ends == other.ends and self.nr_accesses == other.nr_accesses
                and self.ages == other.ages)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Snapshot:
    """What DAMON saw in one aggregation window: after merge and DAMOS, before reset
    (where the kernel's ``damon_aggregated`` tracepoint fires)."""

    start_us: int
    end_us: int
    sample_us: int
    aggr_us: int
    targets: list[TargetSnapshot]
    schemes: tuple = ()

    @property
    def nr_samples(self) -> int:
        return self.aggr_us // self.sample_us


class SchemeHook(Protocol):
    """What the engine calls for DAMOS (``damon_tui.damos.runtime.DamosRunner``).

    ``wait_us`` runs before each sample (watermarks: µs to stay idle, 0 = sample now);
    ``apply`` after each sample, and at an aggregation boundary after merge and before
    the snapshot and reset (``kdamond_apply_schemes``); it returns the per-scheme stats
    carried by :attr:`Snapshot.schemes`.  ``set_attrs`` follows online attribute changes.
    """

    @property
    def schemes(self) -> Sequence[object]:
        """The schemes being run (for records and views)."""
        ...

    def wait_us(self, now_us: int) -> int: ...

    def apply(self, region_lists: Sequence[RegionList], passed: int, next_aggr: int,
              now_us: int, max_region_sz: Callable[[], int]) -> tuple: ...

    def set_attrs(self, sample_us: int, aggr_us: int, passed: int) -> None: ...


class Monitor:
    """A monitoring context (kdamond) over the targets of one operations set.

    ``run()`` yields a :class:`Snapshot` per aggregation interval.  Same ops input and
    same ``seed`` give bit-identical snapshots (the engine's PRNG is its own).
    """

    def __init__(self, ops: Ops, attrs: Attrs | None = None, seed: int = 0,
                 damos: SchemeHook | None = None) -> None:
        self.ops = ops
        self.attrs = attrs if attrs is not None else Attrs()
        self.seed = seed
        #: the scheme hook (None: monitoring only); replace it through :meth:`call`
        self.damos = damos
        self._calls: list[Callable[[Monitor], None]] = []
        #: user-set monitoring ranges per target (ops updates leave these targets alone)
        self._fixed_ranges: dict[int, list[tuple[int, int]]] = {}
        self.targets = ops.targets()
        a = self.attrs
        self._core = Core(ops, len(self.targets), a.sample_us, a.aggr_us, a.update_us,
                          a.min_nr_regions, a.max_nr_regions, ops.min_region_sz, seed)
        self._stop = threading.Event()
        #: guards ``_running`` and the pending changes; held while a change made from
        #: outside the loop is applied, so that resuming ``run()`` waits for it
        self._lock = threading.RLock()
        self._running = False
        self._pending_attrs: Attrs | None = None
        self._initialised = False
        self._window_start_us = 0
        #: ``next_intervals_tune_sis``; set when monitoring starts
        self._next_tune: int | None = None
        #: intervals auto-tuning steps taken (``damon_monitor_intervals_tune`` events)
        self.nr_intervals_tunes = 0

    def use_fake_clock(self, start_us: int = 0) -> None:
        """Tests: pace on a deterministic clock that only the engine's sleeps move (by
        exactly what they ask), instead of CLOCK_MONOTONIC and nanosleep."""
        self._core.use_fake_clock(start_us)

    @property
    def slept_us(self) -> int:
        """Microseconds the engine has slept (paced or waited) so far."""
        return self._core.slept_us

    # -- state other components read -------------------------------------------------
    @property
    def schemes(self) -> tuple:
        """The schemes the hook runs (empty without a hook)."""
        return tuple(self.damos.schemes) if self.damos is not None else ()

    @property
    def region_lists(self) -> list[RegionList]:
        """Per-target region lists (DAMOS reads and edits them between samples)."""
        return self._core.region_lists

    @property
    def now_us(self) -> int:
        return self._core.now_us

    @property
    def nr_regions(self) -> int:
        return self._core.nr_regions

    @property
    def passed(self) -> int:
        """Sample intervals passed since monitoring started (``passed_sample_intervals``)."""
        return self._core.passed

    @property
    def next_aggr(self) -> int:
        """``passed`` value at which the current aggregation window ends."""
        return self._core.next_aggr

    @property
    def region_samples(self) -> int:
        """Regions sampled so far, summed over samples and targets (benchmarks)."""
        return self._core.region_samples

    @property
    def sz_limit(self) -> int:
        """Current region size limit (``apply_min_nr_regions``' result)."""
        return self._core.sz_limit

    @property
    def min_region_sz(self) -> int:
        return self._core.min_region_sz

    def region_sz_limit(self) -> int:
        """``max(min_region_sz, Σ sizes / min_nr_regions)`` (DAMOS merge-back limit)."""
        return self._core.region_sz_limit()

    def stop(self) -> None:
        """Ask ``run()`` to return after the current sample (thread-safe)."""
        self._stop.set()
        self._core.stopping = True

    def set_attrs(self, attrs: Attrs) -> None:
        """Change the attributes online (``damon_set_attrs``, thread-safe).

        While ``run()`` is active the change is applied after the current sample.
        Counts and ages are rescaled (``update_monitoring_result``) and the next
        aggregation and update are rescheduled from now.
        """
        if not isinstance(attrs, Attrs):
            raise TypeError(f"attrs: expected Attrs, got {type(attrs).__name__}")
        with self._lock:
            self._pending_attrs = attrs
            if self._running:
                self._core.interrupt = True
                return
            self._apply_pending_attrs()

    def call(self, fn: Callable[[Monitor], None]) -> None:
        """Run ``fn(monitor)`` in the monitoring loop (``damon_call``, thread-safe).

        While ``run()`` is sampling ``fn`` runs after the current sample, or within the
        current watermarks wait when every scheme is inactive (the kernel serves
        ``kdamond_call`` in its wait loop too); otherwise (not started, or suspended
        at a yielded snapshot) it runs now, in this thread.  Exceptions raised by
        ``fn`` propagate out of ``run()`` (or this call).
        """
        with self._lock:
            if self._running:
                self._calls.append(fn)
                self._core.interrupt = True
                return
            fn(self)

    def _run_calls(self) -> None:
        while True:
            with self._lock:
                if not self._calls:
                    return
                fn = self._calls.pop(0)
            fn(self)

    def _apply_pending_attrs(self) -> None:
        with self._lock:
            new, self._pending_attrs = self._pending_attrs, None
        if new is not None:
            self._commit_attrs(new)

    def _commit_attrs(self, new: Attrs) -> None:
        """``damon_set_attrs`` on the running context: rescale, reschedule, replace."""
        old, core = self.attrs, self._core
        aggregating = core.passed < core.next_aggr
        for rl in core.region_lists:
            rl.update_monitoring_result(old.nr_samples, new.nr_samples, old.aggr_us,
                                        new.aggr_us, aggregating)
        core.sample_us = new.sample_us
        core.aggr_samples = max(1, new.aggr_us // new.sample_us)
        core.update_samples = max(1, new.update_us // new.sample_us)
        core.next_aggr = core.passed + core.aggr_samples
        core.next_update = core.passed + core.update_samples
        core.min_nr_regions = new.min_nr_regions
        core.max_nr_regions = new.max_nr_regions
        if aggregating:
            self._window_start_us = core.now_us
        if self.damos is not None:  # the scheme hook reschedules its apply intervals
            self.damos.set_attrs(new.sample_us, new.aggr_us, core.passed)
        self.attrs = new

    # -- the scheme hook -----------------------------------------------------------------
    def _wait_watermarks(self) -> int:
        """Watermark check before each sample: µs to stay idle (0 = sample now)."""
        assert self.damos is not None
        return self.damos.wait_us(self._core.now_us)

    def _apply_schemes(self, passed: int) -> tuple:
        """Apply due schemes to ``region_lists`` (kernel step 8); per-scheme stats."""
        assert self.damos is not None
        core = self._core
        return self.damos.apply(core.region_lists, passed, core.next_aggr, core.now_us,
                                core.region_sz_limit)

    def _hooks(self) -> tuple:
        """(wait_cb, apply_cb) for the C loop: None without a scheme hook."""
        if self.damos is None:
            return None, None
        return self._wait_watermarks, self._apply_schemes

    # -- intervals auto-tuning ------------------------------------------------------------
    def _access_events(self) -> tuple[int, int]:
        """(Σ size·nr_accesses, Σ size) over every region of every target."""
        events = total = 0
        for rl in self._core.region_lists:
            starts, ends, nrs, _ages = rl.snapshot_arrays()
            for s, e, n in zip(starts, ends, nrs, strict=True):
                events += (e - s) * n
                total += e - s
        return events, total

    def _maybe_tune_intervals(self) -> None:
        """At an aggregation boundary: tune the intervals when due (§1.7)."""
        a, core = self.attrs, self._core
        goal = a.intervals_goal
        if not goal.aggrs or self._next_tune is None or core.passed < self._next_tune:
            return
        self._next_tune += a.nr_samples * goal.aggrs
        new = tune_intervals(a, *self._access_events())
        if new is None:
            return
        boundary, next_update = core.next_aggr, core.next_update
        self._commit_attrs(new)
        # set_attrs rescheduled from ``passed``; like the kernel, keep this iteration's
        # due boundaries so reset_and_split / the ops update add the new intervals.
        core.next_aggr = boundary
        if core.passed >= next_update:
            core.next_update = next_update
        self.nr_intervals_tunes += 1

    # -- the loop -----------------------------------------------------------------------
    def set_target_ranges(self, target_idx: int, ranges: Sequence[tuple[int, int]]) -> None:
        """Set a target's monitoring regions to ``ranges`` (``damon_set_regions`` with
        user ranges, as DAMON_RECLAIM's ``monitor_region_start/end``); the ops' range
        updates no longer change them.  ``ValueError`` for empty or overlapping ranges.
        """
        if not 0 <= target_idx < len(self.targets):
            raise ValueError(f"target {target_idx}: no such target")
        ranges = [(int(s), int(e)) for s, e in ranges]
        if not ranges or any(e <= s for s, e in ranges):
            raise ValueError(f"monitoring ranges must be non-empty, got {ranges}")
        if self._initialised:
            self._core.region_lists[target_idx].set_regions(ranges, self._core.min_region_sz)
        self._fixed_ranges[target_idx] = ranges

    def clear_target_ranges(self, target_idx: int) -> None:
        """Give a target's monitoring ranges back to the ops (undo :meth:`set_target_ranges`)."""
        if self._fixed_ranges.pop(target_idx, None) is None or not self._initialised:
            return
        try:
            ranges = self.ops.target_ranges(target_idx)
        except OpsError:
            return  # the next ops update sets them
        if ranges:
            self._core.region_lists[target_idx].set_regions(ranges, self._core.min_region_sz)

    def _init_regions(self) -> None:
        core = self._core
        for t, rl in enumerate(core.region_lists):
            try:
                ranges = self._fixed_ranges.get(t) or self.ops.target_ranges(t)
            except TargetGone:
                ranges = None  # the first update interval ends the run
            if ranges:
                rl.set_regions(ranges, core.min_region_sz)
        core.apply_min_nr_regions()
        self._initialised = True

    def _update_ranges(self) -> None:
        core = self._core
        core.next_update += core.update_samples
        if not self.ops.update_each_interval():
            return
        for t, rl in enumerate(core.region_lists):
            if t in self._fixed_ranges:
                continue
            try:
                ranges = self.ops.target_ranges(t)
            except TargetGone:
                raise
            except OpsError:
                continue  # the kernel keeps the current regions when the update fails
            if ranges:
                rl.set_regions(ranges, core.min_region_sz)

    def _snapshot_targets(self) -> list[TargetSnapshot]:
        out = []
        for info, rl in zip(self.targets, self._core.region_lists, strict=True):
            starts, ends, nrs, ages = rl.snapshot_arrays()
            out.append(TargetSnapshot(info.target_id, starts, ends, nrs, ages))
        return out

    def run(self, duration_us: int | None = None,
            speed: float | None = None) -> Iterator[Snapshot]:
        """Monitor; yield one :class:`Snapshot` per aggregation interval.

        ``duration_us`` None runs until :meth:`stop` or the target is gone.  Virtual
        clock ops run as fast as possible unless ``speed`` (1.0 = real time) is given;
        wall clock ops sleep between samples.
        """
        core = self._core
        if not self._initialised:
            self._init_regions()
        limit = 2**64 - 1 if duration_us is None else core.now_us + int(duration_us)
        with self._lock:
            self._running = True
        try:
            yield from self._loop(core, limit, speed)
        finally:
            with self._lock:
                self._running = False
                core.interrupt = False
            self._apply_pending_attrs()
            self._run_calls()

    def _loop(self, core: Core, limit: int, speed: float | None) -> Iterator[Snapshot]:
        self._apply_pending_attrs()
        self._run_calls()
        if self._next_tune is None:
            self._next_tune = core.next_aggr * self.attrs.intervals_goal.aggrs
        core.start_clock(speed)
        wait_cb, apply_cb = self._hooks()
        while not self._stop.is_set():
            try:
                flags = core.run_samples(limit, wait_cb, apply_cb)
            except TargetGone:
                return
            snapshot = None
            if flags & AGGREGATE:
                core.aggregate()
            if flags & CALL:  # kdamond_call: after merge, before kdamond_apply_schemes
                self._run_calls()
                wait_cb, apply_cb = self._hooks()
            if flags & AGGREGATE:
                a = self.attrs
                # kdamond_apply_schemes, then the snapshot where the kernel's
                # damon_aggregated tracepoint fires (kdamond_reset_aggregated): DAMOS
                # splits and age resets are visible, like in kernel records.
                stats = self._apply_schemes(core.passed) if apply_cb is not None else ()
                snapshot = Snapshot(self._window_start_us, core.now_us, a.sample_us,
                                    a.aggr_us, self._snapshot_targets(), tuple(stats or ()))
                self._window_start_us = core.now_us
                if a.intervals_goal.aggrs:
                    self._maybe_tune_intervals()
                core.reset_and_split()
            elif apply_cb is not None and not flags & (STOPPED | WAITED):
                self._apply_schemes(core.passed)
            if flags & UPDATE:
                try:
                    self._update_ranges()
                except TargetGone:
                    if snapshot is not None:
                        yield snapshot
                    return
            if flags & CALL:
                self._apply_pending_attrs()
                wait_cb, apply_cb = self._hooks()
            if snapshot is not None:
                with self._lock:  # changes made while the consumer holds us run now
                    self._running = False
                yield snapshot
                with self._lock:
                    self._running = True
                wait_cb, apply_cb = self._hooks()
            if flags & (LIMIT | STOPPED):
                return
