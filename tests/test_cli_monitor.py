"""The ``monitor`` command end to end on the simulated workloads."""

import re

from damon_tui.cli import main
from damon_tui.report.wss import percentiles

MIB = 1 << 20


def _summary(out: str) -> dict[str, float]:
    values = {}
    for key, number, unit in re.findall(r"^#\s+(\d+|avr)\s+([\d.]+) (MiB|KiB|GiB|B)$", out, re.M):
        values[key] = float(number) * {"B": 1, "KiB": 1 << 10, "MiB": MIB, "GiB": 1 << 30}[unit]
    return values


def test_monitor_zigzag_prints_one_region_median_and_both_as_maximum(capsys):
    assert main(["monitor", "--sim", "zigzag", "--duration", "70s", "--every", "10s"]) == 0
    out = capsys.readouterr().out
    summary = _summary(out)
    assert abs(summary["50"] - 100e6) < 0.1 * 100e6
    assert abs(summary["100"] - 200e6) < 0.1 * 200e6
    assert "per page resolution" in out
    # one line per 10 s of monitored time plus headers and summary
    assert len([line for line in out.splitlines() if not line.startswith("#")]) == 7


def test_monitor_stairs_median_is_one_ten_megabyte_region(capsys):
    assert main(["monitor", "--sim", "stairs", "--duration", "60s", "--every", "0"]) == 0
    summary = _summary(capsys.readouterr().out)
    assert abs(summary["50"] - 10e6) < 0.15 * 10e6


def test_monitor_is_deterministic_for_a_seed(capsys):
    args = ["monitor", "--sim", "hotset", "--duration", "5s", "--seed", "7", "--every", "0"]
    main(args)
    first = capsys.readouterr().out
    main(args)
    assert capsys.readouterr().out == first


def test_monitor_bad_attrs_exit_2_with_field_name(capsys):
    assert main(["monitor", "--sim", "zigzag", "--min-nr-regions", "2"]) == 2
    err = capsys.readouterr().err
    assert "min_nr_regions" in err and "Traceback" not in err


def test_monitor_bad_unit_exit_2(capsys):
    assert main(["monitor", "--sim", "zigzag", "--aggr", "100 parsecs"]) == 2
    assert "--aggr" in capsys.readouterr().err


def test_monitor_unknown_workload_lists_builtins(capsys):
    assert main(["monitor", "--sim", "nosuchload"]) == 2
    assert "zigzag" in capsys.readouterr().err


def test_wss_percentiles_use_damos_index_rule():
    values = list(range(10))
    assert percentiles(values, (0, 25, 50, 100)) == [(0, 0), (25, 2), (50, 5), (100, 9)]
