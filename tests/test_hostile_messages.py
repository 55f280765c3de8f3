"""Hostile paths and values get one true line and exit 2: no traceback, no recursion,
no misleading wording."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from damon_tui.cli import main


def _err_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_sim_device_is_not_called_a_directory(capsys):
    assert main(["monitor", "--sim", "/dev/null", "--duration", "1s"]) == 2
    (line,) = _err_lines(capsys)
    assert "not a regular file" in line and "directory" not in line


@pytest.mark.parametrize("kind", ["dir", "fifo"])
def test_profile_that_is_a_directory_or_fifo_is_one_line(tmp_path, capsys, kind):
    target = tmp_path / "p.json"
    target.mkdir() if kind == "dir" else os.mkfifo(target)
    assert main(["monitor", "--preset", "reclaim", "--profile", "p", "--profiles-dir",
                 str(tmp_path), "--duration", "1s"]) == 2
    (line,) = _err_lines(capsys)
    assert "not a regular file" in line
    assert main(["preset", "list", "--profiles-dir", str(tmp_path)]) == 0


def test_deeply_nested_profile_is_one_line(tmp_path, capsys):
    (tmp_path / "deep.json").write_text("[" * 100_000)
    assert main(["preset", "show", "--profile", "deep", "--profiles-dir",
                 str(tmp_path)]) == 2
    (line,) = _err_lines(capsys)
    assert "nested too deeply" in line


@pytest.mark.parametrize("doc,field", [
    ({"action": "stat", "filters": ["anon"]}, "filters[0]: expected an object"),
    ({"action": "stat", "filters": "anon"}, "filters: expected a list"),
    ({"action": "stat", "quotas": {"weights": "x"}}, "quotas.weights: expected an object"),
    ({"action": "stat", "quotas": "x"}, "quotas: expected an object"),
    ({"action": "stat", "watermarks": 5}, "watermarks: expected an object"),
])
def test_schemes_of_the_wrong_shape_name_the_field(tmp_path, capsys, doc, field):
    path = tmp_path / "s.json"
    path.write_text(json.dumps([doc]))
    assert main(["monitor", "--schemes", str(path), "--duration", "1s"]) == 2
    (line,) = _err_lines(capsys)
    assert field in line and "attribute" not in line


def test_heatmap_error_is_the_only_line(tmp_path, capsys):
    rec = tmp_path / "r.rec"
    assert main(["record", "--sim", "zigzag", "--duration", "1s", "-o", str(rec)]) == 0
    capsys.readouterr()
    assert main(["report", "heatmap", str(rec), "--output", str(tmp_path / "x.png")]) == 2
    (line,) = _err_lines(capsys)
    assert "error" in line


def test_full_stdout_is_one_line_exit_2():
    for args in (["workloads"], ["preset", "export", "reclaim"], ["--version"]):
        with open("/dev/full", "w") as full:
            p = subprocess.run([sys.executable, "-m", "damon_tui", *args], stdout=full,
                               stderr=subprocess.PIPE, text=True, timeout=60)
        assert p.returncode == 2, (args, p.stderr)
        assert p.stderr.strip().count("\n") == 0 and "No space left" in p.stderr
