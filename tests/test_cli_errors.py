"""Bad command-line input: one ``error:`` line naming the file / option / field, exit 2.

Each row of ``CASES`` is a regression test for a case that used to print a traceback,
hang, or give an unclear message.  ``{tmp}`` is replaced by the test's tmp_path and
``{rec}`` by a small damon-tui record made there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from damon_tui.cli import main
from damon_tui.engine import Attrs, Monitor

FILES = {
    "huge.cfg": "a, 99999999999999999999999\n\nphase\n1000\na, 0, 4096, 1\n",
    "binary": b"\xff\xfe\x00\xa6garbage\x00\x01",
    "profiles/bin.json": b"\xff\xfe\x00\xa6garbage",
    "profiles/nopreset.json": '{"preset": "nope", "params": {}}\n',
    "profiles/badparam.json": '{"preset": "reclaim", "params": {"frob": "1"}}\n',
    "a_file": "x\n",
}

CASES = [
    # (argv, substrings the error line must contain)
    (["workload", "{tmp}/huge.cfg", "--time-scale", "0.01"],
     ["huge.cfg", "region a", "cannot map"]),
    (["workload", "zigzag", "--time-scale", "nan"], ["--time-scale", "positive"]),
    (["workload", "zigzag", "--time-scale", "inf"], ["--time-scale", "positive"]),
    (["workload", "zigzag", "--time-scale", "1e300"], ["--time-scale", "longer"]),
    (["monitor", "--duration", "1s", "--schemes", "{tmp}/binary"], ["binary", "binary data"]),
    (["monitor", "--duration", "1s", "--schemes", "{tmp}"], ["--schemes", "is a directory"]),
    (["preset", "show", "--profile", "bin", "--profiles-dir", "{tmp}/profiles"],
     ["bin.json", "binary data"]),
    (["preset", "show", "--profile", "nopreset", "--profiles-dir", "{tmp}/profiles"],
     ["nopreset.json", "unknown preset 'nope'"]),
    (["preset", "show", "--profile", "badparam", "--profiles-dir", "{tmp}/profiles"],
     ["badparam.json", "unknown parameter 'frob'"]),
    (["preset", "save", "p", "reclaim", "--profiles-dir", "{tmp}/a_file"],
     ["a_file", "not a directory"]),
    (["record", "--sim", "zigzag", "--duration", "1s", "-o", "{tmp}/missing/x.rec"],
     ["missing/x.rec", "does not exist"]),
    (["record", "--sim", "zigzag", "--duration", "1s", "--format", "damo-json",
      "-o", "{tmp}/missing/x.json"], ["missing/x.json", "does not exist"]),
    (["record", "--sim", "zigzag", "--duration", "1s", "-o", "{tmp}"],
     ["cannot write", "Is a directory"]),
    (["record", "--sim", "zigzag", "--duration", "1s", "-o", "/dev/full"],
     ["/dev/full", "cannot write"]),
    (["record", "--sim", "zigzag", "--duration", "1s", "--format", "damo-json",
      "-o", "/dev/full"], ["/dev/full", "cannot write"]),
    (["convert", "{rec}", "-o", "/dev/full"], ["/dev/full", "cannot write"]),
    (["convert", "{rec}", "-o", "/dev/full", "--format", "damo-json"],
     ["/dev/full", "cannot write"]),
    # an unquoted "5 ms" made argparse's REMAINDER launch a command named "ms"
    (["monitor", "--duration", "1s", "--sample", "5", "ms"], ["unexpected argument 'ms'"]),
    (["monitor", "--duration", "1s", "--hottest", "-1"], ["--hottest"]),
    (["monitor", "--sample", "0"], ["--sample (sample_us)", "positive"]),
    (["monitor", "--aggr", "1ms"], ["--aggr (aggr_us)"]),
    (["monitor", "--min-nr-regions", "2"], ["--min-nr-regions (min_nr_regions)"]),
    (["monitor", "--min-nr-regions", "10", "--max-nr-regions", "5"],
     ["--max-nr-regions (max_nr_regions)"]),
    (["monitor", "--sim", "zigzag", "--pid", "{pid}", "--duration", "1s"],
     ["only one target", "--sim"]),
    (["record", "--sim", "zigzag", "-o", "{tmp}/x.rec", "--", "true"],
     ["only one target", "--sim"]),
    (["report", "wss", "{rec}", "--range", "0", "1000", "50"], ["--range", "between 0 and 100"]),
    (["report", "wss", "{rec}", "--range", "5", "1", "1"], ["--range", "no percentile"]),
    (["report", "wss", "{rec}", "--exclude-samples", "-1"], ["--exclude-samples"]),
    (["report", "wss", "{rec}", "--nr-cols-bar", "-1"], ["--nr-cols-bar"]),
    (["report", "heatmap", "{rec}", "--resol", "100000", "100000"], ["--resol", "cells"]),
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli-errors")
    for name, content in FILES.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    assert main(["record", "--sim", "zigzag", "--duration", "3s", "-o",
                 str(tmp / "small.rec")]) == 0
    return tmp


def _error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_gives_one_error_line_and_exit_2(argv, expected, workdir, capsys):
    if "/dev/full" in argv and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this machine")
    subst = {"{tmp}": str(workdir), "{rec}": str(workdir / "small.rec"),
             "{pid}": str(os.getpid())}
    args = []
    for a in argv:
        for key, value in subst.items():
            a = a.replace(key, value)
        args.append(a)
    assert main(args) == 2
    line = _error_line(capsys.readouterr().err)
    for text in expected:
        assert text in line
    assert not [p for p in os.listdir(workdir) if p.startswith(".damon-tui-")]


def test_refused_options_do_not_leave_a_launched_command_running(capsys):
    marker = "31.4159"
    argv = ["monitor", "--schemes", "4K max 0 0 5s max frobnicate", "--", "sleep", marker]
    assert main(argv) == 2
    assert "frobnicate" in _error_line(capsys.readouterr().err)
    time.sleep(0.2)
    left = [p for p in psutil.process_iter(["cmdline"])
            if p.info["cmdline"] == ["sleep", marker]]
    assert not left


def test_record_refuses_a_missing_output_directory_before_launching(tmp_path, capsys):
    marker = "27.1828"
    argv = ["record", "-o", str(tmp_path / "no" / "x.rec"), "--", "sleep", marker]
    assert main(argv) == 2
    assert "does not exist" in _error_line(capsys.readouterr().err)
    assert not [p for p in psutil.process_iter(["cmdline"])
                if p.info["cmdline"] == ["sleep", marker]]


def test_monitoring_ends_when_the_target_exits_before_its_first_regions():
    """A child gone before the first update had no region, so no sample noticed its exit."""
    from damon_tui.ops.vaddr import VaddrOps

    child = subprocess.Popen(["sleep", "30"])
    try:
        ops = VaddrOps([child.pid], access_check="clear-refs", child=child)
        child.kill()
        child.wait()
        monitor = Monitor(ops, Attrs(sample_us=10_000, aggr_us=50_000, update_us=100_000))
        snaps = list(monitor.run(duration_us=5_000_000))
        ops.close()
    finally:
        if child.poll() is None:
            child.kill()
    assert monitor.now_us < 2_000_000  # not the whole 5 s duration
    assert all(len(t) == 0 for s in snaps for t in s.targets)


def test_a_command_that_exits_at_once_ends_monitoring():
    """``monitor -- false`` used to sample an empty zombie forever."""
    proc = subprocess.run([sys.executable, "-m", "damon_tui", "monitor", "--", "false"],
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:  # it exited before monitoring could start
        assert "'false' exited (status 1) before monitoring" in proc.stderr
    else:
        assert proc.returncode == 0


def test_wss_says_when_every_snapshot_was_excluded(workdir, capsys):
    assert main(["report", "wss", str(workdir / "small.rec"), "--exclude-samples", "30"]) == 0
    captured = capsys.readouterr()
    assert "# no snapshot" in captured.out
    assert "every snapshot (30) was left out by --exclude-samples 30" in captured.err
    assert main(["report", "wss", str(workdir / "small.rec"), "--exclude-samples", "29"]) == 0
    assert "left out" not in capsys.readouterr().err


def test_monitor_summary_counts_time_paused_by_watermarks(capsys):
    argv = ["monitor", "--sim", "stairs", "--preset", "reclaim", "--param", "min_age=5s",
            "--duration", "20s"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "paused by watermarks" in out
    summary = [line for line in out.splitlines() if "aggregation intervals" in line]
    assert summary and summary[0].endswith(("20 s monitored", "20.100 s monitored"))


@pytest.mark.parametrize("argv", [["monitor", "--duration", "70s"], ["workloads"]])
def test_output_into_a_closed_pipe_is_not_a_traceback(argv):
    cmd = f"{sys.executable} -m damon_tui {' '.join(argv)} | head -1"
    proc = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
