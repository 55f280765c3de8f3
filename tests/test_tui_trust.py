"""Pilot tests of the trust-breakers: speed changes, picked targets' intervals, the
header's CPU, the status line with a long target name, keys typed in a burst."""

from __future__ import annotations

import argparse
import asyncio
import threading
import time

import pytest

pytest.importorskip("textual")

from fake_kernel import FakeKernel  # noqa: E402
from textual import events  # noqa: E402
from textual.geometry import Region  # noqa: E402

from damon_tui.commands import tui as tui_command  # noqa: E402
from damon_tui.ops.vaddr import VaddrOps  # noqa: E402
from damon_tui.options.attrs import attrs_from_args  # noqa: E402
from damon_tui.tui import targets_screen  # noqa: E402
from damon_tui.tui.scenes import make_app  # noqa: E402
from damon_tui.tui.view import ProcessCpu  # noqa: E402
from damon_tui.tui.widgets.header import HeaderBar  # noqa: E402


def run(coro):
    return asyncio.run(coro)


def screen_lines(widget) -> list[str]:
    """What ``widget`` shows on the terminal, one string per line."""
    w, h = widget.size
    strips = widget.render_lines(Region(0, 0, w, h))
    return ["".join(seg.text for seg in strip) for strip in strips]


def test_speed_back_to_1x_after_max_keeps_the_view_moving():
    async def go():
        app = make_app(speed=1.0)
        app.autostart = True
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            await pilot.press("s", "s", "s")  # 10x, 100x, max
            assert app.source.speed == 0.0
            await pilot.pause(2.0)  # minutes of virtual time at max
            await pilot.press("s")  # back to 1x
            assert app.source.speed == 1.0
            await pilot.pause(0.3)
            n = app.feed.count
            await pilot.pause(1.5)
            # 1x with 100 ms aggregation: ~15 snapshots; a frozen view gets none
            assert app.feed.count - n >= 5
            await pilot.press("space")
    run(go())


def test_a_speed_change_wakes_the_pacing_sleep_at_once():
    async def go():
        app = make_app(speed=1.0)
        app.autostart = True
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            src = app.source
            src.set_speed(0.01)  # a snapshot every 10 s of wall time
            await pilot.pause(0.3)
            n = app.feed.count
            src.set_speed(1.0)  # wakes the 10 s sleep: snapshots flow again
            await pilot.pause(1.0)
            assert app.feed.count - n >= 4
            await pilot.press("space")
    run(go())


def test_a_process_picked_with_g_gets_the_intervals_pid_gets(tmp_path, monkeypatch):
    kernel = FakeKernel(tmp_path)
    kernel.bitmap.unlink()  # clear_refs: intervals measured from the sampling cost
    kernel.add_process(4242, [(0x100000, 0x200000), (0x400000, 0x800000)])
    monkeypatch.setattr(targets_screen, "ops_for",
                        lambda entry, path=None: VaddrOps([int(entry.key)], root=kernel.root))
    parser = argparse.ArgumentParser()
    tui_command.add_arguments(parser)
    pid_attrs = attrs_from_args(parser.parse_args(["--pid", "4242"]),
                                VaddrOps([4242], root=kernel.root))
    assert pid_attrs.sample_us > 5000  # low-cost intervals, not the sim's 5 ms

    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(3)
            await pilot.press("g")
            await pilot.pause()
            await pilot.press(*"4242", "enter")
            await pilot.pause()
            attrs = app.session.attrs
            assert app.session.ops.kind == "vaddr"
            assert (attrs.sample_us, attrs.aggr_us) == (pid_attrs.sample_us,
                                                        pid_attrs.aggr_us)
            app.source.pause()
    run(go())


class FixedCpu(ProcessCpu):
    def fraction(self) -> float | None:
        return 0.75


def test_header_cpu_is_the_whole_process_and_says_so():
    async def go():
        app = make_app(cpu=FixedCpu())
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(3)  # the engine thread never ran: its own CPU share is 0
            await pilot.pause()
            state = app.header_text(120).plain.splitlines()[-1]
            assert "cpu 75% (damon-tui)" in state
    run(go())


def test_process_cpu_counts_every_thread_over_its_window():
    meter = ProcessCpu(window_s=2.0)
    assert meter.sample(0.0, 10.0) is None  # one sample: no figure yet
    assert meter.sample(1.0, 10.9) == pytest.approx(0.9)
    meter.sample(2.0, 11.0)
    assert meter.sample(4.0, 11.1) == pytest.approx(0.05)  # 2..4 s: older samples left
    start = time.process_time()
    t = threading.Thread(target=lambda: sum(range(3_000_000)))
    t.start()
    t.join()
    assert time.process_time() > start  # process time includes other threads


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
def test_long_target_name_never_hides_the_status_line(size):
    async def go():
        app = make_app()
        app.session.description = "sim:zigzag " + "a-very-long-target-name/" * 12
        async with app.run_test(size=size) as pilot:
            app.step(3)
            await pilot.pause()
            lines = screen_lines(app.screen.query_one(HeaderBar))
            assert any("paused" in line and "rec off" in line for line in lines), lines
            assert len(lines) == (3 if size[0] < 120 else 2)  # nothing wrapped
    run(go())


def test_keys_typed_in_a_burst_into_a_form_field_all_land_in_order():
    def key(name: str) -> events.Key:
        return events.Key(name, "\x7f" if name == "backspace" else name)

    async def go():
        app = make_app()
        async with app.run_test(size=(100, 40)) as pilot:
            app.step(5)
            await pilot.press("e")
            await pilot.pause()
            await pilot.press("ctrl+n")
            await pilot.pause()
            field = app.screen.query_one("#f-min_sz")
            field.focus()
            await pilot.press("end")
            assert field.value == "4K"
            # queued all at once, as a terminal delivers a fast burst
            for name in ("backspace", "backspace", "8", "backspace", "1", "6", "K"):
                app.post_message(key(name))
            await pilot.pause(0.3)
            assert field.value == "16K"
    run(go())
