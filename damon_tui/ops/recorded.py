"""The ``recorded`` operations set: a record's access pattern replayed as a workload.

``RecordedOps(record, target=0)`` turns one target of a record (ours, damo json /
json_compressed, perf script) into a workload the engine can monitor and DAMOS can
act on, in virtual time, for ``damon-tui whatif``.

The model, stated plainly:

- **Accesses**: snapshot ``k`` of the record is replayed for its own duration; during
  it, every page of a recorded region is touched in each sampling interval with
  probability ``nr_accesses / nr_samples`` (the snapshot's intervals), independently
  of other pages and intervals.  Accesses are uniform inside a region within a
  snapshot: the record's own resolution (its regions, its aggregation interval) is
  the finest structure the replay has.
- **Memory**: the sim's model (``damon_tui.ops.sim``): pages start non-resident, the
  first touch faults them in, a touch after ``pageout`` is a refault costing
  ``refault_cost_us``; the modelled machine has ``mem_total`` bytes (default 1.5 x the
  recorded ranges; ``whatif`` uses 1.5 x the no-scheme replay's peak RSS) and a CLOCK
  reclaim evicts inactive pages first under pressure.
  Memory the record never sees accessed is never resident, so it is never "saved".
- **Action costs**: the sim's :class:`~damon_tui.ops.sim.ActionCosts`, charged to the
  time quota like the sim does.
- Faults are found per window (at most one record snapshot, cut where DAMOS acts),
  and a page counts as resident from its modelled touch time.  A page's first touch in
  a snapshot is one draw per (page, snapshot), so how the snapshot is cut does not
  change the outcome (the no-scheme baseline and a run where DAMOS never acts are
  identical).
"""

from __future__ import annotations

import threading
from array import array
from dataclasses import dataclass

from damon_tui._fast.recorded import RecordedMemory
from damon_tui.errors import UserError
from damon_tui.ops.base import OpsError, Range, TargetInfo
from damon_tui.ops.sim import (
    DEFAULT_REFAULT_COST_US,
    MAX_FOOTPRINT,
    PAGE_SIZE,
    ActionCosts,
    PageModelOps,
    SimStats,
)
from damon_tui.record.model import Intervals, Record
from damon_tui.report.intervals import snapshot_intervals

#: intervals assumed when a record does not carry them (DAMON's defaults)
DEFAULT_INTERVALS = Intervals(5000, 100_000)

MODEL_NOTE = ("model: accesses uniform inside a region within a snapshot, at the record's "
              "own resolution (its regions and aggregation interval); memory never seen "
              "accessed is never resident")


@dataclass(frozen=True)
class Timeline:
    """Where each record snapshot sits in replay time (us) and its sampling interval."""

    start_us: array  # 'q', per snapshot
    end_us: array
    sample_us: array
    nr_samples: array

    @property
    def duration_us(self) -> int:
        return self.end_us[-1] if len(self.end_us) else 0

    def index(self, t_us: int, hint: int = 0) -> int:
        """The snapshot whose window holds ``t_us`` (the last one past the end)."""
        n = len(self.end_us)
        k = max(0, min(hint, n - 1))
        while k > 0 and t_us < self.start_us[k]:
            k -= 1
        while k < n - 1 and t_us >= self.end_us[k]:
            k += 1
        return k


def _intervals_of(record: Record, t) -> list[Intervals]:
    per = snapshot_intervals(record, t)
    default = t.intervals or record.intervals or DEFAULT_INTERVALS
    if per is None:
        return [default] * t.nr_snapshots
    return [iv or default for iv in per]


def timeline(record: Record, target: int = 0) -> Timeline:
    """Snapshots laid end to end in replay time (gaps in the record are skipped)."""
    t = record.targets[target]
    ivs = _intervals_of(record, t)
    starts, ends, samples, nrs = array("q"), array("q"), array("q"), array("q")
    now = 0
    for k in range(t.nr_snapshots):
        iv = ivs[k]
        dur = (t.snap_end[k] - t.snap_start[k]) // 1000
        if dur <= 0:
            dur = iv.aggr_us
        starts.append(now)
        now += dur
        ends.append(now)
        samples.append(max(1, iv.sample_us))
        nrs.append(max(1, iv.nr_samples))
    return Timeline(starts, ends, samples, nrs)


