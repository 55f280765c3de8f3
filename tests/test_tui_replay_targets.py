"""Replay shows the record's scheme statistics and whole-record WSS; ``t`` switches targets."""

from __future__ import annotations

import asyncio

from damon_tui.tui.app import DamonApp  # noqa: E402
from damon_tui.tui.replay import load_replay  # noqa: E402
from damon_tui.tui.session import replay_session  # noqa: E402


def _record_with_schemes(path) -> None:
    from damon_tui.cli import main

    rc = main(["record", "--sim", "zigzag", "--duration", "20s", "-o", str(path),
               "--schemes", "4K max 0 0 1s max pageout 10ms 32M 1s 0 0 1000"])
    assert rc == 0


def test_replay_shows_the_scheme_statistics_stored_in_the_record(tmp_path):
    path = tmp_path / "s.damon"
    _record_with_schemes(path)
    replay = load_replay(str(path))
    assert [s.action for s in replay.schemes] == ["pageout"]
    last = replay.snapshot(len(replay) - 1).schemes[0]
    first = replay.snapshot(0).schemes[0]
    assert last.nr_tried > first.nr_tried and last.sz_applied > 0

    async def go():
        app = DamonApp(replay_session(replay))
        async with app.run_test(size=(200, 60)) as pilot:
            await pilot.pause()
            text = app.screen.query_one("#schemes").text.plain
            assert "recorded statistics" in text and "#0 pageout" in text
            assert f"tried {last.nr_tried} " in text and f"qt_exceeds {last.qt_exceeds}" in text
            await pilot.press("home")
            await app.workers.wait_for_complete()
            await pilot.pause()
            app.refresh_views(force=True)
            text = app.screen.query_one("#schemes").text.plain
            assert f"tried {first.nr_tried} " in text
            assert f"tried {last.nr_tried} " not in text
    asyncio.run(go())


def test_replay_without_schemes_says_so(shared_dir):
    replay = load_replay(str(shared_dir / "damo-records" / "damon.data.json_compressed"))
    assert replay.schemes == () and replay.snapshot(0).schemes == ()

    async def go():
        app = DamonApp(replay_session(replay))
        async with app.run_test(size=(200, 60)) as pilot:
            await pilot.pause()
            assert "no schemes in this record" in app.screen.query_one("#schemes").text.plain
    asyncio.run(go())


def test_replay_wss_percentiles_cover_the_whole_record_after_a_jump(tmp_path):
    from damon_tui.record import open_record
    from damon_tui.report.wss import wss_dists
    from damon_tui.units import format_size

    path = tmp_path / "s.damon"
    _record_with_schemes(path)
    n = open_record(path).nr_snapshots
    dist = wss_dists(open_record(path))[0]  # report wss's sorted values
    replay = load_replay(str(path))

    async def go():
        app = DamonApp(replay_session(replay))
        async with app.run_test(size=(200, 60)) as pilot:
            await pilot.pause()
            await pilot.press("home")  # the models now hold one snapshot only
            await app.workers.wait_for_complete()
            await pilot.pause()
            app.refresh_views(force=True)
            assert app.feed.count == 1
            panel = app.screen.query_one("#wss")
            assert panel.border_subtitle == f"snapshots 21-{n} of {n}"
            assert panel.border_title == "working set: whole record"
            lines = app.screen.query_one("#wss-pct").text.plain.splitlines()
            assert len(lines) == 5
            for line, p in zip(lines, (0, 25, 50, 75, 100), strict=True):
                want = dist[min(int(p / 100 * len(dist)), len(dist) - 1)]
                assert line.split()[0] == str(p)
                assert format_size(want, 1) in line
    asyncio.run(go())


def test_t_switches_the_shown_target_of_a_two_target_record(tmp_path):
    from damon_tui.tui.heatmap import Heatmap
    from damon_tui.tui.scenes import write_two_target_record

    path = tmp_path / "two.damon"
    write_two_target_record(path, steps=40)
    replay = load_replay(str(path))
    rec = replay.record
    assert len(rec.targets) == 2

    async def go():
        app = DamonApp(replay_session(replay))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            keys = {b.binding.key for b in app.screen.active_bindings.values()
                    if b.enabled}
            assert "t" in keys
            assert "target 1/2: sim:zigzag" in app.header_text().plain
            hm = app.screen.query_one(Heatmap)
            assert hm.model is app.feed.heatmaps[0]
            wss0 = app.screen.query_one("#wss-now").text.plain
            await pilot.press("r")  # a range picked on target 1 ...
            await pilot.press("t")
            assert app.target_idx == 1
            assert "target 2/2: sim:hotset" in app.header_text().plain
            assert hm.model is app.feed.heatmaps[1] and hm.range_sel is None  # ... is reset
            assert app.screen.query_one("#wss-now").text.plain != wss0
            t1 = rec.targets[1]
            last = len(replay) - 1
            hottest = max(range(t1.offsets[last], t1.offsets[last + 1]),
                          key=lambda k: (t1.nr_accesses[k], t1.ends[k] - t1.starts[k]))
            table = app.screen.query_one("#regions").text.plain
            assert f"{t1.starts[hottest]:#x}"[:14] in table.splitlines()[1]
            await pilot.press("t")
            assert app.target_idx == 0 and "target 1/2" in app.header_text().plain
    asyncio.run(go())


def test_t_is_hidden_with_one_target():
    from damon_tui.tui.scenes import make_app

    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(3)
            await pilot.pause()
            keys = {b.binding.key for b in app.screen.active_bindings.values() if b.enabled}
            assert "t" not in keys and "q" in keys
            await pilot.press("t")
            assert app.target_idx == 0 and "target 1/" not in app.header_text().plain
    asyncio.run(go())
