"""The what-if screen: spec parsing and curve (pure), then the screen on a replay."""

from __future__ import annotations

import asyncio
import time

import pytest

from damon_tui.errors import UserError
from damon_tui.options.whatif import parse_spec
from damon_tui.record import write_record
from damon_tui.record.model import Intervals, Record, TargetData
from damon_tui.tui.app import DamonApp
from damon_tui.tui.replay import load_replay
from damon_tui.tui.session import replay_session
from damon_tui.tui.whatif_screen import WhatifScreen, curve_lines
from damon_tui.whatif import WhatifRow

MIB = 1 << 20


def _row(label: str, saved: float, slowdown: float) -> WhatifRow:
    return WhatifRow(label, "", 0.0, 0, saved, 0, 0, slowdown, 0.0, 0, 0, 0, 1)


def test_parse_spec_splits_sweep_and_params():
    ns = parse_spec("reclaim min_age=5s,30s quota_ms=20")
    assert (ns.preset, ns.sweep, ns.param) == ("reclaim", "min_age=5s,30s", ["quota_ms=20"])
    with pytest.raises(UserError):
        parse_spec("nosuch min_age=1s,2s")
    assert ns.mem_total is None


def test_parse_spec_takes_the_modelled_memory():
    """The TUI's counterpart of ``--mem-total``, which the watermarks note suggests."""
    ns = parse_spec("lru_sort mem_total=106MiB")
    assert (ns.mem_total, ns.param, ns.sweep) == (106 * MIB, [], None)
    with pytest.raises(UserError, match="mem_total.*'1x'"):
        parse_spec("lru_sort mem_total=1x")


def test_curve_puts_more_saving_higher_and_more_slowdown_further_right():
    lines = curve_lines([_row("a", 10 * MIB, 0.01), _row("b", 1 * MIB, 0.001)],
                        width=40, height=10)
    grid = lines[:10]
    ra = next(i for i, ln in enumerate(grid) if "1" in ln.split("|", 1)[1])
    rb = next(i for i, ln in enumerate(grid) if "2" in ln.split("|", 1)[1])
    assert ra < rb
    assert grid[ra].split("|", 1)[1].index("1") > grid[rb].split("|", 1)[1].index("2")
    assert "  1 = a" in lines and "  2 = b" in lines


def _record(path) -> None:
    t = TargetData(0, "synthetic", Intervals(5000, 100_000))
    for k in range(300):
        cold = 20 if k < 1 else 0
        t.append(k * 100_000_000, (k + 1) * 100_000_000,
                 [(0x10000000, 0x10000000 + 4 * MIB, 20, k),
                  (0x20000000, 0x20000000 + 8 * MIB, cold, 0)])
    write_record(str(path), Record(str(path), "damon-tui", {}, [t]))


def test_whatif_screen_draws_the_sweep_of_the_replayed_record(tmp_path):
    path = tmp_path / "syn.rec"
    _record(path)
    session = replay_session(load_replay(str(path)))

    async def go():
        app = DamonApp(session)
        async with app.run_test(size=(120, 45)) as pilot:
            await pilot.pause()
            await pilot.press("y")
            screen = app.screen
            assert isinstance(screen, WhatifScreen)
            deadline = time.monotonic() + 60
            while not screen._done.is_set() and time.monotonic() < deadline:
                await pilot.pause(0.05)
            await pilot.pause(0.1)
            assert [r.label for r in screen.rows] == ["min_age=5s", "min_age=30s",
                                                       "min_age=2m"]
            assert screen.rows[0].saved_avg > 0  # the cold 8 MiB goes after 5 s
            table = str(screen.query_one("#whatif-table").render())
            assert "min_age=30s" in table
            inp = screen.query_one("#whatif-spec")
            inp.value = "reclaim min_age=1s,never"
            await pilot.press("enter")
            await pilot.pause()
            assert screen.error and "min_age=never" in screen.error
            await pilot.press("escape")
            assert not isinstance(app.screen, WhatifScreen)

    asyncio.run(go())
