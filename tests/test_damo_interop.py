"""damo 3.4.3 itself reads the json_compressed we write and prints the same report
numbers as ours (damo and ``file`` are required under CI; see tests/support.py)."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from array import array
from pathlib import Path

import pytest
from support import damo_exe

from damon_tui.cli import main
from damon_tui.record import RecordWriter, make_header, open_record, write_damo

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _damo() -> str:
    return damo_exe()


def _run_damo(args: list[str], cwd) -> str:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    out = subprocess.run([_damo(), *args], capture_output=True, text=True, cwd=cwd, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr + out.stdout
    return ANSI.sub("", out.stdout).rstrip("\n")


def _ours(args: list[str], capsys) -> str:
    assert main(args) == 0
    return capsys.readouterr().out.rstrip("\n")


def _sim_record(path, seconds=40):
    engine = importlib.import_module("damon_tui.engine")
    sim = importlib.import_module("damon_tui.ops.sim")
    ops = sim.SimOps("kvstore", seed=5)
    header = make_header(ops=ops.kind, targets=[{"target_id": t.target_id,
                                                 "description": t.description}
                                                for t in ops.targets()],
                         attrs={"sample_us": 5000, "aggr_us": 100000, "update_us": 1000000})
    with RecordWriter(path, header) as w:
        for snap in engine.Monitor(ops, engine.Attrs(), seed=5).run(seconds * 1_000_000):
            w.write_snapshot(snap)


def _two_target_record(path):
    """Hand-made, no engine needed: two targets with gaps, ages and varying heat."""
    header = make_header(ops="test", targets=[{"target_id": 11, "description": "a"},
                                              {"target_id": 42, "description": "b"}],
                         attrs={"sample_us": 5000, "aggr_us": 100000, "update_us": 1000000})
    with RecordWriter(path, header) as w:
        for i in range(60):
            blocks = []
            for ti, base in ((0, 1 << 30), (1, 1 << 40)):
                regs = []
                addr = base
                for j in range(8 + ti * 4):
                    size = 4096 * (50 + 17 * j + (i * 7 + j) % 13)
                    if j == 4:
                        addr += 4096 * 1000  # a gap present in every snapshot
                    regs.append((addr, addr + size, (i * (j + 1) + ti) % 21, (i + j) % 5))
                    addr += size
                blocks.append((ti, array("Q", [r[0] for r in regs]),
                               array("Q", [r[1] for r in regs]),
                               array("I", [r[2] for r in regs]),
                               array("I", [r[3] for r in regs])))
            w.write_frame(10**9 + i * 10**8, 10**9 + (i + 1) * 10**8, 5000, 100000, blocks)


@pytest.mark.parametrize("make", [_sim_record, _two_target_record])
def test_damo_reports_equal_ours_on_a_file_we_wrote(tmp_path, capsys, make):
    _damo()
    ours = tmp_path / "ours.rec"
    make(ours)
    damo_file = tmp_path / "damon.data"
    write_damo(damo_file, open_record(ours))
    assert subprocess.run(["file", "-b", str(damo_file)], capture_output=True,
                          text=True).stdout.strip() == "zlib compressed data"
    cases = [
        (["report", "wss"], ["report", "wss"]),
        (["report", "wss", "--range", "0", "101", "10", "--sortby", "time",
          "--acc-thres", "5", "--exclude-samples", "3"],
         ["report", "wss", "--range", "0", "101", "10", "--sortby", "time",
          "--acc_thres", "5", "--exclude_samples", "3"]),
        (["report", "heatmap", "--color", "never"], ["report", "heatmap"]),
        (["report", "heatmap", "--color", "never", "--draw-range", "all", "--resol", "20", "50"],
         ["report", "heatmap", "--draw_range", "all", "--resol", "20", "50"]),
    ]
    for our_args, damo_args in cases:
        damo_out = _run_damo([*damo_args, "-i", str(damo_file)], tmp_path)
        assert _ours([*our_args, str(ours)], capsys) == damo_out, our_args
        assert _ours([*our_args, str(damo_file)], capsys) == damo_out, our_args
    # the wss figures are real numbers, not an empty report
    assert "# avr:" in damo_out or "x-axis" in damo_out


@pytest.mark.parametrize("name", ["damon.data.json_compressed", "perf.data.script",
                                  "damon.data.snapshot.active"])
def test_heatmap_equals_damos_on_damos_own_files(tmp_path, capsys, shared_dir, name):
    path = str(shared_dir / "damo-records" / name)
    for ours_extra, damo_extra in (([], []), (["--draw-range", "all"], ["--draw_range", "all"])):
        damo_out = _run_damo(["report", "heatmap", "-i", path, *damo_extra], tmp_path)
        assert _ours(["report", "heatmap", "--color", "never", *ours_extra, path], capsys) == \
            damo_out


def test_colour_output_uses_damos_escape_codes(tmp_path, capsys, shared_dir):
    path = str(shared_dir / "damo-records" / "damon.data.json_compressed")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    raw = subprocess.run([_damo(), "report", "heatmap", "--stdout_colorset", "flame", "-i",
                          path], capture_output=True, text=True, cwd=tmp_path, env=env).stdout
    ours = _ours(["report", "heatmap", "--color", "always", "--colorset", "flame", path], capsys)
    assert ours == raw.rstrip("\n")


def _blocks(text: str) -> list[str]:
    """Histogram lines of a recency/temperature report, without comments, blank lines
    and damo's per-target head and tail (``kdamond 0 / ...``, ``record DAMON ...``)."""
    return [line for line in text.splitlines()
            if line and not line.startswith(("# ", "kdamond ", "record DAMON intervals"))]


@pytest.mark.parametrize("make", [_sim_record, _two_target_record])
def test_recency_and_temperature_histograms_equal_damos(tmp_path, capsys, make):
    _damo()
    ours = tmp_path / "ours.rec"
    make(ours)
    damo_file = tmp_path / "damon.data"
    write_damo(damo_file, open_record(ours))
    for kind, style in (("recency", "recency-sz-hist"),
                        ("temperature", "temperature-sz-hist")):
        for extra in ([], ["--hist_logscale"], ["--hist_cumulate"]):
            damo_out = _run_damo(["report", "access", "--style", style, *extra,
                                  "-i", str(damo_file)], tmp_path)
            damo_lines = _blocks(damo_out)
            assert sum(ln.startswith("<") for ln in damo_lines) > 20  # real histograms
            for path in (ours, damo_file):
                mine = _ours(["report", kind, "--snapshot", "all", *extra, str(path)], capsys)
                assert _blocks(mine) == damo_lines, (kind, extra, path)
