"""Deterministic app states for snapshot tests, screenshots and the benchmark.

Each scene builds a paused app on the zigzag sim (fixed seed) and a ``run_before``
coroutine that steps the engine a fixed number of aggregation intervals and presses
keys, so the screen depends on nothing but the code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

SCENES = ("monitor", "monitor_cursor", "help", "schemes")


def make_app(steps: int = 0, workload: str = "zigzag", seed: int = 0, **kwargs):
    """A paused app on a simulated workload (engine not started)."""
    from damon_tui.tui.app import DamonApp
    from damon_tui.tui.session import sim_session

    session = sim_session(workload, seed=seed)
    return DamonApp(session, autostart=False, **kwargs)


def scene(name: str, steps: int = 120) -> tuple[object, Callable[..., Awaitable[None]]]:
    """``(app, run_before)`` for scene ``name``."""
    app = make_app()

    async def run_before(pilot) -> None:
        await pilot.pause()
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
        await pilot.pause()

    if name not in SCENES:
        raise ValueError(f"unknown scene {name!r}: one of {', '.join(SCENES)}")
    return app, run_before
