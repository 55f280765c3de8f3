"""DAMON_RECLAIM and DAMON_LRU_SORT: ``preset apply|show|disable NAME --kernel``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from guestlib import MODULE_PARAMS, one_line_error, read, run_cli, tree_text, wait_for

from damon_tui.damos.presets import get_preset


@dataclass(frozen=True)
class Case:
    preset: str
    module: str
    apply: tuple[str, str, str]  # --param NAME=VALUE, the file, what the file then reads
    commit: tuple[str, str, str]
    invalid: tuple[str, ...]  # --param values that must write nothing


CASES = [
    Case("reclaim", "damon_reclaim", ("min_age=5s", "min_age", "5000000"),
         ("quota_sz=64M", "quota_sz", "67108864"),
         ("min_age=banana", "min_nr_regions=2", "quota_ms=-1")),
    Case("lru_sort", "damon_lru_sort",
         ("hot_thres_access_freq=600", "hot_thres_access_freq", "600"),
         ("cold_min_age=10s", "cold_min_age", "10000000"),
         ("cold_min_age=banana", "min_nr_regions=2", "quota_ms=-1")),
]


@pytest.fixture(params=CASES, ids=lambda c: c.preset)
def case(request) -> Case:
    return request.param


def params(case: Case) -> dict[str, str]:
    return tree_text(MODULE_PARAMS[case.module])


def enabled_pid(case: Case) -> int:
    d = MODULE_PARAMS[case.module]
    return wait_for(lambda: read(d / "enabled") == "Y" and int(read(d / "kdamond_pid")) > 0
                    and int(read(d / "kdamond_pid")), 20, f"{case.module}'s kdamond")


def apply(case: Case, *param: str):
    args = ["preset", "apply", case.preset, "--kernel"]
    for p in param:
        args += ["--param", p]
    return run_cli(*args)


def test_apply_writes_the_parameters_and_enables_the_module(case):
    flag, name, value = case.apply
    res = apply(case, flag)
    assert res.returncode == 0, res.stderr
    assert read(MODULE_PARAMS[case.module] / name) == value
    assert enabled_pid(case) > 0


def test_apply_on_an_enabled_module_commits_inputs_to_the_same_kdamond(case):
    assert apply(case).returncode == 0
    pid = enabled_pid(case)
    flag, name, value = case.commit
    res = apply(case, flag)
    assert res.returncode == 0, res.stderr
    assert "commit_inputs=Y" in res.stdout, res.stdout
    d = MODULE_PARAMS[case.module]
    assert read(d / name) == value
    wait_for(lambda: read(d / "commit_inputs") == "N", 20, "the module to read its inputs")
    assert enabled_pid(case) == pid


@pytest.mark.parametrize("enabled", [False, True], ids=["disabled", "enabled"])
def test_invalid_input_writes_nothing(case, enabled):
    if enabled:
        assert apply(case).returncode == 0
        enabled_pid(case)
    before = params(case)
    for bad in case.invalid:
        err = one_line_error(apply(case, case.apply[0], bad))
        assert bad.split("=")[0] in err, err
    assert params(case) == before


def test_a_parameter_this_kernel_lacks_writes_nothing(case):
    d = MODULE_PARAMS[case.module]
    preset = get_preset(case.preset)
    lacking = [p.name for p in preset.inputs() if not (d / p.name).exists()]
    assert lacking, f"this kernel has every {case.module} parameter damon-tui knows"
    before = params(case)
    name = lacking[0]
    default = preset.param(name).format(preset.defaults()[name])
    err = one_line_error(apply(case, case.apply[0], f"{name}={default}"))
    assert name in err and "nothing was written" in err, err
    assert params(case) == before


def test_show_prints_the_kernels_values_and_statistics(case):
    assert apply(case, case.apply[0]).returncode == 0
    pid = enabled_pid(case)
    res = run_cli("preset", "show", case.preset, "--kernel")
    assert res.returncode == 0, res.stderr
    _, name, value = case.apply
    assert f"  {name} = {value}" in res.stdout, res.stdout
    assert "read-only statistics:" in res.stdout
    assert f"kdamond_pid = {pid}" in res.stdout, res.stdout


def test_disable_turns_the_module_off(case):
    assert apply(case).returncode == 0
    enabled_pid(case)
    res = run_cli("preset", "disable", case.preset, "--kernel")
    assert res.returncode == 0, res.stderr
    d = MODULE_PARAMS[case.module]
    assert read(d / "enabled") == "N"
    wait_for(lambda: read(d / "kdamond_pid") == "-1", 20, "the module's kdamond to stop")
    again = run_cli("preset", "disable", case.preset, "--kernel")
    assert again.returncode == 0 and "nothing written" in again.stdout
