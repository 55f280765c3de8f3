"""Applying DAMOS schemes to the engine's region lists (damon-reference §3.2, era C).

:class:`DamosRunner` is what the engine's two hooks call: :meth:`DamosRunner.wait_us`
before each sample (watermarks) and :meth:`DamosRunner.apply` after each sample (at
an aggregation boundary: after merge, before reset).  Region lists only need
``__len__``, ``get(i) -> (start, end, nr_accesses, last_nr_accesses, age)``,
``set_age(i, age)``, ``split_at(i, size)`` and ``merge_two(i)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from damon_tui.damos.filters import core_filter_out, default_reject
from damon_tui.damos.quota import (
    DAMOS_MAX_SCORE,
    QuotaState,
    cold_score,
    goals_score,
    hot_score,
    min_score_for,
    score_kind,
)
from damon_tui.damos.scheme import Scheme
from damon_tui.damos.watermarks import WatermarksState
from damon_tui.errors import UserError


class DamosStats(NamedTuple):
    """Cumulative statistics of one scheme (sysfs ``schemes/<N>/stats`` + quota state)."""

    nr_tried: int = 0
    sz_tried: int = 0
    nr_applied: int = 0
    sz_applied: int = 0
    sz_ops_filter_passed: int = 0
    qt_exceeds: int = 0
    nr_snapshots: int = 0
    #: effective size quota in bytes (sysfs ``effective_bytes``); 0 = no quota
    esz: int = 0
    #: whether the watermarks had the scheme activated
    active: bool = True


def mvsum(nr: int, last: int, passed: int, next_aggr: int, nr_samples: int) -> int:
    """Era C pseudo moving sum of a region's accesses at sample ``passed``."""
    w = max(1, nr_samples)
    left = 0 if passed >= next_aggr else next_aggr - passed
    left_bp = left * 10000 // w
    if left_bp == 10000:
        return last
    return nr + last * left_bp // 10000


def _ops_filters(ops) -> frozenset[str]:
    fn = getattr(ops, "supported_filters", None)
    return frozenset(fn()) if fn else frozenset()


def _goal_metrics(ops) -> dict[str, Callable[[], int] | None]:
    """Goal metrics this ops can measure (name -> reader returning the current value)."""
    out: dict[str, Callable[[], int] | None] = {"user_input": None}
    free_bp = getattr(ops, "free_mem_bp", None)
    if free_bp is None:
        def free_bp() -> int:
            return ops.free_mem_rate() * 10
    out["node_mem_free_bp"] = free_bp
    out["node_mem_used_bp"] = lambda: 10000 - free_bp()
    for name in ("active_mem_bp", "inactive_mem_bp", "some_mem_psi_us"):
        fn = getattr(ops, name, None)
        if fn is not None:
            out[name] = fn
    return out


def validate_for_ops(schemes: Sequence[Scheme], ops, sample_us: int | None = None,
                     aggr_us: int | None = None) -> None:
    """Refuse schemes the ops cannot run, in one sentence naming scheme and field."""
    actions = set(ops.supported_actions()) | {"stat"}
    filters = _ops_filters(ops)
    metrics = _goal_metrics(ops)
    for i, s in enumerate(schemes):
        where = s.origin or f"scheme {i}"
        try:
            s.validate()
        except ValueError as e:
            raise UserError(f"{where}: {e}") from None
        if sample_us is not None and aggr_us is not None:
            try:
                s.access_pattern.validate_resolved(sample_us, aggr_us)
            except ValueError as e:
                raise UserError(f"{where}: {e}") from None
        if s.action not in actions:
            raise UserError(f"{where}: action: {ops.unsupported_reason(s.action)}")
        if s.action in ("migrate_hot", "migrate_cold") and s.target_nid is None:
            raise UserError(f"{where}: target_nid: {s.action} needs a target node")
        for f in s.filters:
            if not f.is_core and f.filter_type not in filters:
                why = getattr(ops, "unsupported_filter_reason", None)
                reason = why(f.filter_type) if why is not None else (
                    f"the {ops.kind} operations set cannot evaluate '{f.filter_type}' "
                    "filters")
                usable = ", ".join(["addr", "target", *sorted(filters)])
                raise UserError(f"{where}: filters: {reason} (available: {usable})")
        for g in s.quota.active_goals:
            if g.metric not in metrics:
                why = getattr(ops, "goal_metric_unavailable", lambda _m: None)(g.metric)
                if why:  # the ops knows why this machine lacks it (e.g. PSI disabled)
                    raise UserError(f"{where}: quotas.goals.metric: {why}")
                raise UserError(f"{where}: quotas.goals.metric: the {ops.kind} operations set "
                                f"cannot measure '{g.metric}' (use "
                                f"{', '.join(sorted(metrics))})")


