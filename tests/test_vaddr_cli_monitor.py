"""``damon-tui monitor`` on real targets: the access check's cheap default intervals,
monitoring until the target exits, the closing summary, and one-line refusals."""

import re
import subprocess
import sys
import time

import pytest

from damon_tui import cli
from damon_tui.units import parse_time_us

HEADER = re.compile(r"^# damon-tui monitor: (?P<target>.*) \(ops vaddr, clear_refs, per mapping "
                    r"resolution\), sample (?P<sample>[^,]+), aggr (?P<aggr>[^,]+), ", re.M)


def _intervals(out):
    m = HEADER.search(out)
    assert m, out
    return parse_time_us(m["sample"]), parse_time_us(m["aggr"]), m["target"]


def test_monitor_launched_workload_until_it_exits():
    py = [sys.executable, "-m", "damon_tui"]
    t0 = time.monotonic()
    proc = subprocess.run([*py, "monitor", "--", *py, "workload", "zigzag", "--time-scale",
                           "0.05"], capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    sample_us, aggr_us, target = _intervals(proc.stdout)
    assert "workload zigzag" in target or "damon_tui" in target
    # clear_refs defaults: at least 100 ms sampling, 20 samples per aggregation
    assert sample_us >= 100_000 and aggr_us == 20 * sample_us
    # no --duration: it ran until the 3.5 s workload exited (not the sim's 70 s)
    assert elapsed < 30
    assert "b turn 6:" in proc.stderr  # the workload ran to its end
    assert re.search(r"^# \d+ aggregation intervals, .* monitored$", proc.stdout, re.M)
    assert "# working-set size percentiles:" in proc.stdout


def test_monitor_pid_uses_cheap_intervals_and_ends_with_the_process(capsys):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2.6)"])
    try:
        assert cli.main(["monitor", "--pid", str(child.pid)]) == 0
    finally:
        child.kill()
        child.wait()
    out = capsys.readouterr().out
    sample_us, aggr_us, target = _intervals(out)
    assert f"pid {child.pid}" in target
    assert sample_us >= 100_000 and aggr_us == 20 * sample_us
    assert "aggregation intervals" in out or "no aggregation interval completed" in out


def test_monitor_explicit_intervals_win(capsys):
    """Only --aggr given: the cheap sampling interval fits under it; --sample is kept."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.2)"])
    try:
        assert cli.main(["monitor", "--aggr", "500ms", "--pid", str(child.pid)]) == 0
    finally:
        child.kill()
        child.wait()
    sample_us, aggr_us, _ = _intervals(capsys.readouterr().out)
    assert aggr_us == 500_000 and 100_000 <= sample_us <= 500_000


def test_launch_form_in_process_with_captured_stderr(capsys):
    """``monitor -- CMD`` works when sys.stderr has no file descriptor (e.g. capsys)."""
    rc = cli.main(["monitor", "--sample", "50ms", "--aggr", "250ms", "--",
                   sys.executable, "-c", "import time; time.sleep(0.8)"])
    out = capsys.readouterr().out
    assert rc == 0
    assert _intervals(out)[:2] == (50_000, 250_000)
    assert re.search(r"^# \d+ aggregation intervals", out, re.M)


def test_paddr_refused_with_the_doctor_line(capsys):
    from damon_tui import capabilities

    caps = capabilities.detect(our_pids=())
    if caps.get("ops:paddr").ok:
        pytest.skip("this machine can run paddr; the refusal is tested on fake roots")
    assert cli.main(["monitor", "--paddr"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("damon-tui monitor: error: paddr:")
    assert caps.line("ops:paddr") in err
