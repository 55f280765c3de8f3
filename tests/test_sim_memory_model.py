"""The sim's memory model: residency, refaults, LRU, pressure, DAMOS action effects."""

from __future__ import annotations

import pytest

from damon_tui.errors import UserError
from damon_tui.ops.base import ALL_ACTIONS, OpsError
from damon_tui.ops.sim import SimOps

PG = 4096


def zigzag(**kw) -> SimOps:
    return SimOps("zigzag", **kw)


def test_pages_become_resident_on_first_touch_and_free_memory_falls():
    ops = zigzag()
    assert ops.stats().rss_bytes == 0 and ops.free_mem_rate() == 1000
    ops.advance(1000)                      # 1 ms: less than a pass over one region
    st = ops.stats()
    assert 0 < st.rss_bytes < ops.footprint
    assert st.page_faults * PG == st.rss_bytes and st.refaults == 0
    ops.advance(9_000_000)                 # warm-up touched everything
    st = ops.stats()
    assert st.rss_bytes == st.peak_rss_bytes == ops.footprint
    assert st.mem_total == ops.footprint * 3 // 2 // PG * PG
    assert ops.free_mem_rate() == 333


def test_pageout_then_access_is_a_refault_with_modelled_cost():
    ops = zigzag(refault_cost_us=100)
    (a0, a1), (b0, b1) = ops.mappings
    ops.advance(10_000_000)
    faults = ops.stats().page_faults
    applied = ops.apply_action(0, "pageout", a0, a1)
    assert applied == a1 - a0
    st = ops.stats()
    assert st.rss_bytes == b1 - b0 and st.bytes_paged_out == a1 - a0
    assert ops.free_mem_rate() > 333
    assert ops.memory_state(a0, a1)["swapped"] == (a1 - a0) // PG
    assert ops.apply_action(0, "pageout", a0, a1) == 0       # nothing resident left
    ops.advance(12_000_000)                                  # a's turn: every page again
    st = ops.stats()
    assert st.refaults == (a1 - a0) // PG
    assert st.page_faults == faults                          # refaults counted apart
    assert st.rss_bytes == ops.footprint
    assert st.slowdown == pytest.approx(st.refaults * 100 / 12_000_000)
    assert ops.memory_state(a0, a1)["swapped"] == 0


def test_pageout_of_an_idle_region_saves_memory_without_refaults():
    ops = zigzag()
    (a0, a1), (b0, b1) = ops.mappings
    ops.advance(15_500_000)                  # b's turn until 20 s
    ops.apply_action(0, "pageout", a0, a1)
    ops.advance(19_900_000)
    st = ops.stats()
    assert st.refaults == 0 and st.rss_bytes == b1 - b0
    assert st.avg_rss_bytes < ops.footprint


def test_lru_actions_move_pages_between_active_and_inactive():
    ops = zigzag()
    (a0, a1), _ = ops.mappings
    ops.advance(10_000_000)
    n = (a1 - a0) // PG
    assert ops.memory_state(a0, a1)["active"] == n           # faulted pages are active
    assert ops.apply_action(0, "lru_deprio", a0, a0 + 10 * PG) == 10 * PG
    assert ops.apply_action(0, "cold", a0 + 10 * PG, a0 + 20 * PG) == 10 * PG
    assert ops.memory_state(a0, a1)["active"] == n - 20
    assert ops.apply_action(0, "lru_prio", a0, a1) == a1 - a0
    assert ops.memory_state(a0, a1)["active"] == n


def test_willneed_hugepage_stat_and_unmapped_ranges():
    ops = zigzag()
    (a0, a1), (b0, b1) = ops.mappings
    assert ops.apply_action(0, "willneed", a0, a0 + 8 * PG) == 8 * PG
    st = ops.stats()
    assert st.rss_bytes == 8 * PG and st.willneed_bytes == 8 * PG and st.page_faults == 0
    assert ops.apply_action(0, "hugepage", b0, b0 + (2 << 20)) == 2 << 20
    assert ops.memory_state(b0, b1)["hugepage"] == 512
    ops.apply_action(0, "nohugepage", b0, b0 + (1 << 20))
    assert ops.memory_state(b0, b1)["hugepage"] == 256
    assert ops.apply_action(0, "stat", a0, b1) == 0
    assert ops.apply_action(0, "pageout", a1 + PG, b0) == 0      # the gap maps nothing
    assert ops.stats().rss_bytes == 8 * PG


def test_supported_actions_refuse_migration_with_a_reason():
    ops = zigzag()
    supported = ops.supported_actions()
    assert supported == frozenset(ALL_ACTIONS) - {"migrate_hot", "migrate_cold"}
    assert "NUMA" in ops.unsupported_reason("migrate_hot")
    with pytest.raises(OpsError):
        ops.apply_action(0, "migrate_cold", 0, 1 << 20)


def test_reclaim_under_pressure_evicts_inactive_pages_first():
    ops = zigzag(mem_total=150_000_000)
    (a0, a1), (b0, b1) = ops.mappings
    ops.advance(10_000_000)
    st = ops.stats()
    assert st.rss_bytes <= ops.mem_total and st.bytes_reclaimed > 0
    assert ops.free_mem_rate() == 0
    # make a inactive, b active, then fault more pages in: a goes first
    ops.apply_action(0, "willneed", a0, a1)
    ops.apply_action(0, "willneed", b0, b1)
    ops.apply_action(0, "lru_prio", b0, b1)
    ops.apply_action(0, "lru_deprio", a0, a1)
    before_b = ops.memory_state(b0, b1)["resident"]
    ops.apply_action(0, "pageout", b0, b0 + 1000 * PG)
    ops.apply_action(0, "willneed", b0, b0 + 1000 * PG)     # needs 1000 pages back
    assert ops.memory_state(b0, b1)["resident"] == before_b
    assert ops.memory_state(a0, a1)["swapped"] >= 1000


def test_bad_parameters_are_user_errors():
    with pytest.raises(UserError, match="access rate"):
        SimOps("zigzag", access_rate=0)
    with pytest.raises(UserError, match="mem_total"):
        SimOps("zigzag", mem_total=10)
    with pytest.raises(UserError, match="ranges"):
        SimOps("zigzag", ranges="four")
