"""DAMON (our engine) on the built-in sim workloads sees the expected shapes."""

from __future__ import annotations

import importlib

from damon_tui.ops.sim import SimOps

engine = importlib.import_module("damon_tui.engine")


def wss_series(name: str, duration_us: int) -> list[int]:
    ops = SimOps(name)
    return [
        sum(e - s for s, e, nr, _ in snap.targets[0] if nr >= 1)
        for snap in engine.Monitor(ops, engine.Attrs(), seed=0).run(duration_us)
    ]


def test_zigzag_median_wss_is_one_region_and_max_both():
    w = sorted(wss_series("zigzag", 70_000_000))
    assert 90e6 < w[len(w) // 2] < 115e6
    assert 180e6 < w[-1] <= 201e6


def test_stairs_median_wss_is_one_step():
    w = sorted(wss_series("stairs", 60_000_000))
    assert 8e6 < w[len(w) // 2] < 13e6


def test_hotset_median_wss_is_the_hot_set():
    w = sorted(wss_series("hotset", 30_000_000))
    assert 15e6 < w[len(w) // 2] < 40e6
