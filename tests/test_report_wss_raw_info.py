"""WSS percentiles, raw and info reports, and convert."""

from __future__ import annotations

from array import array

from damon_tui.cli import main
from damon_tui.record import RecordWriter, make_header, open_record
from damon_tui.record.model import Record, TargetData
from damon_tui.report.wss import format_dist, wss_dists


def _rec(values_per_snapshot, tid=0) -> TargetData:
    t = TargetData(tid, "t")
    for i, regs in enumerate(values_per_snapshot):
        t.append(i * 1000, (i + 1) * 1000, regs)
    return t


def test_wss_counts_regions_over_thresholds_and_drops_first_snapshots():
    snaps = [[(0, 100, 0, 0), (100, 300, 2, 0), (300, 310, 5, 0)]] * 3 + \
        [[(0, 100, 1, 0)]]
    rec = Record("m", "x", {}, [_rec(snaps)])
    assert wss_dists(rec, exclude_samples=0, sort=False) == {0: [210, 210, 210, 100]}
    assert wss_dists(rec, acc_thres=3, exclude_samples=0) == {0: [0, 10, 10, 10]}
    assert wss_dists(rec, sz_thres=50, exclude_samples=0) == {0: [100, 200, 200, 200]}
    assert wss_dists(rec, exclude_samples=2, sort=False) == {0: [210, 100]}


def test_targets_are_collapsed_by_index_of_their_sorted_lists():
    a = _rec([[(0, 10, 1, 0)], [(0, 30, 1, 0)]], tid=1)
    b = _rec([[(0, 5, 1, 0)], [(0, 1, 1, 0)]], tid=2)
    rec = Record("m", "x", {}, [a, b])
    assert wss_dists(rec, exclude_samples=0) == {0: [10 + 1, 30 + 5]}
    assert wss_dists(rec, exclude_samples=0, collapse=False) == {1: [10, 30], 2: [1, 5]}


def test_percentile_lines_and_bar_chart_match_damos_layout():
    text = format_dist([1 << 20, 2 << 20, 4 << 20, 8 << 20], range(0, 101, 50))
    assert text.splitlines() == [
        "# <percentile> <wss>",
        "# avr:\t3.750 MiB",
        "  0    1024.000 KiB |*******                                                    |",
        " 50       4.000 MiB |*****************************                              |",
        "100       8.000 MiB |***********************************************************|",
    ]
    assert format_dist([], [0]).endswith("# no snapshot")


def test_short_snapshots_are_aggregated_like_damo():
    t = TargetData(0, "t")
    t.append(0, 400, [(0, 100, 0, 0)])
    t.append(400, 800, [(0, 100, 3, 0)])
    t.append(800, 1200, [(50, 200, 1, 0)])
    t.append(1200, 1300, [(0, 10, 1, 0)])  # incomplete last group is dropped
    assert wss_dists(Record("m", "x", {}, [t]), exclude_samples=0) == {0: [200]}


def _write(path):
    header = make_header(ops="test", targets=[{"target_id": 3, "description": "demo"}],
                         attrs={"sample_us": 5000, "aggr_us": 100000})
    with RecordWriter(path, header) as w:
        for i in range(25):
            w.write_frame(i * 10**8, (i + 1) * 10**8, 5000, 100000,
                          [(0, array("Q", [4096, 8192]), array("Q", [8192, 65536]),
                            array("I", [i % 3, 20]), array("I", [0, i]))])


def test_cli_wss_raw_info(tmp_path, capsys):
    path = tmp_path / "r.rec"
    _write(path)
    assert main(["report", "wss", str(path), "--exclude-samples", "0", "--raw-number",
                 "--nr-cols-bar", "0", "--range", "0", "101", "50"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "# target_id\t0", "# <percentile> <wss>", "# avr:\t59965", "  0           57344",
        " 50           61440", "100           61440"]
    assert main(["report", "raw", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + 25 * 2
    assert lines[1] == "3 0 0 100000000 4096 8192 0 0"
    assert lines[-1] == "3 24 2400000000 2500000000 8192 65536 20 24"
    assert main(["report", "info", str(path)]) == 0
    out = capsys.readouterr().out
    for piece in ("format: damon-tui", "snapshots: 25", "regions: 50", "target 3: demo",
                  "time: [0 ns, 2.500 s) (2.500 s)", "per snapshot min 2, avg 2.0, max 2"):
        assert piece in out


def test_convert_round_trips_through_damo_json(tmp_path, capsys):
    path = tmp_path / "r.rec"
    _write(path)
    assert main(["convert", str(path), "-o", str(tmp_path / "d"), "--format", "damo-json"]) == 0
    assert main(["convert", str(tmp_path / "d"), "-o", str(tmp_path / "back.rec")]) == 0
    assert main(["convert", str(path), "-o", str(tmp_path / "p.json"),
                 "--format", "damo-json-plain"]) == 0
    a, b, c = (open_record(p) for p in (path, tmp_path / "back.rec", tmp_path / "p.json"))
    assert (b.format, c.format) == ("damon-tui", "damo-json")
    for other in (b, c):
        ta, tb = a.targets[0], other.targets[0]
        assert (ta.starts, ta.ends, ta.nr_accesses, ta.ages, ta.snap_start, ta.snap_end) == \
            (tb.starts, tb.ends, tb.nr_accesses, tb.ages, tb.snap_start, tb.snap_end)
        assert other.intervals == a.intervals and tb.target_id == 3
    assert main(["convert", str(path), "-o", str(path)]) == 2
    assert "overwrite the input" in capsys.readouterr().err


def test_record_command_writes_a_readable_record(tmp_path, capsys):
    path = tmp_path / "z.rec"
    assert main(["record", "--sim", "zigzag", "--duration", "3s", "-o", str(path)]) == 0
    err = capsys.readouterr().err
    assert "recorded 30 snapshots" in err and "bytes per region" in err
    rec = open_record(path)
    assert rec.nr_snapshots == 30 and rec.header["ops"] == "sim"
    assert rec.header["resolution"] in ("per page", "per mapping")
    assert rec.intervals.aggr_us == 100_000
    assert main(["record", "--sim", "zigzag", "--duration", "2s", "-o", str(tmp_path / "d"),
                 "--format", "damo-json"]) == 0
    assert open_record(tmp_path / "d").format == "damo-json-compressed"
