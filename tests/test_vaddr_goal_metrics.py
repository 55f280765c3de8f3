"""Quota-goal metrics on real targets: meminfo and PSI under a fake root, one real read."""

import os
from pathlib import Path

import pytest
from fake_kernel import FakeKernel

from damon_tui.damos.presets import PRESETS, preset_config
from damon_tui.damos.runtime import DamosRunner, _goal_metrics, validate_for_ops
from damon_tui.damos.scheme import Quota, QuotaGoal, Scheme
from damon_tui.errors import UserError
from damon_tui.ops.paddr import PaddrOps
from damon_tui.ops.procfs import ProcFS
from damon_tui.ops.vaddr import VaddrOps

PID = 77
VMAS = [(0x100000, 0x200000), (0x400000, 0x800000), (0x1000000, 0x1400000)]


@pytest.fixture
def kernel(tmp_path):
    k = FakeKernel(tmp_path)
    k.bitmap.unlink()
    k.add_process(PID, VMAS)
    return k


def _psi_scheme(metric="some_mem_psi_us", target=1000):
    return Scheme(quota=Quota(reset_interval_ms=10, goals=(QuotaGoal(metric, target),)),
                  origin="test scheme")


def test_meminfo_metrics_follow_the_kernels_definitions(kernel):
    kernel.set_meminfo(total_kb=1000, free_kb=250, active_kb=300, inactive_kb=900)
    ops = VaddrOps([PID], root=kernel.root)
    assert ops.free_mem_bp() == 2500  # MemFree, not MemAvailable
    assert ops.free_mem_rate() == 250
    assert ops.active_mem_bp() == 2500 and ops.inactive_mem_bp() == 7500
    metrics = _goal_metrics(ops)
    assert metrics["node_mem_used_bp"]() == 7500 and metrics["node_mem_free_bp"]() == 2500
    kernel.set_meminfo(total_kb=1000, free_kb=900, active_kb=0, inactive_kb=0)
    assert ops.free_mem_bp() == 9000 and ops.active_mem_bp() == 0  # read live, no 0/0


def test_psi_metric_is_the_growth_of_the_some_total_per_evaluation(kernel):
    kernel.set_psi(1200, full_total_us=999_999)
    ops = VaddrOps([PID], root=kernel.root)
    assert ops.some_mem_psi_us() == 1200  # like the kernel: the first delta is since boot
    kernel.set_psi(1700)
    assert ops.some_mem_psi_us() == 500
    assert ops.some_mem_psi_us() == 0  # no stall since the last evaluation
    kernel.set_psi(1800)
    assert ops.some_mem_psi_us() == 100


def test_missing_psi_is_refused_with_the_reason(kernel):
    kernel.set_psi(None)
    ops = VaddrOps([PID], root=kernel.root)
    assert ops.some_mem_psi_us is None
    with pytest.raises(UserError) as e:
        validate_for_ops([_psi_scheme()], ops)
    msg = str(e.value)
    assert msg.startswith("test scheme: quotas.goals.metric: some_mem_psi_us needs PSI")
    assert str(kernel.proc / "pressure" / "memory") in msg and "psi=0" in msg
    validate_for_ops([_psi_scheme("node_mem_free_bp", 5000)], ops)  # others still work


def test_reclaim_preset_with_memory_pressure_goal_needs_psi(kernel):
    (s,) = preset_config(PRESETS["reclaim"], {"quota_mem_pressure_us": 1000}).schemes
    s = Scheme(s.access_pattern, "stat", quota=s.quota, origin="DAMON_RECLAIM")
    kernel.set_psi(None)
    with pytest.raises(UserError, match="DAMON_RECLAIM: .*some_mem_psi_us needs PSI"):
        validate_for_ops([s], VaddrOps([PID], root=kernel.root))
    kernel.set_psi(0)
    validate_for_ops([s], VaddrOps([PID], root=kernel.root))


def test_missing_lru_lines_make_active_metrics_unavailable(kernel):
    kernel.set_meminfo(total_kb=1000, free_kb=250, active_kb=None, inactive_kb=None)
    ops = VaddrOps([PID], root=kernel.root)
    with pytest.raises(UserError, match="active_mem_bp needs the Active and Inactive lines"):
        validate_for_ops([_psi_scheme("active_mem_bp", 5000)], ops)


def test_psi_goal_drives_the_effective_quota(kernel):
    """Stall time far over target keeps the quota at its minimum; none lets it grow."""
    ops = VaddrOps([PID], root=kernel.root)
    schemes = [Scheme(quota=Quota(reset_interval_ms=10,
                                  goals=(QuotaGoal("some_mem_psi_us", 1000),)))]

    def esz_after(windows, stall_per_window):
        runner = DamosRunner(schemes, ops, 1000, 10_000)
        st = runner.states[0]
        total = 0
        for w in range(windows):
            total += stall_per_window
            kernel.set_psi(total)
            runner._adjust_quota(st, [], 0, 0, w * 10_000 + 1)
        return st.quota.esz

    ops._psi_last = 0
    assert esz_after(8, 1_000_000) <= 1
    kernel.set_psi(0)
    ops._psi_last = 0
    assert esz_after(8, 0) >= 64


def test_paddr_has_the_same_metrics(tmp_path):
    kernel = FakeKernel(tmp_path / "paddr")  # with page idle tracking
    kernel.set_meminfo(total_kb=1000, free_kb=100, active_kb=1, inactive_kb=3)
    kernel.set_psi(42)
    ops = PaddrOps(root=kernel.root, euid=0)
    assert (ops.free_mem_bp(), ops.active_mem_bp(), ops.inactive_mem_bp()) == (1000, 2500, 7500)
    assert ops.some_mem_psi_us() == 42
    assert {"some_mem_psi_us", "active_mem_bp", "node_mem_used_bp"} <= set(_goal_metrics(ops))


@pytest.mark.skipif(not Path("/proc/pressure/memory").exists(),
                    reason="this machine has no /proc/pressure/memory")
def test_real_psi_and_meminfo_on_this_machine():
    procfs = ProcFS("/")
    total = procfs.psi_memory_some_total_us()
    assert total >= 0
    ops = VaddrOps([os.getpid()], access_check="clear-refs", root="/")
    first = ops.some_mem_psi_us()
    assert first >= total  # since boot, and the total never decreases
    assert ops.some_mem_psi_us() >= 0
    act, inact = ops.active_mem_bp(), ops.inactive_mem_bp()
    assert 0 <= act <= 10000 and 9999 <= act + inact <= 10000
    info = procfs.meminfo()
    assert abs(ops.free_mem_bp() - info["MemFree"] * 10000 // info["MemTotal"]) < 200
    ops.close()
