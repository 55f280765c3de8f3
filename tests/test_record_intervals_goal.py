"""``record`` stores the intervals goal; ``monitor`` states it and the tuned intervals."""

from __future__ import annotations

import re

from damon_tui.cli import main
from damon_tui.record import open_record

GOAL_ARGS = ["--sim", "zigzag", "--access-rate", "1e4", "--intervals-goal", "40", "3",
             "5ms", "100ms", "--update", "1s"]


def test_record_header_holds_the_goal_only_when_set(tmp_path, capsys):
    tuned, plain = tmp_path / "t.rec", tmp_path / "p.rec"
    assert main(["record", *GOAL_ARGS, "--duration", "5s", "-o", str(tuned)]) == 0
    assert main(["record", "--sim", "zigzag", "--duration", "1s", "-o", str(plain)]) == 0
    capsys.readouterr()
    attrs = open_record(tuned).header["attrs"]
    assert attrs["sample_us"] == 5000 and attrs["aggr_us"] == 100_000  # the initial ones
    assert attrs["intervals_goal"] == {"access_bp": 40, "aggrs": 3, "min_sample_us": 5000,
                                       "max_sample_us": 100_000}
    assert "intervals_goal" not in open_record(plain).header["attrs"]


def test_monitor_banner_and_lines_follow_tuned_intervals(capsys):
    assert main(["monitor", *GOAL_ARGS, "--duration", "6s", "--every", "1s"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(", intervals goal 40 bp per 3 aggrs, sample 5 ms..100 ms")
    notes = [ln for ln in out if ln.startswith("# intervals now: ")]
    assert notes, "the goal retunes the intervals within 6 s"
    for ln in notes:
        m = re.fullmatch(r"# intervals now: sample (.+), aggr (.+) \((\d+) samples per "
                         r"aggregation\)", ln)
        assert m and m.group(3) == "20"  # tuning keeps the samples per aggregation
    # hottest-region counts stay out of nr_samples (20) after every change
    for ln in out:
        for nr, samples in re.findall(r" (\d+)/(\d+) age ", ln):
            assert samples == "20" and int(nr) <= 20


def test_monitor_banner_without_goal_is_unchanged(capsys):
    assert main(["monitor", "--sim", "zigzag", "--duration", "1s"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith("sample 5 ms, aggr 100 ms, regions 10..1000")
    assert "intervals now" not in first
