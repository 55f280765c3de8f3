"""The real workload runner: masim output lines, one mapping per region, real accesses."""

import re

from damon_tui import cli
from damon_tui.commands.workload import WorkloadRunner, resolve
from damon_tui.ops.procfs import ProcFS

CFG = """a, 4000000
b, 4000000

write a
150
a, 0, 4096, 1, wo

read b randomly
100
b, 1, 0, 1, ro

nothing
50
a, 0, 4096, 0
"""


def _cfg(tmp_path, text=CFG):
    p = tmp_path / "w.cfg"
    p.write_text(text)
    return p


def test_prints_masim_phase_lines(tmp_path, capsys):
    assert cli.main(["workload", str(_cfg(tmp_path)), "--time-scale", "0.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":\t")[0] for line in lines] == ["write a", "read b randomly", "nothing"]
    for line in lines:
        assert re.fullmatch(r"[^\t]+:\t\d+ accesses/msec, \d+ msecs run", line), line
    rates = [int(line.split("\t")[1].split()[0]) for line in lines]
    msecs = [int(line.split(", ")[1].split()[0]) for line in lines]
    assert rates[0] > 0 and rates[1] > 0 and rates[2] == 0
    assert 70 <= msecs[0] < 1000 and 45 <= msecs[1] < 1000 and 20 <= msecs[2] < 500


def test_each_region_is_its_own_mapping_and_is_touched(tmp_path):
    workload = resolve(str(_cfg(tmp_path)))
    with WorkloadRunner(workload) as runner:
        nr, us = runner.run_phase(workload.phases[0], 0.5)
        assert nr > 0 and us >= 70_000
        runner.run_phase(workload.phases[1], 0.5)
        entries = [e for e in ProcFS("/").read_smaps("self")
                   if 4_000_000 <= e.end - e.start < 4_000_000 + 8192]
        assert len(entries) == 2  # not merged into one VMA
        # wo faulted a in; ro reads of never-written anonymous memory map the shared
        # zero page, which Rss does not count (as with masim itself)
        assert sorted(e.rss for e in entries)[1] > 3_000_000
        assert sorted(e.rss for e in entries)[0] < 1_000_000


def test_file_backed_regions(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    workload = resolve(str(_cfg(tmp_path)))
    with WorkloadRunner(workload, file_dir=str(data)) as runner:
        runner.run_phase(workload.phases[0], 0.2)
        maps = ProcFS("/").read_maps("self")
        assert sum("damon-tui-workload" in m.path for m in maps) == 2
    assert not list(data.iterdir())  # files removed


def test_bad_inputs_are_one_line_errors(tmp_path, capsys):
    assert cli.main(["workload", "no-such-workload"]) == 2
    err = capsys.readouterr().err
    assert "unknown workload 'no-such-workload'" in err and "zigzag" in err
    assert cli.main(["workload", str(_cfg(tmp_path)), "--file-backed", "/nonexistent"]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert cli.main(["workload", str(_cfg(tmp_path)), "--time-scale", "0"]) == 2
    bad = _cfg(tmp_path, "a, 4096\n\nphase\nten\na, 0, 4096, 1\n")
    assert cli.main(["workload", str(bad)]) == 2
    assert "w.cfg:4" in capsys.readouterr().err


def test_shared_zigzag_config_runs_short(shared_dir, capsys):
    cfg = shared_dir / "masim-configs" / "zigzag.cfg"
    assert cfg.exists(), "masim's zigzag.cfg belongs in shared/masim-configs"
    assert cli.main(["workload", str(cfg), "--time-scale", "0.005"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("initial phase:\t") and len(out) == 13


def test_builtin_workload_by_name(capsys):
    """A built-in name resolves like --sim (zigzag: two 100 MB regions)."""
    assert cli.main(["workload", "zigzag", "--time-scale", "0.002"]) == 0
    cap = capsys.readouterr()
    names = [line.split(":\t")[0] for line in cap.out.splitlines()]
    assert names[:3] == ["warm up both", "a turn 1", "b turn 1"] and len(names) == 13
    layout = re.findall(r"# region (\w+): 0x([0-9a-f]+)-0x([0-9a-f]+)", cap.err)
    assert [(n, int(e, 16) - int(s, 16)) for n, s, e in layout] == \
        [("a", 100_000_000), ("b", 100_000_000)]
