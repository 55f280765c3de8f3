"""SVG snapshots of the TUI at 80x24 and 200x60 (pytest-textual-snapshot).

Deterministic: the zigzag sim with seed 0, the engine paused and stepped a fixed number
of aggregation intervals, no wall-clock text.  Update with ``--snapshot-update`` after
checking the new pictures; ``bench/screenshots.py`` writes the same scenes to
``screenshots/``.
"""

from __future__ import annotations

import pytest

from damon_tui.tui.scenes import scene

SIZES = [(80, 24), (200, 60)]


# every scene; kdamond_pid on the presets screen comes from scenes.SCENE_PID and the
# target picker is filtered to the built-in zigzag workload, so both are stable
CASES = [(name, size) for name in ("monitor", "kvstore", "monitor_cursor", "help", "schemes",
                                   "presets", "replay", "targets", "histograms", "damos",
                                   "whatif")
         for size in SIZES]


@pytest.mark.parametrize("name,size", CASES, ids=lambda v: v if isinstance(v, str)
                         else f"{v[0]}x{v[1]}")
def test_tui_snapshot(snap_compare, name, size):
    app, run_before = scene(name)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
