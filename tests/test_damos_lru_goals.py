"""active_mem_bp / inactive_mem_bp quota goals on the sim (DAMON_LRU_SORT's
``active_mem_bp``): the sim measures its modelled LRU and the goals drive the quotas."""

from damon_tui.damos.presets import PRESETS, preset_config
from damon_tui.damos.runtime import runner_for, validate_for_ops
from damon_tui.engine import Attrs, Monitor
from damon_tui.ops.sim import SimOps


def test_sim_measures_active_and_inactive_memory_from_its_lru():
    ops = SimOps("stairs")
    assert ops.active_mem_bp() == ops.inactive_mem_bp() == 0  # nothing resident yet
    ops.advance(20_000_000)
    start, end = ops.mappings[0][0], ops.mappings[-1][1]
    state = ops.memory_state(start, end)
    assert state["resident"] > 0
    assert ops.active_mem_bp() == state["active"] * 10000 // state["resident"] == 10000
    s0, e0 = ops.mappings[0]
    moved = ops.apply_action(0, "lru_deprio", s0, e0) // 4096
    assert moved > 0
    active = state["active"] - moved
    assert ops.active_mem_bp() == active * 10000 // state["resident"]
    assert ops.inactive_mem_bp() == moved * 10000 // state["resident"]
    ops.apply_action(0, "lru_prio", s0, e0)
    assert ops.active_mem_bp() == 10000
    assert ops.stats().active_mem_bp == 10000


def lru_sort(active_mem_bp):
    preset = PRESETS["lru_sort"]
    params = {**preset.defaults(), "active_mem_bp": active_mem_bp, "cold_min_age": 2_000_000,
              # keep the schemes active at the sim's 333 permil free memory
              "wmarks_high": 1000, "wmarks_mid": 999, "wmarks_low": 0}
    return preset_config(preset, params).schemes


def run(schemes, seconds):
    ops = SimOps("stairs")
    m = Monitor(ops, Attrs(), damos=runner_for(schemes, ops, 5000, 100_000))
    trace = [(snap.end_us, ops.active_mem_bp(), snap.schemes)
             for snap in m.run(duration_us=seconds * 1_000_000)]
    return ops, trace


def test_lru_sort_active_mem_bp_goal_is_accepted_on_the_sim():
    validate_for_ops(lru_sort(5000), SimOps("stairs"), 5000, 100_000)


def test_active_mem_goal_throttles_the_hot_scheme_until_active_memory_falls_below_it():
    target = 5000
    _, trace = run(lru_sort(target), 60)
    # every page starts active (faulted in): the hot scheme's goal is over-achieved, so
    # its quota stays at the minimum, while the cold scheme's goal (inactive memory)
    # is unmet and its quota grows until it deprioritises memory
    below = next(i for i, (_, bp, _) in enumerate(trace) if bp < target)
    end_us, _, (hot_before, cold_before) = trace[below]
    windows = end_us // 1_000_000 + 1
    # at the minimum quota: one page per 1 s reset interval
    assert max(s[0].esz for _, _, s in trace[:below]) == 4096
    assert hot_before.sz_applied <= windows * 4096
    assert cold_before.sz_applied > 100 * windows * 4096
    # once active memory is below the target, the hot scheme's quota grows and it
    # promotes pages again
    hot_end = trace[-1][2][0]
    assert hot_end.sz_applied > 0 and hot_end.esz > 4096
    # without a goal, the hot scheme promotes from the start
    _, free = run(lru_sort(0), 10)
    assert free[-1][2][0].sz_applied > 0
