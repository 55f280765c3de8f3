"""Record toggle (background writer) and replay of records with a timeline."""

from __future__ import annotations

import asyncio
import time

from damon_tui.record import open_record  # noqa: E402
from damon_tui.tui.replay import load_replay, timeline_bar  # noqa: E402
from damon_tui.tui.scenes import make_app  # noqa: E402


def test_timeline_bar_marks_the_position():
    assert timeline_bar(0, 10, 5) == "●────"
    assert timeline_bar(9, 10, 5) == "━━━━●"
    assert timeline_bar(0, 1, 3) == "●──"


def test_record_toggle_writes_a_readable_record(tmp_path):
    path = tmp_path / "tui.damon"

    async def go():
        app = make_app(record_path=str(path))
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(3)
            await pilot.press("w")
            assert app.recorder is not None
            app.step(25)
            assert "● rec" in app.header_text().plain and str(path) in app.header_text().plain
            assert app.recorder.snapshots == 25 and app.recorder.size > 0
            # the live worker writes in the background too
            await pilot.press("space")
            deadline = asyncio.get_running_loop().time() + 10
            while app.recorder.snapshots < 40 and asyncio.get_running_loop().time() < deadline:
                await pilot.pause(0.05)
            await pilot.press("space")
            n = app.recorder.snapshots
            await pilot.press("w")
            assert app.recorder is None
            assert "rec off" in app.header_text().plain
        return n

    n = asyncio.run(go())
    rec = open_record(path)
    assert rec.format == "damon-tui" and rec.nr_snapshots >= n >= 40
    assert rec.header["ops"] == "sim"


def test_replay_moves_through_time_with_the_same_widgets(shared_dir):
    from damon_tui.tui.app import DamonApp
    from damon_tui.tui.heatmap import Heatmap
    from damon_tui.tui.session import Session

    replay = load_replay(str(shared_dir / "damo-records" / "damon.data.json_compressed"))
    session = Session(description=replay.description, replay=replay, attrs=replay.attrs)

    async def go():
        app = DamonApp(session)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            n = len(replay)
            assert app.replay_pos == n - 1
            assert f"snapshot {n}/{n}" in app.header_text().plain
            hm = app.screen.query_one(Heatmap)
            rows = hm.model.rows  # the whole record, zoomed out in time to fit the screen
            assert rows[0].slot == 0 and sum(r.count for r in rows) == n
            assert rows[-1].slot < hm.visible_slots and hm._top == 0
            await pilot.press("home")
            await app.workers.wait_for_complete()
            assert app.replay_pos == 0 and app.feed.count == 1
            await pilot.press("right_square_bracket", "right_square_bracket")
            assert app.replay_pos == 2 and app.feed.count == 3
            await pilot.press("left_square_bracket")
            await app.workers.wait_for_complete()
            assert app.replay_pos == 1 and app.feed.count == 2
            await pilot.press("right_curly_bracket")
            await app.workers.wait_for_complete()
            assert app.replay_pos == 1 + n // 10
            wss = app.feed.wss[0].current
            assert 90 << 20 < wss < 200 << 20  # the zigzag record's working set
            await pilot.press("space")  # play
            await pilot.pause(0.3)
            assert app.replay_pos > 1 + n // 10
            # live-only keys are refused in replay
            await pilot.press("w")
            assert app.recorder is None
    asyncio.run(go())


class _FullDisk:
    """A file whose writes fail with ENOSPC after ``room`` writes (a disk filling up)."""

    def __init__(self, f, room: int) -> None:
        self._f, self.room = f, room

    def write(self, data):
        import errno
        import os

        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= 1
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)


def test_full_disk_stops_the_recording_and_keeps_the_live_view(tmp_path):
    path = tmp_path / "tui.damon"

    async def go():
        app = make_app(record_path=str(path))
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(3)
            await pilot.press("w")
            writer = app.recorder.writer
            writer._f = _FullDisk(writer._f, room=5)
            app.step(10)  # the 6th frame hits the full disk
            await pilot.pause()
            app.refresh_views(force=True)
            await pilot.pause()
            assert app.recorder is None and app.is_running
            assert any("recording stopped" in str(n.message) and "No space left" in
                       str(n.message) for n in app._notifications)
            before = app.feed.generation
            app.step(5)  # monitoring and the live view go on
            assert app.feed.generation > before and app.is_running
    asyncio.run(go())
    assert open_record(path).nr_snapshots == 5  # what was written before stays readable


def test_replay_draws_the_whole_record_and_full_screens_after_jumps():
    from damon_tui.tui.heatmap import Heatmap
    from damon_tui.tui.scenes import replay_app

    app = replay_app(steps=300, schemes=None)  # 30 s of zigzag at 100 ms

    async def go():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            hm = app.screen.query_one(Heatmap)
            n = len(app.replay)
            rows = hm.model.rows
            assert sum(r.count for r in rows) == n and rows[0].slot == 0
            # zoomed out in time until the record fits: 62 rows on screen, 60 of 500 ms
            assert hm.visible_slots == 62 and rows[0].row_us == 500_000
            assert hm._top == 0 and hm._newest == 29  # from the top, like damo
            await pilot.press("left_curly_bracket")  # 10 % back: the record so far
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.replay_pos == n - 1 - n // 10
            assert sum(r.count for r in hm.model.rows) == app.replay_pos + 1
            await pilot.press("T")  # 100 ms rows: more than the screen, newest at the bottom
            await app.workers.wait_for_complete()
            await pilot.pause()
            rows = hm.model.rows
            assert {r.row_us for r in rows} == {100_000} and len(rows) == app.replay_pos + 1
            assert hm._newest - hm._top == hm.grid_height - 1  # a full screen, not two rows
            await pilot.press("end")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.replay_pos == n - 1 and len(hm.model.rows) == n
            await pilot.press("T")
            assert app.replay_row_us == 200_000
            await pilot.press("T")  # 500 ms is the fitted time: back to it
            assert app.replay_row_us is None
    asyncio.run(go())


def test_replay_plays_at_the_chosen_speed():
    from damon_tui.tui.scenes import replay_app

    app = replay_app(steps=300, schemes=None)

    async def go():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("home")
            await app.workers.wait_for_complete()
            await pilot.press("s")  # 10x: 100 snapshots a second of wall time
            assert app.replay_speed == 10.0
            t0 = time.perf_counter()
            await pilot.press("space")
            assert "playing 10x" in app.header_text().plain
            await pilot.pause(0.5)
            pos, elapsed = app.replay_pos, time.perf_counter() - t0
            assert 5 <= pos <= 100 * elapsed + 1  # never ahead of 10x
            await pilot.press("space", "s", "s")  # max: as fast as the view feeds
            assert app.replay_speed == 0.0
            await pilot.press("space")
            for _ in range(200):
                if app.replay_pos == len(app.replay) - 1:
                    break
                await pilot.pause(0.05)
            assert app.replay_pos == len(app.replay) - 1 and not app.replay_playing
            assert sum(r.count for r in app.feed.heatmaps[0].rows) == len(app.replay)
    asyncio.run(go())
