"""DAMOS quotas: charge windows, effective quota, goals feedback, scores, min_score.

Integer arithmetic follows the kernel (damon-reference §3.3, §3.4, §3.6): every
division truncates, ``mult_frac`` is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

from damon_tui.damos.scheme import Quota, Weights
from damon_tui.feedback import feed
from damon_tui.units import ULONG_MAX

DAMOS_MAX_SCORE = 99
_MAX_SUBSCORE = 100
_MAX_AGE_IN_LOG = 32
#: throughput assumed before anything was charged: PAGE_SIZE * 1024 bytes per ms
DEFAULT_THROUGHPUT = 4096 * 1024

#: which score each ops kind uses per action ("cold", "hot"; others get the max score)
PADDR_SCORES = {"pageout": "cold", "lru_prio": "hot", "lru_deprio": "cold",
                "migrate_hot": "hot", "migrate_cold": "cold"}
VADDR_SCORES = {"pageout": "cold", "migrate_hot": "hot", "migrate_cold": "cold"}


def hot_score(acc: int, age: int, max_nr_accesses: int, aggr_us: int, weights: Weights) -> int:
    """``damon_hot_score`` (0..99); ``weights.sz`` is ignored like in the kernel."""
    freq = acc * _MAX_SUBSCORE // max(1, max_nr_accesses)
    age_sec = age * aggr_us // 1_000_000
    lg = 0
    while lg < _MAX_AGE_IN_LOG and age_sec:
        lg += 1
        age_sec >>= 1
    if freq == 0:
        lg = -lg
    age_sub = (lg + _MAX_AGE_IN_LOG) * _MAX_SUBSCORE // _MAX_AGE_IN_LOG // 2
    w_nr, w_age = weights.nr_accesses, weights.age
    h = w_nr * freq + w_age * age_sub
    if w_nr + w_age:
        h //= w_nr + w_age
    h = h * DAMOS_MAX_SCORE // _MAX_SUBSCORE
    return min(h, DAMOS_MAX_SCORE)


def cold_score(acc: int, age: int, max_nr_accesses: int, aggr_us: int, weights: Weights) -> int:
    """``damon_cold_score`` = 99 - hot score."""
    return DAMOS_MAX_SCORE - hot_score(acc, age, max_nr_accesses, aggr_us, weights)


def score_kind(ops_kind: str, action: str) -> str:
    """"hot", "cold" or "max" for an action under an ops kind (``get_scheme_score``)."""
    table = VADDR_SCORES if ops_kind in ("vaddr", "fvaddr") else PADDR_SCORES
    return table.get(action, "max")


def min_score_for(histogram: list[int], esz: int) -> int:
    """Walk the size-by-score histogram down from its max until ``esz`` is covered."""
    max_score = 0
    for score in range(DAMOS_MAX_SCORE, -1, -1):
        if histogram[score]:
            max_score = score
            break
    cumulated = 0
    score = max_score
    while True:
        cumulated += histogram[score]
        if cumulated >= esz or score == 0:
            break
        score -= 1
    return score


def goals_score(values: list[tuple[int, int]]) -> int:
    """max over goals of current * 10000 / target (the least aggressive goal wins)."""
    best = 0
    for current, target in values:
        if target:
            best = max(best, current * 10000 // target)
    return best


@dataclass
class QuotaState:
    """Runtime state of one scheme's quota (``struct damos_quota``'s private part)."""

    quota: Quota
    min_region_sz: int = 4096
    esz: int = 0
    esz_bp: int = 0
    charged_sz: int = 0
    charged_from: int | None = None  # µs on the engine clock; None before the first window
    total_charged_sz: int = 0
    total_charged_ns: int = 0
    min_score: int = 0
    charge_target_from: int | None = None
    charge_addr_from: int = 0
    last_goal_score: int | None = None

    @property
    def is_set(self) -> bool:
        return bool(self.quota.ms or self.quota.sz or self.quota.active_goals or self.esz)

    def full(self) -> bool:
        """Era C: quota set and (charged >= esz or esz - charged < min_region_sz)."""
        if not self.is_set:
            return False
        return self.charged_sz >= self.esz or self.esz - self.charged_sz < self.min_region_sz

    def throughput(self) -> int:
        """Bytes per ms measured so far (4 MiB/ms before anything was charged)."""
        if self.total_charged_ns:
            return self.total_charged_sz * 1_000_000 // self.total_charged_ns
        return DEFAULT_THROUGHPUT

    def set_effective_quota(self, goal_score: int | None) -> None:
        """``damos_set_effective_quota``; ``goal_score`` None when there are no goals."""
        q = self.quota
        if not q.ms and goal_score is None:
            self.esz = q.sz
            return
        esz = ULONG_MAX
        if goal_score is not None:
            self.last_goal_score = goal_score
            if q.goal_tuner == "temporal":
                if goal_score >= 10000:
                    self.esz_bp = 0
                elif q.sz:
                    self.esz_bp = q.sz * 10000
                else:
                    self.esz_bp = ULONG_MAX
            else:
                self.esz_bp = feed(max(self.esz_bp, 10000), goal_score)
            esz = self.esz_bp // 10000
        if q.ms:
            esz = min(self.throughput() * q.ms, esz)
            esz = max(self.min_region_sz, esz)
        if q.sz and q.sz < esz:
            esz = q.sz
        self.esz = esz

    def new_window_due(self, now_us: int) -> bool:
        """Whether ``now`` left ``[charged_from, charged_from + reset_interval)``."""
        assert self.charged_from is not None
        end = self.charged_from + self.quota.reset_interval_ms * 1000
        return not self.charged_from <= now_us < end

    def charge(self, sz: int, applied: int, elapsed_ns: int) -> None:
        """Charge one application (with ``fail_charge_*`` when set)."""
        q = self.quota
        self.total_charged_ns += elapsed_ns
        if q.fail_charge_denom and applied <= sz:
            self.charged_sz += applied + (sz - applied) * q.fail_charge_num // q.fail_charge_denom
        else:
            self.charged_sz += sz
