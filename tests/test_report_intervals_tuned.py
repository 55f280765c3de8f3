"""Records whose monitoring intervals change mid-run (intervals auto-tuning): every
report uses each snapshot's own sampling and aggregation intervals."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import zlib
from array import array
from pathlib import Path

import pytest
from support import damo_exe

from damon_tui.cli import main
from damon_tui.record import RecordWriter, make_header, open_record
from damon_tui.record.damo import write_damo
from damon_tui.report import heatmap as hm
from damon_tui.report.info import report_info
from damon_tui.report.intervals import changes, snapshot_aggr_us

MS = 1_000_000  # ns
A0, A1 = 0x1000, 0x2000


def _write(path, frames, attrs=None, goal=None):
    """frames: (start_ns, end_ns, sample_us, aggr_us, [(start, end, nr, age), ...])."""
    attrs = dict(attrs or {"sample_us": 5000, "aggr_us": 100_000, "update_us": 1_000_000})
    if goal:
        attrs["intervals_goal"] = goal
    header = make_header(ops="sim", targets=[{"target_id": 0, "description": "t"}],
                         attrs=attrs)
    with RecordWriter(path, header) as w:
        for st, en, sample, aggr, regions in frames:
            cols = list(zip(*regions, strict=True))
            w.write_frame(st, en, sample, aggr,
                          [(0, array("Q", cols[0]), array("Q", cols[1]),
                            array("I", cols[2]), array("I", cols[3]))])
    return path


def _two_segments(path, goal=None):
    """5 ms / 100 ms for one snapshot, then 10 ms / 200 ms; monitoring pauses between
    300 and 600 ms (so the last snapshot's age back-fill is visible)."""
    return _write(path, [
        (0, 100 * MS, 5000, 100_000, [(A0, A1, 10, 0)]),      # 10 / 0.1 s = 100 Hz
        (100 * MS, 300 * MS, 10_000, 200_000, [(A0, A1, 10, 0)]),  # 10 / 0.2 s = 50 Hz
        (600 * MS, 800 * MS, 10_000, 200_000, [(A0, A1, 20, 1)]),  # 100 Hz, age 1 x 200 ms
    ], goal=goal)


def _raw_heats(text: str) -> list[float]:
    return [float(line.split("\t")[2]) for line in text.splitlines()]


def test_heatmap_hz_and_age_back_fill_use_each_snapshots_intervals(tmp_path, capsys):
    rec = _two_segments(tmp_path / "two.rec")
    assert main(["report", "heatmap", str(rec), "--resol", "8", "1", "--output", "raw"]) == 0
    heats = _raw_heats(capsys.readouterr().out)
    # rows of 100 ms from 0: snapshot 0 at 100 Hz; snapshot 1 at 50 Hz for two rows;
    # 300-400 ms: paused (0: damo's inclusive end row of snapshot 1 adds 0 x time);
    # snapshot 2 back-filled by 1 x 200 ms from 600 ms to 400 ms, at 20 / 0.2 s =
    # 100 Hz.  With the header's 100 ms the rows would read 100, 100, 100, 0, -, 200,
    # 200, 200.
    expected = [100.0, 50.0, 50.0, 0.0, 100.0, 100.0, 100.0, 100.0]
    assert len(heats) == 8
    for got, want in zip(heats, expected, strict=True):
        if math.isnan(want):
            assert math.isnan(got)
        else:
            assert got == pytest.approx(want, rel=1e-12)


def test_heatmap_pixel_spanning_two_interval_segments_is_their_weighted_mean(tmp_path):
    rec = open_record(_two_segments(tmp_path / "two.rec"))
    m = hm.build(rec.targets[0], (0, 300 * MS), (A0, A1), (2, 1), rec)
    assert m.heat_unit == "hz"
    # [0, 150 ms): 100 Hz for 100 ms and 50 Hz for 50 ms
    assert m.heat(0, 0) == pytest.approx((100 * 100 + 50 * 50) / 150, rel=1e-12)
    assert m.heat(1, 0) == pytest.approx(50.0, rel=1e-12)


def test_guide_start_back_fills_the_first_snapshot_with_its_own_aggr(tmp_path):
    # the header says 100 ms, but the first frame ran with 50 ms (attrs set online)
    path = _write(tmp_path / "g.rec", [
        (1000 * MS, 1050 * MS, 2500, 50_000, [(A0, A1, 1, 4)]),
        (1050 * MS, 1100 * MS, 2500, 50_000, [(A0, A1, 1, 5)]),
    ])
    rec = open_record(path)
    assert list(snapshot_aggr_us(rec, rec.targets[0])) == [50_000, 50_000]
    g = hm.make_guide(rec, 0)
    assert g.start_time == 1000 * MS - 4 * 50 * MS


def test_constant_intervals_take_the_unchanged_path(tmp_path):
    path = _write(tmp_path / "c.rec", [
        (0, 100 * MS, 5000, 100_000, [(A0, A1, 10, 0)]),
        (100 * MS, 200 * MS, 5000, 100_000, [(A0, A1, 5, 1)]),
    ])
    rec = open_record(path)
    assert changes(rec) == [] and snapshot_aggr_us(rec, rec.targets[0]) is None
    with_rec = hm.build(rec.targets[0], (0, 200 * MS), (A0, A1), (4, 2), rec)
    without = hm.build(rec.targets[0], (0, 200 * MS), (A0, A1), (4, 2))
    assert with_rec == without


def test_info_lists_the_interval_stretches_and_the_goal(tmp_path):
    goal = {"access_bp": 40, "aggrs": 3, "min_sample_us": 5000, "max_sample_us": 100_000}
    rec = open_record(_two_segments(tmp_path / "two.rec", goal=goal))
    text = report_info(rec)
    assert ("intervals goal: 40 bp (0.4%) of the possible access events, checked every 3 "
            "aggregations, sampling within 5 ms..100 ms") in text
    assert "intervals: changed 1 time (sampling 5 ms..10 ms); per stretch:" in text
    assert "  snapshots 0..0: sample_us 5000, aggr_us 100000, time [0 ns, 100 ms) (100 ms)" \
        in text
    assert "  snapshots 1..2: sample_us 10000, aggr_us 200000, time [100 ms, 800 ms) " \
        "(700 ms)" in text
    assert "intervals_goal" not in text.split("attrs: ", 1)[1].splitlines()[0]


def test_info_of_constant_record_has_no_interval_stretches(tmp_path):
    path = _write(tmp_path / "c.rec", [(0, 100 * MS, 5000, 100_000, [(A0, A1, 1, 0)])])
    assert "intervals:" not in report_info(open_record(path))


def test_raw_marks_where_intervals_change(tmp_path, capsys):
    assert main(["report", "raw", str(_two_segments(tmp_path / "two.rec"))]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "# intervals from snapshot 0: sample_us 5000 aggr_us 100000"
    assert lines[2].startswith("0 0 0 ")
    assert lines[3] == "# intervals from snapshot 1: sample_us 10000 aggr_us 200000"
    assert [ln for ln in lines if ln.startswith("# intervals")] == lines[1:2] + lines[3:4]
    const = _write(tmp_path / "c.rec", [(0, 100 * MS, 5000, 100_000, [(A0, A1, 1, 0)])])
    assert main(["report", "raw", str(const)]) == 0
    assert "# intervals" not in capsys.readouterr().out


def test_wss_ignores_intervals(tmp_path, capsys):
    """WSS counts bytes with nr_accesses >= acc_thres: no interval enters it."""
    assert main(["report", "wss", str(_two_segments(tmp_path / "two.rec")),
                 "--exclude-samples", "0", "--raw-number"]) == 0
    out = capsys.readouterr().out
    assert "# avr:\t4096" in out


def _damo_doc(path) -> list:
    return json.loads(zlib.decompress(Path(path).read_bytes()))


def test_damo_writer_keeps_per_snapshot_sampling_and_ages_with_a_goal(tmp_path):
    goal = {"access_bp": 40, "aggrs": 3, "min_sample_us": 5000, "max_sample_us": 100_000}
    rec = open_record(_two_segments(tmp_path / "two.rec", goal=goal))
    warned = []
    write_damo(str(tmp_path / "d.json"), rec, warn=warned.append)
    assert warned == []
    doc = _damo_doc(tmp_path / "d.json")
    iv = doc[0]["intervals"]
    assert (iv["sample_us"], iv["aggr_us"]) == (5000, 100_000)
    assert iv["intervals_goal"] == goal
    snaps = doc[0]["snapshots"]
    assert [s["sample_interval_us"] for s in snaps] == [5000, 10_000, 10_000]
    # age 1 of a 200 ms aggregation: 200 ms, = 2 of the record's 100 ms aggregations
    assert snaps[2]["regions"][0]["age"] == {"usec": 200_000, "aggr_intervals": 2}


def test_damo_writer_warns_once_when_damo_cannot_use_the_intervals(tmp_path, capsys):
    rec = open_record(_two_segments(tmp_path / "two.rec"))  # no goal in the header
    write_damo(str(tmp_path / "d.json"), rec)
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "damo's reports will compute Hz with the first intervals (sample 5000 us, " \
        "aggr 100000 us)" in err and "no intervals goal" in err
    snaps = _damo_doc(tmp_path / "d.json")[0]["snapshots"]
    assert [s["sample_interval_us"] for s in snaps] == [None, None, None]
    assert "intervals_goal" not in _damo_doc(tmp_path / "d.json")[0]["intervals"]


def test_damo_writer_output_unchanged_for_constant_intervals(tmp_path, capsys):
    path = _write(tmp_path / "c.rec", [
        (0, 100 * MS, 5000, 100_000, [(A0, A1, 10, 3)]),
        (100 * MS, 200 * MS, 5000, 100_000, [(A0, A1, 5, 4)]),
    ])
    write_damo(str(tmp_path / "d.json"), open_record(path))
    assert capsys.readouterr().err == ""
    doc = _damo_doc(tmp_path / "d.json")
    assert "intervals_goal" not in doc[0]["intervals"]
    assert doc[0]["snapshots"][1]["sample_interval_us"] is None
    assert doc[0]["snapshots"][1]["regions"][0]["age"] == {"usec": None, "aggr_intervals": 4}


# -- a real tuned run, checked against damo 3.4.3 itself ---------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*m")
GOAL_ARGS = ["--sim", "zigzag", "--access-rate", "1e4", "--intervals-goal", "40", "3",
             "5ms", "100ms", "--update", "1s", "--seed", "3"]


def _damo() -> str:
    return damo_exe()


def test_tuned_sim_record_heatmap_matches_damos_own_reading(tmp_path, capsys):
    rec_path, damo_path = tmp_path / "t.rec", tmp_path / "t.json"
    assert main(["record", *GOAL_ARGS, "--duration", "20s", "-o", str(rec_path)]) == 0
    rec = open_record(rec_path)
    assert rec.header["attrs"]["intervals_goal"] == {
        "access_bp": 40, "aggrs": 3, "min_sample_us": 5000, "max_sample_us": 100_000}
    ch = changes(rec)
    assert len(ch) > 2, "the goal should have retuned the intervals several times"
    assert all(aggr == 20 * sample for _, sample, aggr in ch)  # nr_samples kept
    write_damo(str(damo_path), rec)
    capsys.readouterr()
    assert main(["report", "heatmap", str(rec_path), "--resol", "60", "30",
                 "--output", "raw"]) == 0
    ours = capsys.readouterr().out.rstrip("\n")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    out = subprocess.run([_damo(), "report", "heatmap", "--input", str(damo_path),
                          "--resol", "60", "30", "--output", "raw"], capture_output=True,
                         text=True, cwd=tmp_path, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert ANSI.sub("", out.stdout).rstrip("\n") == ours
    # and the header-only reading differs: the per-snapshot intervals matter here
    t = rec.targets[0]
    rows, cols = 60, 30
    g = hm.make_guide(rec, 0)
    per_frame = hm.build(t, (g.start_time, g.end_time), g.hottest(), (rows, cols), rec)
    header_only = hm.build(t, (g.start_time, g.end_time), g.hottest(), (rows, cols))
    assert per_frame.pixels != header_only.pixels
