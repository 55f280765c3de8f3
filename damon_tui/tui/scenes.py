"""Deterministic app states for snapshot tests, screenshots and the benchmark.

Each scene builds a paused app on the zigzag sim (fixed seed) and a ``run_before``
coroutine that steps the engine a fixed number of aggregation intervals and presses
keys, so the screen depends on nothing but the code.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.widgets import Input

from damon_tui.damos.io import parse_one_lines, scheme_to_dict
from damon_tui.damos.runtime import runner_for
from damon_tui.damos.scheme import Scheme
from damon_tui.engine import Attrs, Monitor
from damon_tui.ops.sim import SimOps
from damon_tui.record import RecordWriter, make_header
from damon_tui.tui.app import DamonApp
from damon_tui.tui.replay import load_replay
from damon_tui.tui.session import replay_session, sim_session
from damon_tui.tui.targets_model import Entry, workload_entries
from damon_tui.tui.view import NoCpu
from damon_tui.tui.whatif_screen import WhatifScreen

#: the kdamond_pid the scenes show (the real one is a thread id that changes per run)
SCENE_PID = 4242

SCENES = ("monitor", "kvstore", "monitor_cursor", "help", "schemes", "presets", "replay",
          "targets", "histograms", "damos", "whatif")
#: the what-if scene's sweep (on the replay scene's zigzag record)
WHATIF_SPEC = "reclaim min_age=1s,3s,10s"
#: scenes that run a minute of the workload and show it in 500 ms rows (the pattern)
_MINUTE = {"monitor": "zigzag", "kvstore": "kvstore"}


def make_app(steps: int = 0, workload: str = "zigzag", seed: int = 0, **kwargs):
    """A paused app on a simulated workload (engine not started)."""
    session = sim_session(workload, seed=seed)
    kwargs.setdefault("pid_provider", lambda: SCENE_PID)
    kwargs.setdefault("target_entries", scene_target_entries)
    kwargs.setdefault("cpu", NoCpu())
    return DamonApp(session, autostart=False, **kwargs)


def scene_target_entries():
    """The picker's list with two fixed processes instead of this machine's."""
    return workload_entries() + [
        Entry("paddr", "paddr", "physical memory (paddr)", "", False,
              "ops paddr: no - cannot run: it needs page idle tracking, which this kernel "
              "lacks"),
        Entry("pid", "4242", "   4242 ./zigzag-server --port 8080", "alice 512.0 MiB", True,
              rss=512 << 20),
        Entry("pid", "4243", "   4243 ./zigzag-batch", "bob 1.2 GiB", False,
              "not your process; monitoring it needs root", rss=1229 << 20),
        Entry("pid", "2", "      2 [kthreadd]", "root 0 B", False,
              "kernel thread: it has no user address space to monitor", kernel_thread=True),
    ]


#: the scheme the replay scene's record runs (its stats are stored in the frames)
REPLAY_SCHEMES = "4K max 0 0 2s max stat 0 64M 1s"


def replay_app(steps: int = 600, schemes: str | None = REPLAY_SCHEMES):
    """An app replaying a zigzag record made on the spot (seed 0, fixed description)."""
    ops = SimOps("zigzag", seed=0)
    attrs = Attrs(update_us=1_000_000)
    scheme_list: tuple[Scheme, ...] = ()
    scheme_json = None
    if schemes:
        scheme_list = parse_one_lines(schemes)
        scheme_json = [scheme_to_dict(s) for s in scheme_list]
    monitor = Monitor(ops, attrs, seed=0,
                      damos=runner_for(scheme_list, ops, attrs.sample_us, attrs.aggr_us))
    header = make_header(ops="sim", targets=[{"target_id": 0, "description": "sim:zigzag"}],
                         attrs={"sample_us": attrs.sample_us, "aggr_us": attrs.aggr_us,
                                "update_us": attrs.update_us}, start_time=0.0,
                         schemes=scheme_json)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "zigzag.damon"
        with RecordWriter(path, header) as w:
            for snap in monitor.run(steps * attrs.aggr_us):
                w.write_snapshot(snap)
        replay = load_replay(str(path))
    replay.description = "replay zigzag.damon"
    replay.record.path = "zigzag.damon"  # not the temporary directory's random name
    return DamonApp(replay_session(replay))


def write_two_target_record(path, steps: int = 60,
                            workloads: tuple[str, str] = ("zigzag", "hotset")) -> None:
    """A record with two targets (two simulated workloads sharing one clock)."""
    attrs = Attrs(update_us=1_000_000)
    monitors = [Monitor(SimOps(w, seed=0), attrs, seed=0) for w in workloads]
    header = make_header(ops="sim", start_time=0.0,
                         targets=[{"target_id": i, "description": f"sim:{w}"}
                                  for i, w in enumerate(workloads)],
                         attrs={"sample_us": attrs.sample_us, "aggr_us": attrs.aggr_us,
                                "update_us": attrs.update_us})
    runs = [m.run(steps * attrs.aggr_us) for m in monitors]
    with RecordWriter(path, header) as w:
        for snaps in zip(*runs, strict=False):
            t = [(i, s.targets[0].starts, s.targets[0].ends, s.targets[0].nr_accesses,
                  s.targets[0].ages) for i, s in enumerate(snaps)]
            w.write_frame(snaps[0].start_us * 1000, snaps[0].end_us * 1000,
                          snaps[0].sample_us, snaps[0].aggr_us, t)


def scene(name: str, steps: int = 120) -> tuple[object, Callable[..., Awaitable[None]]]:
    """``(app, run_before)`` for scene ``name``."""
    if name in ("replay", "whatif"):
        app = replay_app()
    else:  # kvstore: a multi-mapping workload with named regions and idle parts
        app = make_app(workload=_MINUTE.get(name, "kvstore" if name == "histograms"
                                                else "zigzag"))

    async def run_before(pilot) -> None:
        await pilot.pause()
        if name in _MINUTE:
            app.step(600)
            await pilot.press("T", "T")  # 500 ms rows: the screen holds the minute
        elif name not in ("replay", "whatif"):
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
        elif name == "replay":  # the whole record, zoomed out in time to fit
            await app.workers.wait_for_complete()
            await pilot.pause()
            app.refresh_views(force=True)
        elif name == "whatif":  # a sweep of DAMON_RECLAIM's min_age on the record
            await app.workers.wait_for_complete()
            screen = WhatifScreen(app.replay.record, app.target_idx, WHATIF_SPEC)
            await app.push_screen(screen)  # what "y" opens, with this sweep
            screen.query_one("#whatif-spec", Input).cursor_blink = False  # a steady picture
            await asyncio.to_thread(screen._done.wait, 120)
            await pilot.pause()
        elif name == "targets":
            await pilot.press("g")
            await pilot.pause()
            await pilot.press(*"zig")
        elif name == "histograms":  # idle-time histogram, names on the cursor line
            if app.screen.compact:
                await pilot.press("tab", "tab", "tab")
            await pilot.press("right", "right")
        elif name == "damos":  # a user scheme and DAMON_LRU_SORT, each saying why
            await pilot.press("e")
            await pilot.pause()
            app.screen.import_schemes("4K max 0 0 1s max pageout 10ms 16M 1s")
            await pilot.press("ctrl+s")
            await pilot.pause()
            for key in ("escape", "p", "tab", "y", "escape"):
                await pilot.press(key)
                await pilot.pause()
            app.step(40)
            app.clear_notifications()  # the commit's toast
            app.refresh_views(force=True)
            if app.screen.compact:
                await pilot.press("tab", "tab")
        await pilot.pause()

    if name not in SCENES:
        raise ValueError(f"unknown scene {name!r}: one of {', '.join(SCENES)}")
    return app, run_before
