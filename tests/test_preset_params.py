"""DAMON_RECLAIM / DAMON_LRU_SORT parameters against the docs, and their schemes."""

import re

import pytest

from damon_tui.damos.presets import PRESETS, get_preset, parse_params, preset_config
from damon_tui.errors import UserError
from damon_tui.units import UINT_MAX, ULONG_MAX


def doc_params(shared_dir, name):
    text = (shared_dir / "spec" / "admin-guide" / f"{name}.rst").read_text()
    return re.findall(r"^([a-z_]+)\n-+\n", text, re.M)


@pytest.mark.parametrize("name", ["reclaim", "lru_sort"])
def test_every_documented_parameter_exists(shared_dir, name):
    names = {p.name for p in PRESETS[name].params}
    documented = doc_params(shared_dir, name)
    assert len(documented) > 15
    assert set(documented) <= names


@pytest.mark.parametrize("name, defaults", [
    ("reclaim", {"min_age": 120_000_000, "quota_ms": 10, "quota_sz": 128 << 20,
                 "quota_reset_interval_ms": 1000, "wmarks_interval": 5_000_000,
                 "wmarks_high": 500, "wmarks_mid": 400, "wmarks_low": 200,
                 "sample_interval": 5000, "aggr_interval": 100_000, "min_nr_regions": 10,
                 "max_nr_regions": 1000, "kdamond_pid": -1, "skip_anon": False}),
    ("lru_sort", {"hot_thres_access_freq": 500, "cold_min_age": 120_000_000, "quota_ms": 10,
                  "quota_reset_interval_ms": 1000, "wmarks_interval": 5_000_000,
                  "wmarks_high": 200, "wmarks_mid": 150, "wmarks_low": 50,
                  "active_mem_bp": 0, "filter_young_pages": False}),
])
def test_defaults_match_the_kernel(name, defaults):
    d = PRESETS[name].defaults()
    for k, v in defaults.items():
        assert d[k] == v, k


def test_docs_defaults_stated_in_lru_sort_rst_match(shared_dir):
    text = (shared_dir / "spec" / "admin-guide" / "lru_sort.rst").read_text()
    assert "200 (20%) by default" in text and "50 (5%) by default" in text
    p = get_preset("lru_sort")
    assert p.param("wmarks_high").docs_value == 200
    assert get_preset("reclaim").param("wmarks_high").docs_value is None  # not stated


def test_reclaim_scheme_is_one_pageout_scheme_with_age_weight_only():
    (s,) = preset_config(PRESETS["reclaim"], {}).schemes
    r = s.access_pattern.resolve(5000, 100_000)
    assert (r.min_sz, r.max_sz, r.min_nr_accesses, r.max_nr_accesses) == (4096, ULONG_MAX, 0, 0)
    assert (r.min_age, r.max_age) == (1200, UINT_MAX)
    assert s.action == "pageout"
    assert (s.quota.ms, s.quota.sz, s.quota.reset_interval_ms) == (10, 128 << 20, 1000)
    w = s.quota.weights
    assert (w.sz, w.nr_accesses, w.age) == (0, 0, 1)
    wm = s.watermarks
    assert (wm.metric, wm.interval_us, wm.high, wm.mid, wm.low) == ("free_mem_rate", 5_000_000,
                                                                    500, 400, 200)


def test_reclaim_goals_and_skip_anon():
    p = PRESETS["reclaim"]
    (s,) = preset_config(p, {"quota_mem_pressure_us": 1000, "quota_autotune_feedback": 300,
                             "skip_anon": True}).schemes
    assert [(g.metric, g.target_value, g.current_value) for g in s.quota.goals] == \
        [("some_mem_psi_us", 1000, 0), ("user_input", 10000, 300)]
    assert s.filters[0].filter_type == "anon" and s.filters[0].matching and not s.filters[0].allow


def test_lru_sort_makes_hot_then_cold_scheme_with_half_the_time_quota():
    hot, cold = preset_config(PRESETS["lru_sort"], {}).schemes
    assert (hot.action, cold.action) == ("lru_prio", "lru_deprio")
    rh = hot.access_pattern.resolve(5000, 100_000)
    rc = cold.access_pattern.resolve(5000, 100_000)
    assert rh.min_nr_accesses == 10 and rh.min_sz == 4096
    assert (rc.min_nr_accesses, rc.max_nr_accesses, rc.min_age) == (0, 0, 1200)
    assert hot.quota.ms == cold.quota.ms == 5
    assert hot.quota.sz == 0
    assert (hot.quota.weights.nr_accesses, hot.quota.weights.age) == (1, 1)
    assert (hot.watermarks.high, hot.watermarks.mid, hot.watermarks.low) == (200, 150, 50)


