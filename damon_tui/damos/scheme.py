"""DAMOS scheme configuration: frozen dataclasses validated with the kernel's rules.

Values keep the unit the user wrote them in (accesses as samples or percent, ages as
microseconds or aggregation intervals, like damo); :meth:`AccessPattern.resolve`
converts them for given monitoring attributes.  Validation errors are ``ValueError``
whose message starts with the field name; callers add the scheme's location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from damon_tui.units import UINT_MAX, ULONG_MAX

#: every DAMOS action (usage.rst); the debugfs one-line format numbers the first six.
ACTIONS: tuple[str, ...] = (
    "willneed", "cold", "pageout", "hugepage", "nohugepage", "collapse", "lru_prio",
    "lru_deprio", "migrate_hot", "migrate_cold", "stat",
)
#: action codes of the debugfs ``schemes`` file (usage.rst: 0..5)
DEBUGFS_ACTIONS: tuple[str, ...] = ("willneed", "cold", "pageout", "hugepage", "nohugepage",
                                    "stat")
WMARK_METRICS: tuple[str, ...] = ("none", "free_mem_rate")
GOAL_METRICS: tuple[str, ...] = (
    "user_input", "some_mem_psi_us", "node_mem_used_bp", "node_mem_free_bp",
    "node_memcg_used_bp", "node_memcg_free_bp", "active_mem_bp", "inactive_mem_bp",
    "node_eligible_mem_bp",
)
GOAL_TUNERS: tuple[str, ...] = ("consist", "temporal")
#: filters handled by the core (per region) and by the ops (per page/folio)
CORE_FILTERS: tuple[str, ...] = ("addr", "target")
OPS_FILTERS: tuple[str, ...] = ("anon", "active", "memcg", "young", "hugepage_size",
                                "unmapped")
FILTER_TYPES = CORE_FILTERS + OPS_FILTERS

AccUnit = Literal["samples", "percent"]
AgeUnit = Literal["usec", "aggr_intervals"]


@dataclass(frozen=True)
class Accesses:
    """An access-count bound: ``value`` samples per aggregation, or ``value`` percent."""

    value: float
    unit: AccUnit = "samples"

    def samples(self, nr_samples: int) -> int:
        """The bound in samples for ``nr_samples`` samples per aggregation (damo's rule)."""
        if self.unit == "samples" or self.value >= ULONG_MAX:
            return int(self.value)
        return int(self.value * nr_samples / 100)


@dataclass(frozen=True)
class Age:
    """An age bound: ``value`` microseconds or ``value`` aggregation intervals."""

    value: int
    unit: AgeUnit = "aggr_intervals"

    def aggr_intervals(self, aggr_us: int) -> int:
        if self.unit == "aggr_intervals" or self.value >= ULONG_MAX:
            return int(self.value)
        return int(self.value // aggr_us)


@dataclass(frozen=True)
class ResolvedPattern:
    """An access pattern in engine units (bytes, samples, aggregation intervals)."""

    min_sz: int
    max_sz: int
    min_nr_accesses: int
    max_nr_accesses: int
    min_age: int
    max_age: int

    def matches(self, size: int, acc: int, age: int) -> bool:
        return (self.min_sz <= size <= self.max_sz
                and self.min_nr_accesses <= acc <= self.max_nr_accesses
                and self.min_age <= age <= self.max_age)


@dataclass(frozen=True)
class AccessPattern:
    """Inclusive size / nr_accesses / age ranges (default: every region, like damo)."""

    min_sz: int = 0
    max_sz: int = ULONG_MAX
    min_nr_accesses: Accesses = Accesses(0)
    max_nr_accesses: Accesses = Accesses(ULONG_MAX)
    min_age: Age = Age(0)
    max_age: Age = Age(ULONG_MAX)

    def resolve(self, sample_us: int, aggr_us: int) -> ResolvedPattern:
        nr_samples = max(1, min(aggr_us // max(1, sample_us), UINT_MAX))
        return ResolvedPattern(
            self.min_sz, self.max_sz,
            self.min_nr_accesses.samples(nr_samples), self.max_nr_accesses.samples(nr_samples),
            self.min_age.aggr_intervals(aggr_us), self.max_age.aggr_intervals(aggr_us))

    def validate_resolved(self, sample_us: int, aggr_us: int) -> None:
        """Check min <= max once units are resolved for these intervals."""
        r = self.resolve(sample_us, aggr_us)
        if r.min_nr_accesses > r.max_nr_accesses:
            raise ValueError(f"access_pattern.nr_accesses: min ({r.min_nr_accesses} samples) "
                             f"> max ({r.max_nr_accesses} samples)")
        if r.min_age > r.max_age:
            raise ValueError(f"access_pattern.age: min ({r.min_age} aggregation intervals) "
                             f"> max ({r.max_age} aggregation intervals)")

    def validate(self) -> None:
        if self.min_sz > self.max_sz:
            raise ValueError(f"access_pattern.sz_bytes: min ({self.min_sz}) > max ({self.max_sz})")
        for lo, hi, name in ((self.min_nr_accesses, self.max_nr_accesses, "nr_accesses"),
                             (self.min_age, self.max_age, "age")):
            if lo.value < 0 or hi.value < 0:
                raise ValueError(f"access_pattern.{name}: must not be negative")
            if lo.unit == hi.unit and lo.value > hi.value:
                raise ValueError(f"access_pattern.{name}: min ({lo.value}) > max ({hi.value})")
        for b in (self.min_nr_accesses, self.max_nr_accesses):
            if b.unit == "percent" and b.value > 100 and b.value < ULONG_MAX:
                raise ValueError(f"access_pattern.nr_accesses: {b.value}% is above 100%")


@dataclass(frozen=True)
class QuotaGoal:
    """A quota auto-tuning goal (``damos_quota_goal``)."""

    metric: str = "user_input"
    target_value: int = 0
    current_value: int = 0
    nid: int | None = None

    def validate(self) -> None:
        if self.metric not in GOAL_METRICS:
            raise ValueError(f"quotas.goals.metric: unknown metric {self.metric!r} "
                             f"(one of {', '.join(GOAL_METRICS)})")
        if self.target_value < 0 or self.current_value < 0:
            raise ValueError("quotas.goals: values must not be negative")


@dataclass(frozen=True)
class Weights:
    """Prioritisation weights in permil (``weight_sz`` is ignored by the kernel)."""

    sz: int = 0
    nr_accesses: int = 0
    age: int = 0


@dataclass(frozen=True)
class Quota:
    """Time / size quotas per reset interval, weights and goals (``damos_quota``)."""

    ms: int = 0
    sz: int = 0
    reset_interval_ms: int = 1000
    weights: Weights = Weights()
    goals: tuple[QuotaGoal, ...] = ()
    goal_tuner: str = "consist"
    fail_charge_num: int = 0
    fail_charge_denom: int = 0

    @property
    def is_set(self) -> bool:
        """Whether any limit applies (ms, sz or goals)."""
        return bool(self.ms or self.sz or self.active_goals)

    @property
    def active_goals(self) -> tuple[QuotaGoal, ...]:
        """Goals in effect (a goal with target_value 0 is ignored, as in sysfs)."""
        return tuple(g for g in self.goals if g.target_value)

    def validate(self) -> None:
        for name in ("ms", "sz", "reset_interval_ms", "fail_charge_num", "fail_charge_denom"):
            if getattr(self, name) < 0:
                raise ValueError(f"quotas.{name}: must not be negative")
        for name in ("sz", "nr_accesses", "age"):
            if getattr(self.weights, name) < 0:
                raise ValueError(f"quotas.weights.{name}_permil: must not be negative")
        if self.goal_tuner not in GOAL_TUNERS:
            raise ValueError(f"quotas.goal_tuner: unknown tuner {self.goal_tuner!r} "
                             f"(consist or temporal)")
        for g in self.goals:
            g.validate()


@dataclass(frozen=True)
class Watermarks:
    """Activation watermarks (``damos_watermarks``); values in permil of free memory."""

    metric: str = "none"
    interval_us: int = 0
    high: int = 0
    mid: int = 0
    low: int = 0

    def validate(self) -> None:
        if self.metric not in WMARK_METRICS:
            raise ValueError(f"watermarks.metric: unknown metric {self.metric!r} "
                             f"(none or free_mem_rate)")
        for name in ("interval_us", "high", "mid", "low"):
            if getattr(self, name) < 0:
                raise ValueError(f"watermarks.{name}: must not be negative")

    def warning(self) -> str | None:
        """One line when the kernel accepts these watermarks but they cannot work."""
        if self.metric != "none" and not self.low <= self.mid <= self.high:
            return (f"watermarks high/mid/low {self.high}/{self.mid}/{self.low} are out of "
                    "order (the kernel accepts them; the scheme may never be activated)")
        return None


@dataclass(frozen=True)
class Filter:
    """A DAMOS filter; ``matching``: the property value that makes it match."""

    filter_type: str
    matching: bool = True
    allow: bool = False
    addr_start: int | None = None
    addr_end: int | None = None
    target_idx: int | None = None
    memcg_path: str | None = None
    hugepage_min: int | None = None
    hugepage_max: int | None = None

    @property
    def is_core(self) -> bool:
        return self.filter_type in CORE_FILTERS

    def validate(self) -> None:
        if self.filter_type not in FILTER_TYPES:
            raise ValueError(f"filters.filter_type: unknown type {self.filter_type!r} "
                             f"(one of {', '.join(FILTER_TYPES)})")
        if self.filter_type == "addr":
            if self.addr_start is None or self.addr_end is None:
                raise ValueError("filters.address_range: addr filter needs start and end")
            if self.addr_end < self.addr_start:
                raise ValueError(f"filters.address_range: end ({self.addr_end}) < start "
                                 f"({self.addr_start})")
        if self.filter_type == "target" and (self.target_idx is None or self.target_idx < 0):
            raise ValueError("filters.damon_target_idx: target filter needs an index >= 0")
        if self.filter_type == "hugepage_size":
            lo, hi = self.hugepage_min or 0, self.hugepage_max or 0
            if lo > hi:
                raise ValueError(f"filters.hugepage_size: min ({lo}) > max ({hi})")
        if self.filter_type == "memcg" and not self.memcg_path:
            raise ValueError("filters.memcg_path: memcg filter needs a path")


@dataclass(frozen=True)
class Scheme:
    """One DAMON-based operation scheme."""

    access_pattern: AccessPattern = AccessPattern()
    action: str = "stat"
    apply_interval_us: int = 0
    quota: Quota = Quota()
    watermarks: Watermarks = Watermarks()
    filters: tuple[Filter, ...] = ()
    target_nid: int | None = None
    #: where the scheme came from, for error messages ("rules.json: scheme 1")
    origin: str = field(default="", compare=False)

    def validate(self) -> None:
        """Raise ``ValueError("<field>: ...")`` on the first invalid field."""
        if self.action not in ACTIONS:
            raise ValueError(f"action: unknown action {self.action!r} "
                             f"(one of {', '.join(ACTIONS)})")
        if self.apply_interval_us < 0:
            raise ValueError("apply_interval_us: must not be negative")
        self.access_pattern.validate()
        self.quota.validate()
        self.watermarks.validate()
        for f in self.filters:
            f.validate()

    def describe(self) -> str:
        """Short human label: ``scheme 0 (pageout)``."""
        return f"{self.origin or 'scheme'} ({self.action})"
