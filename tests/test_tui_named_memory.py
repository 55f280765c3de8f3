"""Pilot tests: named memory on the monitor screen, the size histograms and the
outcome sparklines."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("textual")

from damon_tui.report.histograms import SzHistogram  # noqa: E402
from damon_tui.tui.heatmap import Heatmap  # noqa: E402
from damon_tui.tui.outcomes import OutcomesModel, Sample, spark  # noqa: E402
from damon_tui.tui.scenes import make_app  # noqa: E402
from damon_tui.tui.widgets.histograms import HistogramPanel  # noqa: E402


def run(coro):
    return asyncio.run(coro)


def test_cursor_line_and_axis_name_the_mapping():
    async def go():
        app = make_app(workload="kvstore")
        async with app.run_test(size=(200, 60)) as pilot:
            app.step(30)
            await pilot.pause()
            hm = app.screen.query_one(Heatmap)
            await pilot.press("right")
            await pilot.pause()
            names = [r.name for r in app.session.ops.workload.regions]
            assert hm.cursor_text().split()[0] in names
            axis = "".join(seg.text for seg in hm.render_line(hm.size.height - 3))
            assert any(f"{n} · " in axis for n in names), axis
    run(go())


def test_histogram_panel_shows_idle_time_then_temperature_on_h():
    async def go():
        app = make_app(workload="kvstore")
        async with app.run_test(size=(200, 60)) as pilot:
            app.step(40)
            app.refresh_views(force=True)
            await pilot.pause()
            panel = app.screen.query_one(HistogramPanel)
            assert panel.display and panel.border_title.startswith("idle time")
            text = panel.text.plain
            assert len(text.splitlines()) >= 10 and "MiB" in text
            # the panel's histogram is damo's, of the latest snapshot
            recency, temperature = app.make_view(force=True).histograms
            assert isinstance(recency, SzHistogram) and recency.kind == "recency"
            snap = app.feed.latest
            assert recency.total_bytes == snap.targets[0].total_bytes
            await pilot.press("h")
            await pilot.pause()
            assert panel.border_title.startswith("temperature")
            assert panel.text.plain != text
    run(go())


def test_outcomes_panel_follows_the_sims_rss_reclaim_refaults_and_free_memory():
    async def go():
        app = make_app()
        async with app.run_test(size=(200, 60)) as pilot:
            await pilot.press("p")
            assert app.screen.do_write("min_age", "1s")
            await pilot.press("y", "escape")
            app.step(120)
            app.refresh_views(force=True)
            await pilot.pause()
            view = app.make_view(force=True).outcomes
            names = [s.name for s in view.series]
            assert names == ["rss", "reclaimed", "refaults", "free mem"]
            reclaimed = dict((s.name, s) for s in view.series)["reclaimed"]
            assert max(reclaimed.values) > 0  # DAMON_RECLAIM paged memory out
            text = app.screen.query_one("#outcomes").text.plain
            assert text.splitlines()[0].startswith("rss") and "/s" in text
    run(go())


def test_outcome_rates_are_per_second_of_the_target_clock():
    m = OutcomesModel()
    m.add(Sample(0, rss=100, reclaimed_total=0, refaults_total=10, free_permil=500))
    m.add(Sample(500_000, rss=90, reclaimed_total=4096, refaults_total=15, free_permil=510))
    v = {s.name: s for s in m.view().series}
    assert v["reclaimed"].values == (8192.0,) and v["refaults"].values == (10.0,)
    assert v["rss"].values == (100, 90) and v["free mem"].values == (500, 510)
    assert spark([0, 5, 10], 3) == "▁▅█" and spark([500], 1, top=1000) == "▅"


def test_histogram_panel_keeps_its_height_when_bins_go_away():
    import dataclasses

    async def go():
        app = make_app(workload="kvstore")
        async with app.run_test(size=(200, 60)) as pilot:
            app.step(40)
            app.refresh_views(force=True)
            await pilot.pause()
            panel = app.screen.query_one(HistogramPanel)
            tall = panel._lines
            view = app.make_view(force=True)
            fewer = SzHistogram("recency", logscale=True)  # no snapshot: fewer lines
            panel.update(dataclasses.replace(view, histograms=(fewer, fewer)))
            await pilot.pause()
            assert panel._lines == tall  # no layout pass of the whole screen
            assert panel.text.plain.rstrip("\n") != ""
    run(go())
