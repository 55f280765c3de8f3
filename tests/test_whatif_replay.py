"""whatif: a record replayed as a workload, DAMOS on it, sweeps and the CLI."""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET

import pytest

from damon_tui.cli import main
from damon_tui.damos.io import load_schemes
from damon_tui.engine import Attrs, Monitor
from damon_tui.errors import UserError
from damon_tui.ops.recorded import RecordedOps
from damon_tui.options.whatif import parse_sweep, sweep_configs
from damon_tui.record import write_record
from damon_tui.record.model import Intervals, Record, TargetData
from damon_tui.whatif import WhatifConfig, record_attrs, run_whatif

MIB = 1 << 20
HOT = (0x10000000, 0x10000000 + 4 * MIB)
COLD = (0x20000000, 0x20000000 + 8 * MIB)


def synthetic(n: int = 100, warm: int = 1) -> Record:
    """HOT touched every sample throughout; COLD touched every sample for ``warm``
    snapshots, never after (100 ms aggregation, 20 samples)."""
    t = TargetData(0, "synthetic", Intervals(5000, 100_000))
    for k in range(n):
        cold_nr = 20 if k < warm else 0
        t.append(k * 100_000_000, (k + 1) * 100_000_000,
                 [(*HOT, 20, k), (*COLD, cold_nr, 0 if k < warm else k - warm)])
    return Record("synthetic.rec", "damon-tui", {}, [t])


def test_engine_sees_the_recorded_frequencies():
    rec = synthetic(20, warm=20)
    ops = RecordedOps(rec)
    snaps = list(Monitor(ops, Attrs(min_nr_regions=3), seed=1).run(2_000_000))
    last = snaps[-1].targets[0]
    for s, e, nr, _ in last:
        assert nr == 20, (hex(s), hex(e), nr)  # q = 1 everywhere: every sample hits
    rec = synthetic(20, warm=0)
    snaps = list(Monitor(RecordedOps(rec), Attrs(min_nr_regions=3), seed=1).run(2_000_000))
    cold = [nr for s, e, nr, _ in snaps[-1].targets[0] if s >= COLD[0]]
    assert cold and all(nr == 0 for nr in cold)


def test_pageout_of_memory_gone_cold_saves_it_without_refaults():
    rec = synthetic(100, warm=1)
    cfg = WhatifConfig("x", "", load_schemes("4K max 0 0 1s max pageout"), record_attrs(rec))
    base, (row,) = run_whatif(rec, [cfg])
    assert base.peak_rss == 12 * MIB
    assert row.paged_out >= 8 * MIB - 64 * 4096
    assert row.refaults == 0
    # cold memory resident ~1 s (age) of the 10 s then paged out: ~7 MiB saved on average
    assert 6 * MIB < row.saved_avg < 8 * MIB
    assert row.saved_peak >= 7 * MIB


def test_pageout_of_hot_memory_costs_refaults_and_slowdown():
    rec = synthetic(50, warm=50)
    cfg = WhatifConfig("x", "", load_schemes("4K max 0 max 0 max pageout"), record_attrs(rec))
    _, (row,) = run_whatif(rec, [cfg])
    assert row.refaults > 1000
    assert row.slowdown == pytest.approx(row.refaults * 50 / 5_000_000)
    assert row.damos_ms_per_s > 0


def _ns(**kw) -> argparse.Namespace:
    base = {"preset": None, "profile": None, "param": [], "profiles_dir": None,
            "schemes": None, "sweep": None}
    base.update(kw)
    return argparse.Namespace(**base)


def test_sweep_gives_one_validated_config_per_value():
    attrs = Attrs()
    cfgs = sweep_configs(_ns(preset="reclaim", sweep="min_age=1s,30s"), attrs)
    assert [c.label for c in cfgs] == ["min_age=1s", "min_age=30s"]
    ages = [c.schemes[0].access_pattern.min_age.value for c in cfgs]
    assert ages == [10, 300]  # in aggregation intervals of 100 ms
    cfgs = sweep_configs(_ns(schemes="4K max 0 0 {age} max pageout", sweep="age=1s,2s"),
                         attrs)
    assert len(cfgs) == 2 and cfgs[0].schemes != cfgs[1].schemes


