"""SVG snapshots of the TUI at 80x24 and 200x60 (pytest-textual-snapshot).

Deterministic: the zigzag sim with seed 0, the engine paused and stepped a fixed number
of aggregation intervals, no wall-clock text.  Update with ``--snapshot-update`` after
checking the new pictures; ``bench/screenshots.py`` writes the same scenes to
``screenshots/``.
"""

from __future__ import annotations

import pytest

pytest.importorskip("pytest_textual_snapshot")

from damon_tui.tui.scenes import scene  # noqa: E402

SIZES = [(80, 24), (200, 60)]


CASES = [(name, size) for name in ("monitor", "monitor_cursor", "help", "schemes", "replay")
         for size in SIZES]
# the presets screen at 200x60 shows kdamond_pid (a thread id); 80x24 shows the inputs
CASES.append(("presets", (80, 24)))


@pytest.mark.parametrize("name,size", CASES, ids=lambda v: v if isinstance(v, str)
                         else f"{v[0]}x{v[1]}")
def test_tui_snapshot(snap_compare, name, size):
    app, run_before = scene(name)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
