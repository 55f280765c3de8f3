import pytest

from damon_tui.units import (
    ULONG_MAX,
    UnitError,
    format_size,
    format_time_us,
    parse_percent,
    parse_size,
    parse_time_us,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4096", 4096),
        ("4K", 4096),
        ("4 KiB", 4096),
        ("1 GiB", 1 << 30),
        ("1,048,576", 1 << 20),
        ("1.5M", 3 << 19),
        ("min", 0),
        ("max", ULONG_MAX),
        ("128 MB", 128 << 20),
    ],
)
def test_parse_size_accepts_damon_and_damo_spellings(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5ms", 5000),
        ("100 ms", 100_000),
        ("60s", 60_000_000),
        ("1 m 5 s", 65_000_000),
        ("2h", 7_200_000_000),
        ("500ns", 0),
        ("1500us", 1500),
        ("min", 0),
        ("max", ULONG_MAX),
    ],
)
def test_parse_time_accepts_damon_and_damo_spellings(text, expected):
    assert parse_time_us(text) == expected


def test_bare_time_number_uses_the_default_unit():
    assert parse_time_us("7", default_unit="ms") == 7000
    assert parse_time_us("7") == 7


@pytest.mark.parametrize("text", ["4Q", "", "K", "4 K B", "-1"])
def test_bad_size_error_names_the_field(text):
    with pytest.raises(UnitError, match="^--min-size: expected a size"):
        parse_size(text, "--min-size")


@pytest.mark.parametrize("text", ["5 fortnights", "ms", "5ms junk!", ""])
def test_bad_time_error_names_the_field(text):
    with pytest.raises(UnitError, match="^--aggr: "):
        parse_time_us(text, "--aggr")


def test_percent_parsing():
    assert parse_percent("10%") == 10.0
    assert parse_percent(" 2.5 % ") == 2.5
    assert parse_percent("10") is None


def test_formatting_matches_damo_style():
    assert format_size(0) == "0 B"
    assert format_size(4096) == "4.000 KiB"
    assert format_size(100_000_000) == "95.367 MiB"
    assert format_time_us(5000) == "5 ms"
    assert format_time_us(1_500_000) == "1.500 s"
    assert format_time_us(65_000_000) == "1 m 5 s"
    assert format_time_us(60_074_800) == "1 m 0.075 s"
    assert format_time_us(120_000_000) == "2 m"
