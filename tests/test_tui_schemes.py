"""Scheme editor: form model validation (no Textual) and Pilot editing + committing."""

from __future__ import annotations

import asyncio
import json

import pytest

from damon_tui.tui.scheme_form import SchemeForm, error_field  # noqa: E402


def test_form_builds_a_scheme_with_units_and_round_trips():
    form = (SchemeForm().set("min_sz", "4K").set("min_age", "60s").set("action", "pageout")
            .set("quota_ms", "10ms").set("quota_sz", "1G").set("weight_age", "1000"))
    scheme, errors = form.build()
    assert errors is None
    assert scheme.access_pattern.min_sz == 4096
    assert scheme.access_pattern.min_age.value == 60_000_000
    assert scheme.quota.ms == 10 and scheme.quota.sz == 1 << 30
    back, errors = SchemeForm.from_scheme(scheme).build()
    assert errors is None and back == scheme


@pytest.mark.parametrize("field,value,where", [
    ("min_sz", "5M", "min_sz"),          # min > max (max_sz below is 4K)
    ("min_age", "soon", "min_age"),
    ("action", "bogus", "action"),
    ("quota_sz", "lots", "quota_sz"),
    ("max_sz", "12Q", "max_sz"),         # damos names the pair after its min
    ("max_acc", "120 %", "max_acc"),
    ("max_age", "soon", "max_age"),
])
def test_form_errors_point_at_the_field(field, value, where):
    form = SchemeForm().set(field, value)
    if field == "min_sz":
        form = form.set("max_sz", "4K")
    if field == "wm_mid":
        form = form.set("wm_metric", "free_mem_rate").set("wm_high", "500").set("wm_low", "100")
    scheme, errors = form.build()
    assert scheme is None
    assert list(errors) == [where]


def test_ops_rules_refuse_unsupported_actions():
    class NoPageout:
        kind = "paddr"
        min_region_sz = 4096

        def supported_actions(self):
            return frozenset({"stat"})

        def unsupported_reason(self, action):
            return f"the paddr operations set cannot apply '{action}'"

        def free_mem_rate(self):
            return 500

    _, errors = SchemeForm().set("action", "pageout").build(NoPageout())
    assert errors == {"action": "action: the paddr operations set cannot apply 'pageout'"}
    assert error_field("scheme 3: quotas.goals[0]: bad", "scheme 3") == "goal_metric"


def test_editing_and_committing_schemes_valid_and_invalid(tmp_path):
    from damon_tui.tui.scenes import make_app
    from damon_tui.tui.schemes_screen import SchemesScreen

    async def go():
        app = make_app()
        async with app.run_test(size=(100, 40)) as pilot:
            app.step(10)
            await pilot.press("e")
            screen = app.screen
            assert isinstance(screen, SchemesScreen)
            await pilot.press("ctrl+n")
            assert len(screen.forms) == 1
            # invalid: min size above max size -> inline error, commit refused
            screen.query_one("#f-max_sz").value = "4K"
            screen.query_one("#f-min_sz").value = "8K"
            await pilot.pause()
            assert "min (8192) > max (4096)" in str(screen.query_one("#e-min_sz").render())
            await pilot.press("ctrl+s")
            assert app.session.schemes == [] and app.session.monitor.schemes == ()
            # valid: a stat scheme on cold regions
            screen.query_one("#f-min_sz").value = "4K"
            screen.query_one("#f-max_sz").value = "max"
            screen.query_one("#f-min_age").value = "0"
            screen.query_one("#f-max_acc").value = "100 %"
            await pilot.pause()
            assert screen.errors() == {}
            await pilot.press("ctrl+s")
            assert len(app.session.schemes) == 1
            await pilot.press("escape")
            app.step(30)
            snap = app.feed.latest
            assert len(snap.schemes) == 1 and snap.schemes[0].nr_tried > 0
            text = app.schemes_text(snap).plain
            assert "#0 stat" in text and "tried" in text
            # a second commit with an invalid scheme keeps the running one
            await pilot.press("e")
            screen = app.screen
            assert screen.import_schemes("4K max 0 0 60s max pageout")
            assert len(screen.forms) == 2
            # the sim's workload belongs to no memory cgroup: refused for this ops
            screen.query_one("#f-filters").value = "reject memcg /workload"
            await pilot.pause()
            ok, msg = screen.commit()
            assert not ok and "running schemes kept" in msg and "memcg" in msg
            assert len(app.session.schemes) == 1
            running = app.session.monitor.schemes
            screen.query_one("#f-filters").value = ""
            await pilot.pause()
            out = tmp_path / "s.json"
            assert screen.export_schemes(str(out))
            doc = json.loads(out.read_text())
            assert [d["action"] for d in doc] == ["stat", "pageout"]
            line = tmp_path / "s.txt"
            assert screen.export_schemes(str(line))
            assert line.read_text().splitlines()[1].split()[6] == "pageout"
            ok, msg = screen.commit()
            assert ok and len(app.session.monitor.schemes) == 2
            assert app.session.monitor.schemes != running
    asyncio.run(go())


