"""Deterministic app states for snapshot tests, screenshots and the benchmark.

Each scene builds a paused app on the zigzag sim (fixed seed) and a ``run_before``
coroutine that steps the engine a fixed number of aggregation intervals and presses
keys, so the screen depends on nothing but the code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

#: the kdamond_pid the scenes show (the real one is a thread id that changes per run)
SCENE_PID = 4242

SCENES = ("monitor", "monitor_cursor", "help", "schemes", "presets", "replay", "targets")


def make_app(steps: int = 0, workload: str = "zigzag", seed: int = 0, **kwargs):
    """A paused app on a simulated workload (engine not started)."""
    from damon_tui.tui.app import DamonApp
    from damon_tui.tui.session import sim_session

    session = sim_session(workload, seed=seed)
    kwargs.setdefault("pid_provider", lambda: SCENE_PID)
    kwargs.setdefault("target_entries", scene_target_entries)
    return DamonApp(session, autostart=False, **kwargs)


def scene_target_entries():
    """The picker's list with two fixed processes instead of this machine's."""
    from damon_tui.tui.targets_model import Entry, workload_entries

    return workload_entries() + [
        Entry("paddr", "paddr", "physical memory (paddr)", "", False,
              "ops paddr: no - cannot run: it needs page idle tracking, which this kernel "
              "lacks"),
        Entry("pid", "4242", "   4242 ./zigzag-server --port 8080", "alice 512.0 MiB", True),
        Entry("pid", "4243", "   4243 ./zigzag-batch", "bob 1.2 GiB", False,
              "not your process; monitoring it needs root"),
    ]


def replay_app(steps: int = 300):
    """An app replaying a zigzag record made on the spot (seed 0, fixed description)."""
    import tempfile
    from pathlib import Path

    from damon_tui.engine import Attrs, Monitor
    from damon_tui.ops.sim import SimOps
    from damon_tui.record import RecordWriter, make_header
    from damon_tui.tui.app import DamonApp
    from damon_tui.tui.replay import load_replay
    from damon_tui.tui.session import Session

    ops = SimOps("zigzag", seed=0)
    attrs = Attrs(update_us=1_000_000)
    monitor = Monitor(ops, attrs, seed=0)
    header = make_header(ops="sim", targets=[{"target_id": 0, "description": "sim:zigzag"}],
                         attrs={"sample_us": attrs.sample_us, "aggr_us": attrs.aggr_us,
                                "update_us": attrs.update_us}, start_time=0.0)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "zigzag.damon"
        with RecordWriter(path, header) as w:
            for snap in monitor.run(steps * attrs.aggr_us):
                w.write_snapshot(snap)
        replay = load_replay(str(path))
    replay.description = "replay zigzag.damon"
    session = Session(description=replay.description, replay=replay, attrs=replay.attrs)
    return DamonApp(session)


def scene(name: str, steps: int = 120) -> tuple[object, Callable[..., Awaitable[None]]]:
    """``(app, run_before)`` for scene ``name``."""
    app = replay_app() if name == "replay" else make_app()

    async def run_before(pilot) -> None:
        await pilot.pause()
        if name != "replay":
            app.step(steps)
        await pilot.pause()
        if name == "monitor_cursor":
            for key in ("right", "right", "right", "up", "up"):
                await pilot.press(key)
        elif name == "help":
            await pilot.press("question_mark")
        elif name == "schemes":
            await pilot.press("e")
            await pilot.pause()
            app.screen.import_schemes("4K max 0 0 10s max pageout 10ms 1G 1s 0 0 1000")
            await pilot.pause()
            app.screen.query_one("#f-max_sz").value = "2K"  # an inline error
            await pilot.pause()
        elif name == "presets":
            await pilot.press("p")
            await pilot.pause()
            app.screen.do_write("min_age", "2s")
            await pilot.press("y")
            app.step(100)
            app.screen.fill()
        elif name == "replay":
            await pilot.press("left_curly_bracket", "left_curly_bracket")
            await app.workers.wait_for_complete()
            await pilot.pause()
            app.refresh_views(force=True)
        elif name == "targets":
            await pilot.press("g")
            await pilot.pause()
            await pilot.press(*"zig")
        await pilot.pause()

    if name not in SCENES:
        raise ValueError(f"unknown scene {name!r}: one of {', '.join(SCENES)}")
    return app, run_before