@pytest.mark.parametrize("kw", [
    {"preset": "reclaim", "sweep": "min_age=1s,never"},
    {"preset": "reclaim", "sweep": "nosuch=1"},
    {"preset": "reclaim", "sweep": "min_age="},
    {"schemes": "4K max 0 0 1s max pageout", "sweep": "age=1s"},
    {"sweep": "min_age=1s"},
])
def test_bad_sweeps_are_refused(kw):
    with pytest.raises(UserError):
        sweep_configs(_ns(**kw), Attrs())


def test_parse_sweep_splits_name_and_values():
    assert parse_sweep("min_age=30s, 2m") == ("min_age", ["30s", "2m"])


def test_cli_prints_one_row_per_value_and_draws_the_curve(tmp_path, capsys):
    path = tmp_path / "syn.rec"
    write_record(str(path), synthetic(60, warm=1))
    svg = tmp_path / "curve.svg"
    rc = main(["whatif", str(path), "--preset", "reclaim", "--sweep",
               "min_age=1s,3s", "-o", str(svg)])
    out = capsys.readouterr().out
    assert rc == 0
    rows = [ln for ln in out.splitlines() if ln.strip().startswith("min_age=")]
    assert len(rows) == 2
    assert "uniform inside a region" in out
    root = ET.parse(svg).getroot()
    circles = root.findall(".//{http://www.w3.org/2000/svg}circle")
    assert len(circles) == 2


def test_cli_bad_value_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "syn.rec"
    write_record(str(path), synthetic(5))
    rc = main(["whatif", str(path), "--preset", "reclaim", "--sweep", "min_age=1s,x"])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "min_age=x" in err


def test_a_scheme_that_never_acts_saves_exactly_nothing():
    """Watermark checks cut the replay's windows differently from the baseline's; the
    page draws must not depend on the cuts."""
    t = TargetData(0, "partial", Intervals(5000, 100_000))
    for k in range(100):  # 103 ms snapshots, as real records have: cuts fall inside them
        t.append(k * 103_000_000, (k + 1) * 103_000_000,
                 [(*HOT, k % 2, 0), (*COLD, k % 3 // 2, 0)])
    rec = Record("partial.rec", "damon-tui", {}, [t])
    ns = _ns(preset="reclaim", param=["min_age=1000s", "wmarks_interval=130ms"])
    base, (row,) = run_whatif(rec, sweep_configs(ns, record_attrs(rec)))
    assert row.paged_out == 0
    assert row.saved_avg == 0 and row.saved_peak == 0
    assert row.avg_rss == base.avg_rss


def test_lru_sort_kept_off_by_its_watermarks_says_so_and_what_memory_turns_it_on(
        tmp_path, capsys):
    """DAMON_LRU_SORT's schemes run only while free memory is between its low and mid
    watermarks (50-150 permil): at the default modelled memory (1.5 x the RSS: 333
    permil free) the table was all zeros with nothing saying why.  The row now says the
    watermarks kept the schemes off, and the --mem-total it suggests turns them on."""
    path = tmp_path / "syn.rec"
    write_record(str(path), synthetic(100, warm=30))
    assert main(["whatif", str(path), "--preset", "lru_sort"]) == 0
    out = capsys.readouterr().out
    note = [ln for ln in out.splitlines() if "kept every scheme off" in ln]
    assert len(note) == 1 and "333 permil" in note[0]
    assert "on below 150 permil free and off below 50" in note[0]
    row = [ln for ln in out.splitlines() if ln.strip().startswith("as given")][0]
    assert row.split()[-1] == "0.0%"  # wmarks on
    mem_total = note[0].split("--mem-total ")[1].split()[0]
    assert main(["whatif", str(path), "--preset", "lru_sort", "--mem-total", mem_total]) == 0
    out = capsys.readouterr().out
    assert "kept every scheme off" not in out
    row = [ln for ln in out.splitlines() if ln.strip().startswith("as given")][0]
    # on from the first watermark check after the replay's memory became resident
    assert float(row.split()[-1].rstrip("%")) >= 50
    assert "0 B/s" not in row  # the schemes sorted something


def test_whatif_rows_give_bytes_applied_per_second_and_time_with_schemes_on():
    rec = synthetic(100, warm=1)
    cfg = WhatifConfig("x", "", load_schemes("4K max 0 0 1s max pageout"), record_attrs(rec))
    _, (row,) = run_whatif(rec, [cfg])
    assert row.sz_applied >= 8 * MIB - 64 * 4096
    assert row.applied_per_s == pytest.approx(row.sz_applied / 10.0)
    assert row.wmarks_off_us == 0 and not row.always_off and row.wmarks_band is None
