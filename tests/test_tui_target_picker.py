"""Pilot tests of the target picker: sorted by RSS, kernel threads hidden until asked,
the highlighted entry shown whole."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("textual")

from damon_tui.tui.scenes import make_app  # noqa: E402
from damon_tui.tui.targets_model import Entry, by_rss, filter_entries  # noqa: E402
from damon_tui.tui.targets_screen import TargetScreen  # noqa: E402

LONG = "./server --config /etc/very/long/path/to/a/config/file.yaml --workers 64 " \
       "--listen 0.0.0.0:8080 --log-level debug --cache-size 4G"


def entries():
    return [
        Entry("sim", "zigzag", "sim:zigzag", "two regions in turn", True),
        Entry("pid", "10", "     10 small", "alice 1.0 MiB", True, rss=1 << 20),
        Entry("pid", "2", "      2 [kthreadd]", "root 0 B", False,
              "kernel thread: it has no user address space to monitor", kernel_thread=True),
        Entry("pid", "30", f"     30 {LONG}", "alice 2.0 GiB", True, rss=2 << 30),
        Entry("pid", "20", "     20 medium", "bob 64.0 MiB", True, rss=64 << 20),
    ]


def test_processes_sort_by_rss_and_kernel_threads_filter_out():
    ordered = by_rss(entries())
    assert [e.key for e in ordered] == ["zigzag", "30", "20", "10", "2"]
    assert "2" not in [e.key for e in filter_entries(ordered, "", kernel_threads=False)]
    assert "2" in [e.key for e in filter_entries(ordered, "", kernel_threads=True)]


def test_picker_lists_biggest_first_hides_kernel_threads_and_shows_details_whole():
    async def go():
        app = make_app(target_entries=entries)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("g")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, TargetScreen)
            assert [e.key for e in screen.shown] == ["zigzag", "30", "20", "10"]
            why = str(screen.query_one("#why").render())
            assert "1 kernel thread hidden (ctrl+t shows them)" in why
            await pilot.press("down")
            await pilot.pause()
            why = screen.query_one("#why").render()
            plain = str(why).replace("\n", " ")
            # the whole command line, uncut, though the list row is cut at 80 columns
            assert "--cache-size 4G" in plain and "alice 2.0 GiB" in plain
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert [e.key for e in screen.shown][-1] == "2"
    asyncio.run(go())