def test_lru_sort_active_mem_goal_and_young_filters():
    hot, cold = preset_config(PRESETS["lru_sort"], {"active_mem_bp": 7000,
                                                    "filter_young_pages": True}).schemes
    assert (hot.quota.goals[0].metric, hot.quota.goals[0].target_value) == ("active_mem_bp",
                                                                            7000)
    assert (cold.quota.goals[0].metric, cold.quota.goals[0].target_value) == (
        "inactive_mem_bp", 3002)
    assert (hot.filters[0].filter_type, hot.filters[0].matching) == ("young", False)
    assert (cold.filters[0].filter_type, cold.filters[0].matching) == ("young", True)


@pytest.mark.parametrize("preset, params, field", [
    ("reclaim", {"aggr_interval": 0}, "aggr_interval"),
    ("lru_sort", {"sample_interval": 0}, "sample_interval"),
    ("lru_sort", {"active_mem_bp": 10001}, "active_mem_bp"),
    ("reclaim", {"addr_unit": 0}, "addr_unit"),
    ("reclaim", {"addr_unit": 3}, "addr_unit"),
    ("reclaim", {"max_nr_regions": 5}, "max_nr_regions"),
    ("reclaim", {"min_nr_regions": 2}, "min_nr_regions"),
    ("reclaim", {"monitor_region_start": 10, "monitor_region_end": 5}, "monitor_region_start"),
])
def test_invalid_parameters_are_refused_naming_the_field(preset, params, field):
    with pytest.raises(UserError, match=rf"DAMON_\w+\.{field}: "):
        preset_config(PRESETS[preset], params)


def test_param_values_take_units_and_refuse_junk():
    p = PRESETS["reclaim"]
    v = parse_params(p, ["min_age=30s", "quota_sz=1G", "skip_anon=Y",
                         "damon_reclaim.quota_ms=20"])
    assert (v["min_age"], v["quota_sz"], v["skip_anon"], v["quota_ms"]) == (
        30_000_000, 1 << 30, True, 20)
    with pytest.raises(UserError, match="DAMON_RECLAIM.quota_ms: expected a time"):
        parse_params(p, ["quota_ms=lots"])
    with pytest.raises(UserError, match="unknown parameter 'nope'"):
        parse_params(p, ["nope=1"])
    with pytest.raises(UserError, match="read-only"):
        parse_params(p, ["nr_quota_exceeds=3"])
    with pytest.raises(UserError, match="NAME=VALUE"):
        parse_params(p, ["min_age"])


@pytest.mark.parametrize("preset, params", [
    ("reclaim", {"quota_reset_interval_ms": 0}),
    ("lru_sort", {"quota_reset_interval_ms": 0}),
    ("reclaim", {"wmarks_interval": 0}),
    ("lru_sort", {"wmarks_interval": 0}),
    ("reclaim", {"wmarks_high": 1200}),
])
def test_values_the_kernel_accepts_are_accepted_silently(preset, params):
    cfg = preset_config(PRESETS[preset], params)
    assert not [n for n in cfg.notes if n.startswith("warning")]
    s = cfg.schemes[0]
    if "quota_reset_interval_ms" in params:
        assert s.quota.reset_interval_ms == 0
    if "wmarks_interval" in params:
        assert s.watermarks.interval_us == 0


@pytest.mark.parametrize("preset, params, fields", [
    ("reclaim", {"wmarks_high": 100, "wmarks_low": 500}, "wmarks_high/wmarks_mid/wmarks_low"),
    ("lru_sort", {"hot_thres_access_freq": 1500}, "hot_thres_access_freq"),
    ("reclaim", {"sample_interval": 0}, "sample_interval"),
])
def test_values_the_kernel_accepts_but_cannot_work_warn_in_one_line(preset, params, fields):
    cfg = preset_config(PRESETS[preset], params)
    warnings = [n for n in cfg.notes if n.startswith("warning")]
    assert len(warnings) == 1 and fields in warnings[0] and "\n" not in warnings[0]
    if "sample_interval" in params:
        assert cfg.sample_us == 1  # the kernel's ``sample_interval ? : 1``
