"""Infinite, huge and overlong numbers typed anywhere are refused with the field named."""

from __future__ import annotations

import asyncio

import pytest

from damon_tui.damos.io import parse_one_line
from damon_tui.damos.presets import get_preset, parse_params
from damon_tui.engine import Attrs
from damon_tui.errors import UserError
from damon_tui.tui.scheme_form import SchemeForm
from damon_tui.units import ULONG_MAX, UnitError, parse_number, parse_size, parse_time_us

HOSTILE = ["inf", "-inf", "nan", "1e400", "9" * 5000, "99999999999999999999999", "-1"]
#: fields of the scheme editor that take numbers (times, sizes, counts, permils)
NUMERIC_FIELDS = [n for n in SchemeForm().names()
                  if n not in ("action", "goal_metric", "wm_metric", "goals_more", "filters")]


@pytest.mark.parametrize("value", HOSTILE)
def test_every_numeric_scheme_form_field_refuses_hostile_numbers_inline(value):
    for name in NUMERIC_FIELDS:
        form = SchemeForm().set(name, value)
        if name.startswith("wm_") and name != "wm_metric":
            form = form.set("wm_metric", "free_mem_rate")
        if name.startswith("goal_"):
            form = form.set("goal_metric", "user_input")
        scheme, errors = form.build()  # never raises
        if value in ("-1",) and name in ("max_acc", "max_age"):
            assert errors, (name, value)
            continue
        assert scheme is None and errors, (name, value[:20])


def test_units_refuse_beyond_unsigned_long_exactly():
    assert parse_time_us(str(ULONG_MAX)) == ULONG_MAX  # no float rounding at 2**64
    with pytest.raises(UnitError, match="--duration: out of range"):
        parse_time_us("99999999999999999999999999h", "--duration")
    with pytest.raises(UnitError, match="x: number out of range"):
        parse_size("9" * 5000, "x")
    for text in ("inf", "nan", "1e400"):
        with pytest.raises(UnitError, match="finite"):
            parse_number(text, "f")
    assert len(str(pytest.raises(UnitError, parse_number, "9" * 5000, "f").value)) < 120


def test_one_line_schemes_refuse_huge_and_negative_fields():
    with pytest.raises(UserError, match="quota_sz: number out of range"):
        parse_one_line("4K max 0 0 10s max pageout 0 " + "9" * 5000 + " 1s")
    with pytest.raises(UserError, match="weight_sz: expected a finite number"):
        parse_one_line("4K max 0 0 10s max pageout 0 0 1s inf 1 1")
    from damon_tui.damos.io import scheme_from_dict

    with pytest.raises(UserError, match="sz_bytes: must not be negative"):
        scheme_from_dict({"action": "stat",
                          "access_pattern": {"sz_bytes": {"min": -4096, "max": "max"}}})


def test_preset_parameters_beyond_unsigned_long_are_refused():
    preset = get_preset("reclaim")
    for value in (str(ULONG_MAX + 1), "99999999999999999999999"):
        with pytest.raises(UserError, match="quota_sz: out of range"):
            parse_params(preset, [f"quota_sz={value}"])


def test_attrs_refuse_values_beyond_unsigned_long():
    with pytest.raises(ValueError, match="max_nr_regions: out of range"):
        Attrs(max_nr_regions=ULONG_MAX + 1)


def test_tui_keeps_running_after_hostile_numbers_in_the_scheme_editor():
    from damon_tui.tui.scenes import make_app
    from damon_tui.tui.schemes_screen import SchemesScreen

    async def go():
        app = make_app()
        async with app.run_test(size=(100, 40)) as pilot:
            app.step(5)
            await pilot.press("e")
            screen = app.screen
            assert isinstance(screen, SchemesScreen)
            await pilot.press("ctrl+n")
            for name, value in (("quota_sz", "9" * 5000), ("weight_sz", "inf"),
                                ("min_age", "1e400"), ("wm_interval", "inf")):
                screen.query_one(f"#f-{name}").value = value
                await pilot.pause()
                assert name in screen.errors()
                await pilot.press("ctrl+s")
                await pilot.pause()
                assert app.is_running and app.session.schemes == []
                screen.query_one(f"#f-{name}").value = SchemeForm().__dict__[name]
            await pilot.pause()
            assert screen.errors() == {}
    asyncio.run(go())
