"""Size-by-idle-time and size-by-temperature histograms (damo's sz-hist styles)."""

from __future__ import annotations

from array import array

import pytest

from damon_tui.cli import main
from damon_tui.record import RecordWriter, make_header
from damon_tui.report.histograms import SzHistogram, distribution, hist_ranges

MiB = 1 << 20
# sample 5 ms, aggr 100 ms: 20 samples, 1 sample = 5 %
SNAP = dict(starts=[0, 1 * MiB, 3 * MiB, 7 * MiB], ends=[1 * MiB, 3 * MiB, 7 * MiB, 8 * MiB],
            nr_accesses=[20, 0, 0, 1], ages=[3, 9, 0, 50])


def test_idle_time_is_zero_when_accessed_else_age_plus_one_aggregation():
    d = distribution("recency", SNAP["starts"], SNAP["ends"], SNAP["nr_accesses"],
                     SNAP["ages"], 5000, 100_000)
    # accessed regions (1 and 20 samples) are idle 0 whatever their age
    assert d == {0: 2 * MiB, 1_000_000: 2 * MiB, 100_000: 4 * MiB}


def test_temperature_is_negative_for_idle_memory():
    d = distribution("temperature", SNAP["starts"], SNAP["ends"], SNAP["nr_accesses"],
                     SNAP["ages"], 5000, 100_000)
    assert d[100 * 100 + 300_000 * 100] == MiB       # hot: 100 %, age 0.3 s
    assert d[5 * 100 + 5_000_000 * 100] == MiB       # 5 %, 5 s old
    assert d[-(900_000 * 100)] == 2 * MiB            # idle 0.9 s
    assert d[0] == 4 * MiB                           # idle, age 0


def test_percent_below_one_counts_as_idle_like_damo():
    # 1 sample of 200 is 0.5 %: damo's int() percent is 0, so the region is idle
    d = distribution("recency", [0], [4096], [1], [2], 500, 100_000)
    assert d == {300_000: 4096}


def test_linear_bins_cover_min_to_max_in_ten_equal_ranges():
    assert hist_ranges(0, 99)[:2] == [(0, 10), (10, 20)]
    assert hist_ranges(0, 99)[-1] == (90, 100)
    assert hist_ranges(5, 5) == [(5 + i, 6 + i) for i in range(10)]
    assert hist_ranges(0, 99, cumulate=True)[3] == (0, 40)


def test_log_bins_double_until_the_maximum():
    r = hist_ranges(0, 10_240, logscale=True)
    assert r[:3] == [(0, 10), (10, 30), (30, 70)]
    assert r[-1][1] >= 10_240 and r[-2][1] < 10_240


def test_bins_sum_sizes_and_total_is_kept():
    h = SzHistogram("recency")
    h.add(**SNAP, sample_us=5000, aggr_us=100_000)
    bins = h.bins()
    assert len(bins) == 10 and sum(b.size for b in bins) == 8 * MiB == h.total_bytes
    # idle 0 and idle 100 ms share the first of ten 100.001 ms bins
    assert bins[0].size == 6 * MiB and bins[-1].size == 2 * MiB
    # each add replaces the previous snapshot's distribution
    h.add([0], [4096], [20], [0], 5000, 100_000)
    assert h.total_bytes == 4096 and h.nr_snapshots == 2


def test_render_is_damos_histogram_text():
    h = SzHistogram("recency")
    h.add(**SNAP, sample_us=5000, aggr_us=100_000)
    lines = h.render().splitlines()
    assert lines[0] == "<idle time (us)> <total size>"
    assert lines[1] == "[0 ns, 100.001 ms)       6.000 MiB |********************|"
    assert lines[-1] == "[900.009 ms, 1.000 s)    2.000 MiB |*******             |"


def test_empty_snapshot_says_so():
    h = SzHistogram("temperature")
    h.add([], [], [], [], 5000, 100_000)
    assert h.bins() == [] and h.render() == "no region in snapshot"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="histogram kind"):
        SzHistogram("hotness")


def _record(path, snaps=3):
    header = make_header(ops="test", targets=[{"target_id": 0, "description": "t"}],
                         attrs={"sample_us": 5000, "aggr_us": 100_000, "update_us": 10**6})
    with RecordWriter(path, header) as w:
        for i in range(snaps):
            w.write_frame(i * 10**8, (i + 1) * 10**8, 5000, 100_000, [
                (0, array("Q", SNAP["starts"]), array("Q", SNAP["ends"]),
                 array("I", SNAP["nr_accesses"]), array("I", [a + i for a in SNAP["ages"]]))])


def test_cli_prints_the_last_snapshot_by_default_and_every_one_with_all(tmp_path, capsys):
    rec = tmp_path / "r.rec"
    _record(rec)
    assert main(["report", "recency", str(rec)]) == 0
    out = capsys.readouterr().out
    assert out.count("<idle time (us)>") == 1 and "snapshot 2 of 3" in out
    assert "total size: 8.000 MiB" in out
    assert main(["report", "temperature", "--snapshot", "all", str(rec)]) == 0
    assert capsys.readouterr().out.count("<temperature> <total size>") == 3
    assert main(["report", "recency", "--snapshot", "-3", str(rec)]) == 0
    assert "snapshot 0 of 3" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--snapshot", "7"], "--snapshot 7: the target has 3 snapshots"),
    (["--snapshot", "first"], "--snapshot: expected an index"),
    (["--tid", "9"], "--tid 9: no such target"),
])
def test_cli_bad_choice_is_one_line_exit_2(tmp_path, capsys, args, message):
    rec = tmp_path / "r.rec"
    _record(rec)
    assert main(["report", "recency", *args, str(rec)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