def _union(starts: array, ends: array) -> list[Range]:
    """The merged address ranges the regions cover (page aligned)."""
    pairs = sorted(set(zip(starts, ends, strict=True)))
    out: list[list[int]] = []
    for s, e in pairs:
        s &= ~(PAGE_SIZE - 1)
        e = -(-e // PAGE_SIZE) * PAGE_SIZE
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


class RecordedOps(PageModelOps):
    """One target of a record, replayed as a workload in virtual time."""

    kind = "recorded"
    clock = "virtual"
    resolution = "per page"
    access_check = "replayed record"
    min_region_sz = PAGE_SIZE

    def __init__(self, record: Record, target: int = 0, *, mem_total: int | None = None,
                 refault_cost_us: float = DEFAULT_REFAULT_COST_US,
                 action_costs: ActionCosts | None = None, seed: int = 0) -> None:
        if not 0 <= target < len(record.targets):
            raise UserError(f"{record.path}: target {target}: the record has "
                            f"{len(record.targets)} target(s) (0..{len(record.targets) - 1})")
        t = record.targets[target]
        if t.nr_snapshots == 0:
            raise UserError(f"{record.path}: target {target} has no snapshot to replay")
        if refault_cost_us < 0:
            raise UserError(f"refault cost: expected >= 0 us, got {refault_cost_us}")
        self.record = record
        self.target_index = target
        self.description = t.description or f"target {t.target_id}"
        self.data = t
        self.timeline = timeline(record, target)
        self.spans = _union(t.starts, t.ends)
        self.footprint = sum(e - s for s, e in self.spans)
        if self.footprint > MAX_FOOTPRINT:
            raise UserError(f"{record.path}: the recorded ranges total {self.footprint} "
                            f"bytes; the replay models every page and takes at most "
                            f"{MAX_FOOTPRINT >> 30} GiB")
        self._init_model(mem_total, refault_cost_us, action_costs)
        self._mem = self._model = RecordedMemory(
            [s for s, _ in self.spans], [e for _, e in self.spans], self.mem_total // PAGE_SIZE,
            seed)
        self._lock = threading.Lock()
        self._loaded = -1      # snapshot whose regions the memory model holds
        self._done_us = 0      # faults processed up to here
        self._now_us = 0
        self._window = 0
        self._sample_id = 0

    # -- replay ------------------------------------------------------------------

    @property
    def duration_us(self) -> int:
        """Replay time of the whole record."""
        return self.timeline.duration_us

    def _load(self, k: int) -> None:
        if k == self._loaded:
            return
        t = self.data
        a, b = t.offsets[k], t.offsets[k + 1]
        n = self.timeline.nr_samples[k]
        q = array("d", (min(1.0, nr / n) for nr in t.nr_accesses[a:b]))
        self._mem.set_regions(t.starts[a:b], t.ends[a:b], q)
        self._loaded = k

    def _flush(self, now_us: int) -> None:
        """Process the faults of ``[done, now)``, one window per snapshot piece."""
        tl = self.timeline
        k = tl.index(self._done_us, max(self._loaded, 0))
        while self._done_us < now_us:
            end = min(now_us, tl.end_us[k]) if k < len(tl.end_us) - 1 else now_us
            self._load(k)
            self._window += 1
            t0 = tl.start_us[k]
            self._mem.touch((self._done_us - t0) / tl.sample_us[k],
                            (end - t0) / tl.sample_us[k], k, self._window, end, t0,
                            tl.sample_us[k])
            self._done_us = end
            if end >= tl.end_us[k] and k < len(tl.end_us) - 1:
                k += 1
        self._load(tl.index(max(now_us - 1, 0), k))

    def advance(self, now_us: int) -> None:
        """Replay up to ``now_us`` without monitoring (the no-scheme baseline)."""
        with self._lock:
            self._now_us = max(self._now_us, now_us)
            self._flush(now_us)

    # -- Ops interface ---------------------------------------------------------------

    def targets(self) -> list[TargetInfo]:
        return [TargetInfo(0, f"record:{self.description}")]

    def target_ranges(self, target_idx: int) -> list[Range] | None:
        if target_idx != 0:
            raise OpsError(f"a replayed record has one target (0), got {target_idx}")
        k = self.timeline.index(self._now_us, max(self._loaded, 0))
        t = self.data
        a, b = t.offsets[k], t.offsets[k + 1]
        return _union(t.starts[a:b], t.ends[a:b]) or None

    def prepare_access_checks(self, target_idx: int, addrs: array, now_us: int) -> None:
        pass

    def check_accesses(self, target_idx: int, addrs: array, out: array, now_us: int) -> None:
        with self._lock:
            self._now_us = max(self._now_us, now_us)
            tl = self.timeline
            k = tl.index(max(now_us - 1, 0), max(self._loaded, 0))
            if k != self._loaded:  # a new snapshot: finish the previous ones' windows
                self._flush(tl.start_us[k] if k else 0)
                self._load(k)
            self._sample_id += 1
            self._mem.check(addrs, out, self._sample_id)

    def free_mem_rate(self) -> int:
        with self._lock:
            self._flush(self._now_us)
            rss = self._mem.rss * PAGE_SIZE
        return max(0, (self.mem_total - rss) * 1000 // self.mem_total)

    def apply_action(self, target_idx: int, action: str, start: int, end: int) -> int:
        self._action_code(action)
        with self._lock:
            self._flush(self._now_us)
            return self._apply_model(action, start, end)

    # -- measures ---------------------------------------------------------------------

    @property
    def rss_bytes(self) -> int:
        return self._mem.rss * PAGE_SIZE

    def stats(self) -> SimStats:
        """The modelled process after the replay so far (the sim's measures)."""
        with self._lock:
            self._flush(self._now_us)
            self._mem.account(self._now_us)
            return self._model_stats(
                self._now_us, 0, f"snapshot {self._loaded + 1}/{len(self.timeline.end_us)}",
                max(0, (self.mem_total - self._mem.rss * PAGE_SIZE) * 1000 // self.mem_total))
