"""Pilot tests of the monitor screen: live worker, stepping, keys, help, quit."""

from __future__ import annotations

import asyncio
import time

from damon_tui.tui.app import HelpScreen, MonitorScreen
from damon_tui.tui.heatmap import Heatmap
from damon_tui.tui.scenes import make_app

#: the longest event-loop stall tolerated while the engine thread runs flat out
MAX_UI_STALL_S = 0.5


def run(coro):
    return asyncio.run(coro)


def test_monitor_screen_shows_header_heatmap_wss_and_regions():
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert app.step(60) == 60
            await pilot.pause()
            header = app.header_text().plain
            assert "sim:zigzag" in header and "ops sim" in header
            assert "sample 5 ms aggr 100 ms" in header
            assert "regions" in header and "(10..1000)" in header
            assert "paused" in header and "rec off" in header
            assert "t 6 s" in header
            hm = app.screen.query_one(Heatmap)
            assert len(hm.model.rows) == 60
            # both masim regions fit side by side, a separator for the gap between them
            assert hm.title_text().startswith("all 2 ranges · row 100 ms (2 per line)")
            assert len(hm._window.separators) == 1
            table = app.screen.query_one("#regions").text.plain.splitlines()
            assert table[0].split() == ["start", "size", "acc", "age", "name"]
            assert len(table) == 11 and all(line.startswith("0x") for line in table[1:])
            # each region says which masim region (mapping) it is in
            assert all(line.split()[-1] in ("a", "b") for line in table[1:])
            wss = app.feed.wss[0]
            assert wss.current > 0 and len(wss.values) == 60 - wss.exclude_samples
    run(go())


def test_worker_thread_feeds_snapshots_while_ui_stays_responsive():
    async def go():
        app = make_app(speed=0.0)
        app.autostart = True
        async with app.run_test(size=(100, 30)) as pilot:
            deadline = time.monotonic() + 30
            while app.feed.count < 5 and time.monotonic() < deadline:  # worker started
                await pilot.pause(0.02)
            # then, for a second of the worker feeding snapshots as fast as it can, the
            # event loop must keep serving 20 ms timers: a UI that ran the engine (or did
            # per-snapshot work) on its own thread stalls for seconds.  ~50 ms is usual
            # (bench/tui.py), ~0.1 s on a loaded 2-core machine; 1 s is a clear failure.
            start = app.feed.count
            worst = 0.0
            window_end = time.monotonic() + 1.0
            while time.monotonic() < window_end:
                t0 = time.perf_counter()
                await pilot.pause(0.02)
                worst = max(worst, time.perf_counter() - t0 - 0.02)
            assert app.feed.count >= start + 5  # snapshots kept coming meanwhile
            assert worst < MAX_UI_STALL_S, f"the UI stalled {worst:.3f} s"
            assert app.source._thread is not None and app.source._thread.is_alive()
            assert "running" in app.header_text().plain
            await pilot.press("space")
            assert app.source.paused
            n = app.feed.count
            await pilot.pause(0.3)
            assert app.feed.count - n <= 1  # at most the snapshot in flight
    run(go())


def test_keys_pause_speed_sort_range_zoom_and_help():
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(80)
            await pilot.pause()
            await pilot.press("s")
            assert app.source.speed == 10.0 and app.feed.snapshots_per_row == 5
            await pilot.press("s", "s", "s")
            assert app.source.speed == 1.0
            await pilot.press("o")
            assert app.region_sort == "coldest"
            hm = app.screen.query_one(Heatmap)
            await pilot.press("r")
            assert hm.range_sel == 0 and hm.title_text().startswith("range 1/")
            await pilot.press("a")
            assert hm.title_text().startswith("all ")
            await pilot.press("a")
            assert hm.range_sel is None
            await pilot.press("right")
            await pilot.press("plus")
            assert hm.zoom == 2 and "zoom 2x" in hm.title_text()
            await pilot.press("0")
            assert hm.zoom == 1
            await pilot.press("c")
            assert hm.colorset == "log" and "log, 3 decades" in hm._legend_line(120).text
            await pilot.press("c", "c")
            assert hm.colorset == "flame" and hm.slots_per_line == 1
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            assert isinstance(app.screen, MonitorScreen)
            await pilot.press("n")
            assert app.feed.count == 81
            await pilot.press("space")
            assert not app.source.paused
            await pilot.press("space")
            await pilot.press("q")
        assert app.return_code == 0
    run(go())