def test_form_filters_and_more_goals_build_and_round_trip():
    form = (SchemeForm().set("goal_metric", "user_input").set("goal_target", "100")
            .set("goals_more", "node_mem_free_bp 9990; user_input 80 40 nid=0")
            .set("filters", "reject addr 0x1000-0x3000; allow not anon; target 1"))
    scheme, errors = form.build()
    assert errors is None
    assert [(g.metric, g.target_value, g.current_value, g.nid) for g in scheme.quota.goals] == [
        ("user_input", 100, 0, None), ("node_mem_free_bp", 9990, 0, None),
        ("user_input", 80, 40, 0)]
    f0, f1, f2 = scheme.filters
    assert (f0.filter_type, f0.allow, f0.matching, f0.addr_start, f0.addr_end) == \
        ("addr", False, True, 0x1000, 0x3000)
    assert (f1.filter_type, f1.allow, f1.matching) == ("anon", True, False)
    assert (f2.filter_type, f2.target_idx) == ("target", 1)
    back = SchemeForm.from_scheme(scheme)
    assert back.filters == "reject addr 0x1000-0x3000; allow not anon; reject target 1"
    assert back.build()[0] == scheme


@pytest.mark.parametrize("field,value,needle", [
    ("filters", "addr 0x5000", "expected START-END"),
    ("filters", "reject addr 0x3000-0x1000", "end (4096) < start (12288)"),
    ("filters", "allow bogus", "unknown type 'bogus'"),
    ("filters", "target x", "expected a target index"),
    ("goals_more", "user_input", "expected METRIC TARGET"),
    ("goals_more", "nosuch 10", "unknown metric 'nosuch'"),
])
def test_form_filter_and_goal_errors_point_at_their_field(field, value, needle):
    scheme, errors = SchemeForm().set(field, value).build()
    assert scheme is None and list(errors) == [field]
    assert needle in errors[field]


def test_editing_filters_and_goals_in_the_form_commits_or_is_refused():
    from damon_tui.tui.scenes import make_app

    async def go():
        app = make_app()
        async with app.run_test(size=(100, 40)) as pilot:
            app.step(5)
            await pilot.press("e")
            screen = app.screen
            assert screen.import_schemes("4K max 0 0 0 max stat")
            # an ops filter the simulated workload cannot evaluate: inline error, refused
            screen.query_one("#f-filters").value = "allow memcg /workload"
            await pilot.pause()
            err = str(screen.query_one("#e-filters").render())
            assert "cannot evaluate 'memcg' filters" in err
            ok, msg = screen.commit()
            assert not ok and app.session.monitor.schemes == ()
            # core filters and a second goal are fine
            screen.query_one("#f-filters").value = "allow addr 0x0-0x7fffffffffff; target 0"
            screen.query_one("#f-goal_metric").value = "user_input"
            screen.query_one("#f-goal_target").value = "100"
            screen.query_one("#f-goals_more").value = "node_mem_free_bp 9000"
            await pilot.pause()
            assert screen.errors() == {}
            ok, msg = screen.commit()
            assert ok, msg
            running = app.session.monitor.schemes[0]
            assert [f.filter_type for f in running.filters] == ["addr", "target"]
            assert [g.metric for g in running.quota.goals] == ["user_input", "node_mem_free_bp"]
            # removing them again (empty fields) commits a scheme without them
            screen.query_one("#f-filters").value = ""
            screen.query_one("#f-goals_more").value = ""
            await pilot.pause()
            ok, _ = screen.commit()
            running = app.session.monitor.schemes[0]
            assert ok and running.filters == () and len(running.quota.goals) == 1
    asyncio.run(go())