class _State:
    """Runtime state of one scheme; ``pattern`` holds the raw bounds (converted once)."""

    def __init__(self, scheme: Scheme, sample_us: int, aggr_us: int, min_sz: int,
                 ops_kind: str) -> None:
        self.scheme = scheme
        self.pattern = scheme.access_pattern.resolve(sample_us, aggr_us)
        self.apply_samples = max(1, (scheme.apply_interval_us or aggr_us) // max(1, sample_us))
        self.next_apply = self.apply_samples
        self.quota = QuotaState(scheme.quota, min_region_sz=min_sz)
        self.core_filters = tuple(f for f in scheme.filters if f.is_core)
        self.core_reject, self.ops_reject = default_reject(scheme.filters)
        #: ops filters as plain tuples for ``Ops.apply_scheme`` (judged per page there)
        self.ops_filters = tuple(
            (f.filter_type, f.matching, f.allow, f.hugepage_min, f.hugepage_max)
            for f in scheme.filters if not f.is_core)
        self.kind = score_kind(ops_kind, scheme.action)
        self.goal_currents = [g.current_value for g in scheme.quota.goals]
        self.s = [0] * 7  # nr_tried sz_tried nr_applied sz_applied passed qt nr_snapshots


def runner_for(schemes: Sequence[Scheme], ops, sample_us: int, aggr_us: int,
               ) -> DamosRunner | None:
    """The scheme hook for a ``Monitor`` (None without schemes); validated for ``ops``."""
    schemes = tuple(schemes)
    if not schemes:
        return None
    return DamosRunner(schemes, ops, sample_us, aggr_us, ops.min_region_sz)


def commit(monitor, schemes: Sequence[Scheme]) -> None:
    """Commit ``schemes`` to a ``Monitor`` like the kernel's ``commit`` file.

    Validated now (``UserError``: nothing changes); applied in the monitoring loop via
    ``Monitor.call`` (served even while watermarks keep every scheme inactive), in
    place: the running runner keeps its state (see :meth:`DamosRunner.commit`).
    """
    schemes = tuple(schemes)
    a = monitor.attrs
    validate_for_ops(schemes, monitor.ops, a.sample_us, a.aggr_us)

    def do_commit(m) -> None:
        runner = m.damos
        if runner is None:
            if schemes:
                runner = DamosRunner(schemes, m.ops, m.attrs.sample_us, m.attrs.aggr_us,
                                     m.ops.min_region_sz)
                runner.set_attrs(m.attrs.sample_us, m.attrs.aggr_us, m.passed)
                for st in runner.states:
                    if not st.scheme.apply_interval_us:
                        st.next_apply = m.next_aggr
                runner._next_due = min(st.next_apply for st in runner.states)
                m.damos = runner
            return
        runner.commit(schemes, m.passed, m.next_aggr)

    monitor.call(do_commit)


class DamosRunner:
    """Applies schemes to region lists with quotas, prioritisation and watermarks.

    The time quota is charged with the time each ops ``apply_action`` call takes:
    measured with ``clock_ns`` (wall time) for wall-clock ops; for virtual-clock ops
    that model it (``ops.last_apply_cost_ns``, set by each call: the sim's
    :class:`~damon_tui.ops.sim.ActionCosts`), the modelled time instead, so that
    ``quota_ms`` limits the work per reset interval of virtual time.  ``apply_ns``
    is always the wall time of the passes (our own overhead).
    """

    def __init__(self, schemes: Sequence[Scheme], ops, sample_us: int, aggr_us: int,
                 min_region_sz: int | None = None,
                 clock_ns: Callable[[], int] = time.perf_counter_ns) -> None:
        schemes = tuple(schemes)
        validate_for_ops(schemes, ops, sample_us, aggr_us)
        self.ops = ops
        self.schemes = schemes
        self.sample_us = sample_us
        self.aggr_us = aggr_us
        self.nr_samples = max(1, aggr_us // max(1, sample_us))
        self.min_sz = min_region_sz or ops.min_region_sz
        if self.min_sz < 1 or self.min_sz & (self.min_sz - 1):
            raise UserError(f"min_region_sz: {self.min_sz} is not a power of two")
        self.states = [_State(s, sample_us, aggr_us, self.min_sz, ops.kind) for s in schemes]
        self.wmarks = WatermarksState([s.watermarks for s in schemes], ops.free_mem_rate)
        self._metrics = _goal_metrics(ops)
        self._clock_ns = clock_ns
        self._modelled = ops.clock == "virtual" and hasattr(ops, "last_apply_cost_ns")
        self._advance = getattr(ops, "advance", None) if ops.clock == "virtual" else None
        #: ops that judge ops filters per page and report the bytes that passed them
        self._ops_apply_scheme = getattr(ops, "apply_scheme", None)
        self._next_due = min((st.next_apply for st in self.states), default=0)
        #: time spent inside :meth:`apply` passes that had a due scheme (ns, wall)
        self.apply_ns = 0
        #: passes over the regions (apply intervals that had an active due scheme)
        self.nr_passes = 0

    # -- hooks --------------------------------------------------------------------------
    def wait_us(self, now_us: int | None = None) -> int:
        """Watermarks check before a sample; µs to stay suspended (0 = sample now).

        A virtual-clock ops with ``advance(now_us)`` (the sim) is first run up to
        ``now_us``: its workload keeps running, and its free memory changing, while
        monitoring is suspended.
        """
        if now_us is not None and self.wmarks.needs_metric and self._advance is not None:
            self._advance(now_us)
        return self.wmarks.wait_us()

    def set_attrs(self, sample_us: int, aggr_us: int, passed: int) -> None:
        """Monitoring attributes changed online (``damon_set_attrs``): reschedule.

        Access patterns keep the raw values they were converted to when the schemes
        were set or committed, like the kernel's ``damos_access_pattern`` (intervals
        auto-tuning never converts them again).
        """
        self.sample_us, self.aggr_us = sample_us, aggr_us
        self.nr_samples = max(1, aggr_us // max(1, sample_us))
        for st in self.states:
            st.apply_samples = max(1, (st.scheme.apply_interval_us or aggr_us)
                                   // max(1, sample_us))
            st.next_apply = passed + st.apply_samples
        self._next_due = min((st.next_apply for st in self.states), default=0)

    def commit(self, schemes: Sequence[Scheme], passed: int = 0,
               next_aggr: int | None = None) -> None:
        """Update the schemes in place (``damon_commit_schemes`` / ``damos_commit``).

        Validated first: invalid input raises and leaves the running schemes untouched.
        The scheme at each common position takes the new configuration (pattern,
        action, apply interval, quota limits, weights and goals, watermarks, filters,
        target node) and keeps its state: statistics, quota charge window, effective
        quota, goal tuner state, measured throughput, next apply time.  Like
        ``damos_commit`` copying watermarks of a freshly made scheme, every scheme is
        activated again; the next watermarks check decides.  Extra old schemes go; new
        ones start clean, first applied at the next aggregation boundary
        (``next_aggr``) when their apply interval is the aggregation interval.
        """
        schemes = tuple(schemes)
        validate_for_ops(schemes, self.ops, self.sample_us, self.aggr_us)
        new = [_State(s, self.sample_us, self.aggr_us, self.min_sz, self.ops.kind)
               for s in schemes]
        for i, st in enumerate(new):
            if i < len(self.states):
                old = self.states[i]
                st.s = old.s
                st.next_apply = old.next_apply
                qs = old.quota
                qs.quota = st.quota.quota
                st.quota = qs
                # goals are committed by position; a user_input goal's current value
                # comes from the new input (damos_commit_quota_goal)
                for gi, g in enumerate(st.scheme.quota.goals):
                    if g.metric != "user_input" and gi < len(old.goal_currents):
                        st.goal_currents[gi] = old.goal_currents[gi]
            elif next_aggr is not None and not st.scheme.apply_interval_us:
                st.next_apply = next_aggr
            else:
                st.next_apply = passed + st.apply_samples
        wm = self.wmarks
        self.schemes = schemes
        self.states = new
        self.wmarks = WatermarksState([s.watermarks for s in schemes], self.ops.free_mem_rate)
        self.wmarks.idle_us, self.wmarks.last_metric = wm.idle_us, wm.last_metric
        self._next_due = min((st.next_apply for st in self.states), default=0)

    def set_goal_current(self, scheme_idx: int, goal_idx: int, value: int) -> None:
        """Feed a ``user_input`` goal's current value (read at the next window)."""
        self.states[scheme_idx].goal_currents[goal_idx] = int(value)

    def stats(self) -> tuple[DamosStats, ...]:
        return tuple(
            DamosStats(st.s[0], st.s[1], st.s[2], st.s[3], st.s[4], st.s[5], st.s[6],
                       esz=st.quota.esz, active=self.wmarks.active[i])
            for i, st in enumerate(self.states))

    def apply(self, region_lists: Sequence, passed: int, next_aggr: int, now_us: int,
              max_region_sz: int | Callable[[], int] | None = None) -> tuple[DamosStats, ...]:
        """``kdamond_apply_schemes`` at sample ``passed``; returns the cumulative stats.

        ``max_region_sz`` (or a function computing it) bounds DAMOS merge-back; None
        disables merge-back.
        """
        if passed < self._next_due:
            return self.stats()
        if callable(max_region_sz):
            max_region_sz = max_region_sz()
        t0 = self._clock_ns()
        active = self.wmarks.active
        due = [st for i, st in enumerate(self.states) if passed >= st.next_apply and active[i]]
        if not due:
            return self.stats()
        for st in due:
            self._adjust_quota(st, region_lists, passed, next_aggr, now_us)
        for t, rl in enumerate(region_lists):
            self._apply_target(due, t, rl, passed, next_aggr, max_region_sz)
        for st in self.states:
            if passed >= st.next_apply:
                st.next_apply = passed + st.apply_samples
        self._next_due = min(st.next_apply for st in self.states)
        self.nr_passes += 1
        self.apply_ns += self._clock_ns() - t0
        return self.stats()

    # -- internals ----------------------------------------------------------------------
    def _goal_score(self, st: _State) -> int | None:
        goals = st.scheme.quota.goals
        values = []
        for gi, g in enumerate(goals):
            if not g.target_value:
                continue
            reader = self._metrics.get(g.metric)
            current = st.goal_currents[gi] if reader is None else int(reader())
            values.append((current, g.target_value))
        return goals_score(values) if values else None

    def _adjust_quota(self, st: _State, rls: Sequence, passed: int, next_aggr: int,
                      now_us: int) -> None:
        q = st.quota
        if not (q.quota.ms or q.quota.sz or q.quota.active_goals):
            return
        if q.charged_from is None:  # first charge window
            q.charged_from = now_us
            q.set_effective_quota(self._goal_score(st))
        if q.new_window_due(now_us):
            if q.full():  # era C: charged >= esz, or less than min_region_sz left
                st.s[5] += 1
            q.total_charged_sz += q.charged_sz
            q.charged_from = now_us
            q.charged_sz = 0
            q.set_effective_quota(self._goal_score(st))
        if st.kind == "max":
            q.min_score = DAMOS_MAX_SCORE
            return
        hist = [0] * (DAMOS_MAX_SCORE + 1)
        pat = st.pattern
        weights = st.scheme.quota.weights
        score_fn = hot_score if st.kind == "hot" else cold_score
        for t, rl in enumerate(rls):
            i = 0
            while i < len(rl):
                start, end, nr, last, age = rl.get(i)
                acc = mvsum(nr, last, passed, next_aggr, self.nr_samples)
                if pat.matches(end - start, acc, age):
                    if not (st.core_filters and core_filter_out(
                            st.core_filters, st.core_reject, rl, i, t, self.min_sz)):
                        start, end = rl.get(i)[:2]
                        hist[score_fn(acc, age, self.nr_samples, self.aggr_us, weights)] += (
                            end - start)
                i += 1
        q.min_score = min_score_for(hist, q.esz)

    def _skip_charged(self, st: _State, t: int, rl, i: int) -> bool:
        """``damos_skip_charged_region`` (era C): resume after the last charged region."""
        q = st.quota
        if q.charge_target_from is None:
            return False
        if t != q.charge_target_from:
            return True
        if i == len(rl) - 1:
            q.charge_target_from = None
            q.charge_addr_from = 0
            return True
        start, end = rl.get(i)[:2]
        if end <= q.charge_addr_from:
            return True
        if start < q.charge_addr_from:
            skip = (q.charge_addr_from - start) // self.min_sz * self.min_sz
            if skip == 0:
                if end - start <= self.min_sz:
                    return True
                skip = self.min_sz
            if skip < end - start:
                rl.split_at(i, skip)
            return True
        q.charge_target_from = None
        q.charge_addr_from = 0
        return False

    def _apply_target(self, due: list[_State], t: int, rl, passed: int, next_aggr: int,
                      max_region_sz: int | None) -> None:
        i = 0
        nr_samples = self.nr_samples
        while i < len(rl):
            for st in due:
                q = st.quota
                if q.full():
                    continue
                if self._skip_charged(st, t, rl, i):
                    continue
                if i == len(rl) - 1:
                    st.s[6] += 1
                start, end, nr, last, age = rl.get(i)
                acc = mvsum(nr, last, passed, next_aggr, nr_samples)
                if not st.pattern.matches(end - start, acc, age):
                    continue
                if q.is_set and st.kind != "max":
                    fn = hot_score if st.kind == "hot" else cold_score
                    if fn(acc, age, nr_samples, self.aggr_us,
                          st.scheme.quota.weights) < q.min_score:
                        continue
                self._apply_scheme(st, t, rl, i)
            if max_region_sz and i > 0 and self._merge_back(rl, i, max_region_sz):
                continue  # region i merged into i - 1; i now names the next region
            i += 1

    @staticmethod
    def _merge_back(rl, i: int, max_region_sz: int) -> bool:
        ps, pe, pnr, plast, page = rl.get(i - 1)
        s, e, nr, last, age = rl.get(i)
        if pe == s and pnr == nr and plast == last and page == age and e - ps <= max_region_sz:
            rl.merge_two(i - 1)
            return True
        return False

    def _apply_scheme(self, st: _State, t: int, rl, i: int) -> None:
        """``damos_apply_scheme`` on region ``i`` of target ``t``."""
        q = st.quota
        scheme = st.scheme
        start, end = rl.get(i)[:2]
        sz = end - start
        applied = passed = 0
        if q.esz and q.charged_sz + sz > q.esz:
            sz = (q.esz - q.charged_sz) // self.min_sz * self.min_sz
            if sz == 0:
                self._update_stats(st, 0, 0, 0)
                return
            if sz < end - start:
                rl.split_at(i, sz)
        if st.core_filters and core_filter_out(st.core_filters, st.core_reject, rl, i, t,
                                               self.min_sz):
            return
        start, end = rl.get(i)[:2]
        sz = end - start
        elapsed = 0
        if self._ops_apply_scheme is not None and (scheme.action != "stat" or st.ops_filters):
            # per-page ops filters; stat only counts what passes them (damon_pa_stat)
            t0 = self._clock_ns()
            applied, passed = self._ops_apply_scheme(t, scheme.action, start, end,
                                                 st.ops_filters, st.ops_reject)
            applied, passed = int(applied or 0), int(passed or 0)
            elapsed = self._clock_ns() - t0
            if self._modelled:
                elapsed = int(self.ops.last_apply_cost_ns)
        elif scheme.action != "stat":  # stat: nothing to do, 0 bytes applied
            t0 = self._clock_ns()
            applied = int(self.ops.apply_action(t, scheme.action, start, end) or 0)
            elapsed = self._clock_ns() - t0
            if self._modelled:
                elapsed = int(self.ops.last_apply_cost_ns)
        q.charge(sz, applied, elapsed)
        if q.esz and q.charged_sz >= q.esz:
            q.charge_target_from = t
            q.charge_addr_from = end
        if scheme.action != "stat":
            rl.set_age(i, 0)
        self._update_stats(st, sz, applied, passed)

    @staticmethod
    def _update_stats(st: _State, sz: int, applied: int, passed: int) -> None:
        s = st.s
        s[0] += 1
        s[1] += sz
        if applied > 0:
            s[2] += 1
        s[3] += applied
        s[4] += passed
