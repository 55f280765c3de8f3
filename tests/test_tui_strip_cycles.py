"""Textual strips drawn whole must not hold themselves (cyclic garbage: GC pauses)."""

from __future__ import annotations

import sys

from rich.segment import Segment
from textual.strip import Strip

from damon_tui.tui.strip_cycles import install


def test_a_strip_divided_at_its_end_does_not_reference_itself():
    install()
    install()  # idempotent: still one wrapper
    strip = Strip([Segment("ab"), Segment("cd")])
    before = sys.getrefcount(strip)
    assert strip.divide([4]) == [strip]
    assert strip.divide([2, 4, 9]) == strip.divide([2, 4])
    assert sys.getrefcount(strip) == before  # no cache entry holds [strip]


def test_divide_still_cuts_strips():
    install()
    parts = Strip([Segment("abc"), Segment("de")]).divide([1, 4, 5])
    assert [p.text for p in parts] == ["a", "bcd", "e"]
    assert [p.cell_length for p in parts] == [1, 3, 1]