def test_cursor_shows_region_nr_accesses_age_and_size():
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(40)
            await pilot.pause()
            hm = app.screen.query_one(Heatmap)
            assert hm.cursor_text().startswith("arrows: cursor")
            await pilot.press("right")
            info = hm.cursor_info()
            assert info is not None
            s, e, nr, age, row = info
            assert s < e and 0 <= nr <= row.nr_samples
            text = hm.cursor_text()
            assert f"{s:#x}" in text and f"nr_accesses {nr}/" in text and f"age {age}" in text
    run(go())


def test_small_screen_shows_one_side_panel_at_a_time_and_tab_cycles():
    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            app.step(30)
            await pilot.pause()
            screen = app.screen
            hm = screen.query_one(Heatmap)
            shown = [w.id for w in screen.query_one("#side").children if w.display]
            assert shown == ["wss"] and hm.size.width == 80 - 34
            await pilot.press("tab")
            shown = [w.id for w in screen.query_one("#side").children if w.display]
            assert shown == ["regionpanel"]
            for panel in ("schemes", "histograms", "outcomes"):
                await pilot.press("tab")
                await pilot.pause()
                shown = [w.id for w in screen.query_one("#side").children if w.display]
                assert shown == [panel]
            await pilot.press("tab")
            await pilot.pause()
            assert not screen.query_one("#side").display and hm.size.width == 80
            assert len(hm.cursor_text()) <= hm.size.width  # the key hint is not clipped
            await pilot.press("tab")
            await pilot.pause()
            assert screen.query_one("#wss").display
    run(go())


def test_large_screen_tab_hides_and_shows_the_side_column():
    async def go():
        app = make_app()
        async with app.run_test(size=(200, 60)) as pilot:
            app.step(10)
            await pilot.pause()
            side = app.screen.query_one("#side")
            assert all(w.display for w in side.children)
            await pilot.press("tab")
            assert not side.display
            await pilot.press("tab")
            assert side.display
    run(go())


def test_heatmap_reuses_line_strips_when_rows_scroll():
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(40)  # 40 rows of 100 ms: lines 0..19, two rows each
            await pilot.pause()
            hm = app.screen.query_one(Heatmap)
            lines = range(hm._top, hm._newest + 1)
            before = {g: hm._line_strip(g) for g in lines}
            app.step(1)  # row 40 opens line 20; the colour scale does not move
            await pilot.pause()
            assert hm._newest == 20
            same = [hm._line_strip(g) is before[g] for g in lines if g >= hm._top]
            assert all(same) and len(same) >= 10
    run(go())


def test_row_time_and_speed_rebuild_a_uniform_time_axis():
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(100)
            await pilot.pause()
            hm = app.screen.query_one(Heatmap)
            await pilot.press("T")  # 200 ms rows, rebuilt from the 100 kept snapshots
            assert app.feed.snapshots_per_row == 2
            rows = hm.model.rows
            assert len(rows) == 50 and all(r.count == 2 and r.row_us == 200_000 for r in rows)
            assert [r.slot for r in rows] == list(range(50))
            assert "row 200 ms" in hm.title_text()
            labels = [hm._row_label(g) for g in range(hm._top, hm._newest + 1)]
            shown = [x for x in labels if x]
            assert shown and len(set(shown)) == len(shown)  # no label repeats
            await pilot.press("s")  # 10x: five intervals a row, the same history rebuilt
            rows = hm.model.rows
            assert len(rows) == 20 and {r.row_us for r in rows} == {500_000}
            app.step(3)
            assert hm.model.rows[-1].slot == 20 and hm.model.rows[-1].count == 3
    run(go())


def test_cursor_text_fits_a_narrow_heatmap():
    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            app.step(30)
            await pilot.pause()
            await pilot.press("right")
            hm = app.screen.query_one(Heatmap)
            text = hm.cursor_text()
            assert "nr_acc" in text and len(text) <= hm.size.width
    run(go())
