"""Ops (per page) DAMOS filters on the sim, paddr's implicit young filter for pageout,
and ``sz_ops_filter_passed`` counting what the kernel counts (mm/damon/paddr.c)."""

from __future__ import annotations

from array import array

import pytest

from damon_tui.damos.presets import PRESETS, preset_config
from damon_tui.damos.runtime import DamosRunner, runner_for
from damon_tui.damos.scheme import AccessPattern, Filter, Scheme
from damon_tui.engine import Attrs, Monitor, RegionList
from damon_tui.errors import UserError
from damon_tui.ops.sim import SimOps

PG = 4096


def zigzag_in_b_turn() -> tuple[SimOps, tuple[int, int], tuple[int, int]]:
    """Zigzag at 15.5 s: b is being touched, a idle since 10 s; the last access check
    covered [15.495 s, 15.5 s)."""
    ops = SimOps("zigzag")
    (a0, a1), (b0, b1) = ops.mappings
    ops.advance(15_495_000)
    ops.prepare_access_checks(0, array("Q", [a0]), 15_495_000)
    out = array("B", [0])
    ops.check_accesses(0, array("Q", [a0]), out, 15_500_000)
    return ops, (a0, a1), (b0, b1)


def test_pageout_through_damos_skips_pages_accessed_since_the_last_check():
    ops, (a0, a1), (b0, b1) = zigzag_in_b_turn()
    resident_b = ops.memory_state(b0, b1)["resident"]
    applied, passed = ops.apply_scheme(0, "pageout", b0, b1)
    young = resident_b - ops.memory_state(b0, b1)["resident"] - applied // PG
    assert young == 0
    kept = ops.memory_state(b0, b1)["resident"]
    assert kept > 0, "pages touched in the last sample interval were paged out"
    assert passed == applied  # the bytes that passed the implicit young filter
    # the idle mapping goes entirely
    applied_a, passed_a = ops.apply_scheme(0, "pageout", a0, a1)
    assert applied_a == passed_a == a1 - a0
    # an explicit young filter replaces the implicit one: allow only young pages
    applied_y, _ = ops.apply_scheme(0, "pageout", b0, b1,
                                    [("young", True, True, None, None)], True)
    assert applied_y == kept * PG


def test_raw_apply_action_is_unfiltered():
    ops, _, (b0, b1) = zigzag_in_b_turn()
    assert ops.apply_action(0, "pageout", b0, b1) == b1 - b0


def test_sim_ops_filters_are_judged_per_page():
    ops, (a0, a1), (b0, b1) = zigzag_in_b_turn()
    # every sim page is anonymous: an anon reject filter leaves nothing to act on
    assert ops.apply_scheme(0, "lru_deprio", a0, a1,
                            [("anon", True, False, None, None)], False) == (0, 0)
    # hugepage_size: no huge page yet, 4 KiB folios fall outside [2M, 2M]
    assert ops.apply_scheme(0, "stat", a0, a1,
                            [("hugepage_size", True, True, 2 << 20, 2 << 20)], True) == (0, 0)
    ops.apply_action(0, "hugepage", a0, a0 + (4 << 20))
    _, passed = ops.apply_scheme(0, "stat", a0, a1,
                                 [("hugepage_size", True, True, 2 << 20, 2 << 20)], True)
    assert passed == 4 << 20
    # unmapped never matches a mapped page: a reject-unmapped filter passes everything
    _, passed = ops.apply_scheme(0, "stat", a0, a1, [("unmapped", True, False, None, None)])
    assert passed == a1 - a0


def one_region(ops, start, end) -> list[RegionList]:
    return [RegionList([(start, end, 0, 0, 100)])]


def test_sz_ops_filter_passed_is_zero_without_ops_filters_and_counts_passed_bytes():
    ops, (a0, a1), (b0, b1) = zigzag_in_b_turn()
    plain = DamosRunner([Scheme(AccessPattern(), "stat")], ops, 5000, 100_000)
    st = plain.apply(one_region(ops, b0, b1), 20, 20, 15_500_000)[0]
    assert st.sz_tried == b1 - b0 and st.sz_ops_filter_passed == 0
    young_only = Scheme(AccessPattern(), "stat",
                        filters=(Filter("young", matching=True, allow=True),))
    r = DamosRunner([young_only], ops, 5000, 100_000)
    lo, hi = min(a0, b0), max(a1, b1)  # idle a and busy b in one region
    st = r.apply(one_region(ops, lo, hi), 20, 20, 15_500_000)[0]
    young_b = ops.apply_scheme(0, "stat", b0, b1, [("young", True, True, None, None)],
                               True)[1]
    assert st.sz_tried == hi - lo and 0 < st.sz_ops_filter_passed == young_b <= b1 - b0
    assert st.sz_applied == 0  # stat applies nothing


def test_reclaim_skip_anon_runs_on_the_sim_and_pages_out_no_anonymous_memory():
    preset = PRESETS["reclaim"]
    params = {**preset.defaults(), "skip_anon": True, "min_age": 1_000_000,
              "wmarks_high": 1000, "wmarks_mid": 999, "wmarks_low": 0}
    cfg = preset_config(preset, params)
    ops = SimOps("zigzag")
    mon = Monitor(ops, Attrs(), damos=runner_for(cfg.schemes, ops, 5000, 100_000))
    snaps = list(mon.run(30_000_000))
    s = snaps[-1].schemes[0]
    assert s.nr_tried > 0 and s.sz_applied == 0 and s.sz_ops_filter_passed == 0
    assert ops.stats().bytes_paged_out == 0


def test_lru_sort_filter_young_pages_runs_on_the_sim():
    preset = PRESETS["lru_sort"]
    params = {**preset.defaults(), "filter_young_pages": True, "cold_min_age": 1_000_000,
              "wmarks_high": 1000, "wmarks_mid": 999, "wmarks_low": 0}
    cfg = preset_config(preset, params)
    ops = SimOps("zigzag")
    mon = Monitor(ops, Attrs(), damos=runner_for(cfg.schemes, ops, 5000, 100_000))
    hot, cold = list(mon.run(30_000_000))[-1].schemes
    assert hot.nr_tried > 0 and cold.nr_tried > 0
    # hot: only young pages are prioritised; cold: only old ones deprioritised
    assert 0 < hot.sz_ops_filter_passed <= hot.sz_tried
    assert 0 < cold.sz_ops_filter_passed <= cold.sz_tried


def test_memcg_filter_is_refused_on_the_sim_in_one_sentence():
    ops = SimOps("zigzag")
    s = Scheme(AccessPattern(), "pageout",
               filters=(Filter("memcg", memcg_path="/workload"),))
    with pytest.raises(UserError) as e:
        runner_for([s], ops, 5000, 100_000)
    msg = str(e.value)
    assert "memcg" in msg and "no memory cgroup" in msg and "\n" not in msg
