"""enabled / commit_inputs semantics, statistics, profiles and export."""

import json

import pytest

from damon_tui.damos.presets import (
    BUILTIN_PROFILES,
    PRESETS,
    Module,
    boot_params,
    list_profiles,
    load_profile,
    module_param_writes,
    profiles_dir,
    save_profile,
)
from damon_tui.damos.runtime import DamosStats
from damon_tui.errors import UserError


def test_inputs_apply_only_on_enable_or_commit():
    commits = []
    m = Module(PRESETS["reclaim"], on_commit=commits.append)
    assert m.read("enabled") == "N" and m.read("kdamond_pid") == "-1"
    m.write("min_age", "30000000")
    m.write("enabled", "Y")
    assert m.enabled and int(m.read("kdamond_pid")) > 0
    assert m.running.schemes[0].access_pattern.min_age.value == 300
    m.write("min_age", "60000000")  # not committed yet
    assert m.running.schemes[0].access_pattern.min_age.value == 300
    m.write("commit_inputs", "Y")
    assert m.running.schemes[0].access_pattern.min_age.value == 600
    assert len(commits) == 2 and m.read("commit_inputs") == "N"


def test_invalid_commit_is_refused_and_the_running_config_stays():
    m = Module(PRESETS["reclaim"])
    m.write("enabled", "Y")
    before = m.running
    m.write("min_nr_regions", "2")  # damon_set_attrs refuses fewer than 3
    with pytest.raises(UserError, match="min_nr_regions"):
        m.write("commit_inputs", "Y")
    assert m.enabled and m.running is before


def test_invalid_inputs_keep_the_module_off():
    m = Module(PRESETS["lru_sort"])
    m.write("active_mem_bp", "20000")
    with pytest.raises(UserError, match="active_mem_bp"):
        m.write("enabled", "Y")
    assert m.read("enabled") == "N"


def test_stats_and_read_only_parameters():
    m = Module(PRESETS["lru_sort"])
    with pytest.raises(UserError, match="read-only"):
        m.write("nr_hot_quota_exceeds", "1")
    m.update_stats((DamosStats(3, 12288, 2, 8192, 0, 1, 5), DamosStats(1, 4096, 1, 4096)))
    assert m.read("nr_lru_sort_tried_hot_regions") == "3"
    assert m.read("bytes_lru_sorted_hot_regions") == "8192"
    assert m.read("nr_hot_quota_exceeds") == "1"
    assert m.read("bytes_lru_sorted_cold_regions") == "4096"
    r = Module(PRESETS["reclaim"])
    r.update_stats((DamosStats(4, 16384, 3, 12288, 0, 2, 9),))
    assert r.read("bytes_reclaimed_regions") == "12288" and r.read("nr_quota_exceeds") == "2"


def test_profiles_save_load_and_list(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.delenv("DAMON_TUI_PROFILES_DIR", raising=False)
    assert profiles_dir() == tmp_path / "cfg" / "damon-tui" / "profiles"
    p = PRESETS["reclaim"]
    params = p.defaults()
    params["min_age"] = 10_000_000
    path = save_profile("mine", p, params, "ten seconds")
    assert json.loads(path.read_text()) == {"preset": "reclaim", "description": "ten seconds",
                                            "params": {"min_age": 10_000_000}}
    prof = load_profile("mine")
    assert prof.params == {"min_age": 10_000_000} and prof.preset == "reclaim"
    assert {x.name for x in list_profiles()} >= {"mine", "reclaim-example", "lru_sort-example"}
    other = tmp_path / "elsewhere"
    save_profile("x", p, params, directory=other)
    assert (other / "x.json").is_file()
    monkeypatch.setenv("DAMON_TUI_PROFILES_DIR", str(other))
    assert load_profile("x").params == {"min_age": 10_000_000}


def test_profile_errors(tmp_path):
    with pytest.raises(UserError, match="unknown profile 'nope'"):
        load_profile("nope", tmp_path)
    with pytest.raises(UserError, match="built-in"):
        save_profile("reclaim-example", PRESETS["reclaim"], {}, directory=tmp_path)
    (tmp_path / "bad.json").write_text('{"preset": "reclaim", "params": {"min_age": "soon"}}')
    with pytest.raises(UserError, match=r"bad.json: DAMON_RECLAIM.min_age"):
        load_profile("bad", tmp_path)


def test_builtin_profiles_are_the_docs_examples():
    r = BUILTIN_PROFILES["reclaim-example"].params
    assert (r["min_age"], r["quota_sz"], r["wmarks_high"], r["wmarks_mid"], r["wmarks_low"]) == \
        (30_000_000, 1 << 30, 500, 400, 200)
    s = BUILTIN_PROFILES["lru_sort-example"].params
    assert (s["hot_thres_access_freq"], s["cold_min_age"], s["quota_ms"]) == (500, 120_000_000,
                                                                               10)


def test_export_boot_parameters_and_module_writes():
    p = PRESETS["reclaim"]
    params = p.defaults()
    params.update(min_age=30_000_000, skip_anon=True)
    assert boot_params(p, params) == ("damon_reclaim.min_age=30000000 "
                                      "damon_reclaim.skip_anon=Y damon_reclaim.enabled=Y")
    text = module_param_writes(p, params)
    assert "cd /sys/module/damon_reclaim/parameters" in text
    assert "echo 30000000 > min_age" in text and text.count("echo Y > enabled") == 1
    assert "quota_ms" not in text
    assert "echo 10 > quota_ms" in module_param_writes(p, params, all_params=True)
    assert "nr_quota_exceeds" not in module_param_writes(p, params, all_params=True)


def test_modules_run_exclusively_like_damon_start_exclusive():
    mods: dict[str, Module] = {}

    def busy_for(name):
        return lambda: next((m.preset.title for k, m in mods.items()
                             if k != name and m.enabled), None)

    for name in ("reclaim", "lru_sort"):
        mods[name] = Module(PRESETS[name], busy=busy_for(name))
    mods["lru_sort"].write("enabled", "Y")
    with pytest.raises(UserError, match=r"DAMON_RECLAIM.enabled: DAMON_LRU_SORT is running"
                                        r".*EBUSY"):
        mods["reclaim"].write("enabled", "Y")
    assert not mods["reclaim"].enabled and mods["lru_sort"].enabled
    mods["lru_sort"].write("enabled", "N")
    mods["reclaim"].write("enabled", "Y")
    assert mods["reclaim"].enabled
