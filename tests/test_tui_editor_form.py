"""Pilot tests of the schemes editor's form: the first Tab lands on a field, the focused
field stands out, errors show under their own field, the running count includes the
presets' schemes."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("textual")

from textual.widgets import Input, Label  # noqa: E402

from damon_tui.tui.scenes import make_app  # noqa: E402
from damon_tui.tui.schemes_screen import SchemesScreen  # noqa: E402


def run(coro):
    return asyncio.run(coro)


def test_first_tab_lands_on_a_field_and_the_focused_row_stands_out():
    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("e", "ctrl+n")
            await pilot.pause()
            await pilot.press("tab")
            await pilot.pause()
            assert isinstance(app.focused, Input) and app.focused.id == "f-min_sz"
            screen = app.screen
            focused_row = app.focused.parent
            other_row = screen.query_one("#f-max_sz").parent
            assert focused_row.styles.background != other_row.styles.background
            name = focused_row.query_one(Label)
            assert name.styles.text_style.bold
    run(go())


def test_an_error_shows_under_the_field_it_concerns():
    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("e", "ctrl+n")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SchemesScreen)
            screen.query_one("#f-max_age", Input).value = "soon"
            await pilot.pause()
            shown = [w.id for w in screen.query(".err") if w.display]
            assert shown == ["e-max_age"]
            assert "got 'soon'" in str(screen.query_one("#e-max_age", Label).render())
    run(go())


def test_running_count_includes_the_presets_schemes():
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            app.step(3)
            for key in ("p", "tab", "y", "escape", "e"):
                await pilot.press(key)
                await pilot.pause()
            screen = app.screen
            assert screen.import_schemes("4K max 0 0 10s max stat")
            await pilot.press("ctrl+s")
            await pilot.pause()
            screen._set_status(screen._running_text())
            status = str(screen.query_one("#status").render())
            assert "1 pending · running 3: 1 yours + 2 DAMON_LRU_SORT" in status
    run(go())
