"""Preset screens: enable DAMON_RECLAIM, commit_inputs (valid and refused), profiles."""

from __future__ import annotations

import asyncio

from damon_tui.errors import UserError
from damon_tui.tui.presets_screen import PresetScreen  # noqa: E402
from damon_tui.tui.scenes import make_app  # noqa: E402


def test_enabling_reclaim_runs_its_scheme_and_shows_stats(tmp_path):
    async def go():
        app = make_app()
        app.profiles_dir = str(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(5)
            await pilot.press("p")
            screen = app.screen
            assert isinstance(screen, PresetScreen) and screen.preset_name == "reclaim"
            assert app.session.monitor.schemes == ()
            # a small min_age so that the sim's cold half qualifies quickly
            assert screen.do_write("min_age", "1s")
            await pilot.press("y")
            mod = app.modules["reclaim"]
            assert mod.enabled
            schemes = app.session.monitor.schemes
            assert [s.action for s in schemes] == ["pageout"]
            app.step(150)
            screen.fill()
            assert int(mod.read("nr_reclaim_tried_regions")) > 0
            assert int(mod.read("bytes_reclaimed_regions")) > 0
            assert "DAMON_RECLAIM" in app.schemes_text(app.feed.latest).plain
            # inputs while enabled apply on commit_inputs only; invalid ones are refused
            assert screen.do_write("wmarks_high", "900")
            assert screen.do_write("min_nr_regions", "2")  # damon_set_attrs: EINVAL
            assert mod.running_inputs["wmarks_high"] != 900
            await pilot.press("c")
            assert "refused" in str(screen.query_one("#status").render())
            assert app.session.monitor.schemes == schemes and mod.enabled
            assert screen.do_write("min_nr_regions", "10")
            await pilot.press("c")
            assert mod.running_inputs["wmarks_high"] == 900
            assert app.session.monitor.schemes[0].watermarks.high == 900
            # profiles and export
            assert screen.save("mine", directory=str(tmp_path)) == tmp_path / "mine.json"
            assert screen.do_write("min_age", "99s")
            assert screen.load("mine") and mod.inputs["min_age"] == 1_000_000
            assert not screen.load("lru_sort-example")
            assert "damon_reclaim.min_age=1000000" in screen.export_text()
            await pilot.press("y")
            assert not mod.enabled and app.session.monitor.schemes == ()
            await pilot.press("tab")
            assert app.screen.preset_name == "lru_sort"
            await pilot.press("escape")
    asyncio.run(go())


def test_kdamond_pid_comes_from_the_injected_provider():
    async def go():
        app = make_app(pid_provider=lambda: 777)
        async with app.run_test(size=(200, 60)) as pilot:
            app.step(5)
            await pilot.press("p")
            await pilot.pause()
            assert app.screen.module.read("kdamond_pid") == "-1"  # disabled
            await pilot.press("y")
            assert app.screen.module.read("kdamond_pid") == "777"
    asyncio.run(go())


def test_presets_screen_puts_state_and_statistics_on_top_and_says_committed():
    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            app.step(5)
            await pilot.press("p")
            await pilot.pause()
            screen = app.screen
            summary = str(screen.query_one("#summary").render())
            assert summary.startswith("disabled: y enables")
            await pilot.press("y")
            app.step(20)
            screen.fill()
            await pilot.pause()
            summary = str(screen.query_one("#summary").render())
            lines = summary.splitlines()
            assert lines[0].startswith("running (kdamond 4242) · inputs committed")
            assert "pageout: 4 KiB..max, 0 accesses, age >= 2 m; quota 10 ms / 128 MiB" in \
                summary
            assert "tried " in lines[-1] and "reclaimed " in lines[-1]
            # the statistics are at the top, not rows of the parameter table
            assert "nr_reclaimed_regions" not in [p.name for p in screen.params]
            assert screen.do_write("quota_ms", "20")
            assert "inputs changed (*): c commits them" in str(
                screen.query_one("#summary").render())
            await pilot.press("c")
            await pilot.pause()
            assert str(screen.query_one("#status").render()).startswith(
                "committed: DAMON_RECLAIM now runs the inputs")
            assert "inputs committed" in str(screen.query_one("#summary").render())
            # everything fits 80x24: every part is on screen and the table shows rows
            for wid in ("#title", "#summary", "#status", "#params", "#help"):
                region = screen.query_one(wid).region
                assert region.bottom <= 23 and region.height >= 1, wid
            assert screen.query_one("#params").region.height >= 4
    asyncio.run(go())


def test_docs_column_is_explained_where_it_is_shown():
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("p")
            await pilot.pause()
            help_text = str(app.screen.query_one("#help").render())
            assert "docs column: the default the kernel's admin-guide states" in help_text
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("p")
            await pilot.pause()
            assert "docs column" not in str(app.screen.query_one("#help").render())
    asyncio.run(go())


def test_schemes_panel_says_why_a_scheme_is_not_acting():
    async def go():
        app = make_app()
        async with app.run_test(size=(200, 60)) as pilot:
            app.step(5)
            await pilot.press("p", "y")
            app.step(20)
            await pilot.press("escape")
            app.refresh_views(force=True)
            await pilot.pause()
            text = app.schemes_text(app.feed.latest).plain
            assert "#0 pageout (DAMON_RECLAIM)" in text
            assert "why: no region" in text or "why: inactive" in text
            assert "quota none" not in text and "4294967295" not in text
    asyncio.run(go())


def test_modules_are_exclusive_and_keep_their_statistics_across_commits(tmp_path):
    from damon_tui.tui.presets_screen import write

    async def go():
        app = make_app()
        app.profiles_dir = str(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(5)
            await pilot.press("p")
            await pilot.pause()
            lru = app.modules["lru_sort"]
            reclaim = app.modules["reclaim"]
            for k, v in (("wmarks_high", "1000"), ("wmarks_mid", "999"), ("wmarks_low", "0"),
                         ("cold_min_age", "1s")):
                lru.write(k, v)
            write(app, lru, "enabled", "Y")
            app.step(40)
            # DAMON_RECLAIM cannot start while DAMON_LRU_SORT runs (damon_start EBUSY)
            try:
                write(app, reclaim, "enabled", "Y")
                raise AssertionError("enabling a second module was accepted")
            except UserError as e:
                assert "EBUSY" in str(e) and "DAMON_LRU_SORT" in str(e)
            assert not reclaim.enabled and [s.action for s in app.session.monitor.schemes] \
                == ["lru_prio", "lru_deprio"]
            before = app.feed.latest.schemes[0].nr_tried
            assert before > 0
            # commit_inputs updates the running schemes in place: statistics go on
            write(app, lru, "quota_ms", "20")
            write(app, lru, "commit_inputs", "Y")
            app.step(1)
            assert app.feed.latest.schemes[0].nr_tried >= before
            assert app.session.monitor.schemes[0].quota.ms == 10
    asyncio.run(go())


def test_module_monitor_region_sets_the_target_region_until_disabled(tmp_path):
    from damon_tui.tui.presets_screen import write

    async def go():
        app = make_app()
        app.profiles_dir = str(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(3)
            await pilot.press("p")
            await pilot.pause()
            full = app.feed.latest.targets[0].total_bytes
            (a0, a1), _ = app.session.ops.mappings
            reclaim = app.modules["reclaim"]
            reclaim.write("monitor_region_start", str(a0))
            reclaim.write("monitor_region_end", str(a0 + (1 << 20)))
            write(app, reclaim, "enabled", "Y")
            app.step(2)
            t = app.feed.latest.targets[0]
            assert t.starts[0] == a0 and t.total_bytes == 1 << 20
            write(app, reclaim, "enabled", "N")
            app.step(2)
            assert app.feed.latest.targets[0].total_bytes == full
    asyncio.run(go())
