"""DAMOS in words: schemes as readable lines, and why a scheme is not acting."""

from __future__ import annotations

import pytest

from damon_tui.cli import main
from damon_tui.damos.describe import LiveState, describe, size_words, time_words, why_not
from damon_tui.damos.io import parse_one_line
from damon_tui.damos.presets import get_preset, parse_params, preset_config

PAGEOUT = parse_one_line("4K max 0 0 5s max pageout 10 128M 1000 0 1 1 none 0 0 0 0")
RECLAIM = preset_config(get_preset("reclaim"), parse_params(get_preset("reclaim"), [])).schemes[0]
MiB = 1 << 20


def test_pageout_scheme_reads_as_words():
    assert describe(PAGEOUT) == \
        "pageout: 4 KiB..max, 0 accesses, age >= 5 s; quota 10 ms / 128 MiB per 1 s"


def test_reclaim_preset_has_no_raw_uint_max_and_says_its_action_once():
    text = describe(RECLAIM, aggr_us=100_000)
    assert "4294967295" not in text and str(2**64 - 1) not in text
    assert text.count("pageout") == 1
    assert text.startswith("pageout: 4 KiB..max, 0 accesses, age >= 2 m; quota 10 ms")
    assert "watermarks free 200..500 permil (mid 400) every 5 s" in text
    # without intervals the age stays in aggregation intervals, said as such
    assert "age >= 1200 aggr intervals" in describe(RECLAIM)


@pytest.mark.parametrize("line, words", [
    ("min max min max min max stat", "stat: any region"),
    ("min max 80% max min max hugepage", "hugepage: >= 80% accessed"),
    ("min max 0 3 min 1s cold", "cold: <= 3 accesses, age <= 1 s"),
    ("2M 4M 5 10 100ms 2s willneed", "willneed: 2 MiB..4 MiB, 5..10 accesses, age 100 ms..2 s"),
])
def test_access_patterns_in_words(line, words):
    assert describe(parse_one_line(line)) == words


def test_units_read_well():
    assert size_words(4096) == "4 KiB" and size_words(1536 * 1024) == "1.5 MiB"
    assert time_words(3_100_000) == "3.1 s" and time_words(120_000_000) == "2 m"


REGIONS_YOUNG = [(0, 8 * MiB, 0, 31), (8 * MiB, 16 * MiB, 12, 50)]  # aggr 100 ms


def test_inactive_scheme_says_the_free_memory_and_the_watermark():
    live = LiveState(active=False, free_permil=733)
    assert why_not(RECLAIM, live, REGIONS_YOUNG, 5000, 100_000) == \
        "inactive: free 733 permil above high 500"
    assert why_not(RECLAIM, LiveState(active=False, free_permil=150), [], 5000, 100_000) == \
        "inactive: free 150 permil below low 200"


def test_full_quota_says_which_limit_binds():
    live = LiveState(quota_full=True, esz=128 * MiB, charged_sz=128 * MiB)
    assert why_not(PAGEOUT, live, REGIONS_YOUNG, 5000, 100_000).startswith(
        "quota full: size limit binds")
    live = LiveState(quota_full=True, esz=40 * MiB, charged_sz=40 * MiB)
    assert why_not(PAGEOUT, live, REGIONS_YOUNG, 5000, 100_000).startswith(
        "quota full: time limit binds")


def test_no_region_old_enough_names_the_oldest():
    assert why_not(PAGEOUT, LiveState(), REGIONS_YOUNG, 5000, 100_000) == \
        "no region old enough (oldest 3.1 s, needs 5 s)"


def test_matching_regions_mean_acting():
    regions = [*REGIONS_YOUNG, (16 * MiB, 20 * MiB, 0, 60)]
    assert why_not(PAGEOUT, LiveState(), regions, 5000, 100_000) == \
        "acting: 1 region, 4 MiB match"


def test_no_cold_region_says_the_coldest():
    hot = [(0, 8 * MiB, 4, 90)]
    assert why_not(PAGEOUT, LiveState(), hot, 5000, 100_000) == \
        "no region cold enough (coldest 4 accesses, needs <= 0)"


def test_report_info_lists_the_records_schemes_in_words(tmp_path, capsys):
    rec = tmp_path / "r.rec"
    assert main(["record", "--sim", "kvstore", "--duration", "1s", "--schemes",
                 "4K max 0 0 5s max pageout 10 128M 1000 0 1 1 none 0 0 0 0",
                 "-o", str(rec)]) == 0
    capsys.readouterr()
    assert main(["report", "info", str(rec)]) == 0
    out = capsys.readouterr().out
    assert "  #0 pageout: 4 KiB..max, 0 accesses, age >= 5 s; quota 10 ms / 128 MiB per 1 s" \
        in out.splitlines()
    assert "{" not in out  # no Python dict
