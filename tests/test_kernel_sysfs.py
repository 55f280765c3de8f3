"""The kernel DAMON backend against a fake sysfs tree (tests/fake_damon.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_damon import FakeDamon

from damon_tui.cli import main
from damon_tui.damos.scheme import (
    Accesses,
    AccessPattern,
    Age,
    Filter,
    Quota,
    QuotaGoal,
    Scheme,
    Watermarks,
    Weights,
)
from damon_tui.engine import Attrs
from damon_tui.errors import UserError
from damon_tui.kernel import sysfs
from damon_tui.kernel.session import KernelMonitor, KernelOps, KernelSession
from damon_tui.kernel.sysfs import KernelError, Paths, SysfsIO
from damon_tui.kernel.tree import KernelConfig, KernelTarget, read_dir
from damon_tui.ops.base import TargetInfo

TESTS = Path(__file__).parent


@pytest.fixture
def fake(tmp_path):
    return FakeDamon(tmp_path / "sys")


@pytest.fixture
def paths(tmp_path):
    return Paths(tmp_path / "sys", state_dir=tmp_path / "run", proc_root=tmp_path)


@pytest.fixture
def cli_fake(fake, monkeypatch):
    monkeypatch.setattr(sysfs, "IO_FACTORY", lambda: SysfsIO(fake.write))
    return fake


def _args(paths: Paths) -> list[str]:
    return ["--sysfs-root", str(paths.sysfs_root), "--state-dir", str(paths.state_dir)]


RICH = Scheme(
    access_pattern=AccessPattern(min_sz=8192, max_sz=1 << 30, min_nr_accesses=Accesses(0),
                                 max_nr_accesses=Accesses(10, "percent"),
                                 min_age=Age(2_000_000, "usec"), max_age=Age(50)),
    action="pageout", apply_interval_us=200_000,
    quota=Quota(ms=10, sz=1 << 20, reset_interval_ms=500, weights=Weights(1, 2, 3),
                goals=(QuotaGoal("some_mem_psi_us", 1000),)),
    watermarks=Watermarks("free_mem_rate", 1_000_000, 900, 500, 100),
    filters=(Filter("anon", matching=True), Filter("addr", addr_start=4096, addr_end=8192)),
)


DEFAULT_TARGETS = (KernelTarget(4321),)
DEFAULT_ATTRS = Attrs()


def _start(fake, paths, schemes=(), targets=DEFAULT_TARGETS, attrs=DEFAULT_ATTRS):
    session = KernelSession(paths, SysfsIO(fake.write))
    session.start(KernelConfig("vaddr", attrs, tuple(targets), tuple(schemes)))
    return session


def test_config_written_matches_the_schemes_and_attrs(fake, paths):
    session = _start(fake, paths, schemes=(RICH,),
                     attrs=Attrs(sample_us=10_000, aggr_us=200_000, min_nr_regions=5))
    ctx = read_dir(SysfsIO(), paths.kdamond(0) / "contexts/0")
    assert ctx["operations"] == "vaddr"
    assert ctx["monitoring_attrs"]["intervals"] == {"sample_us": 10_000, "aggr_us": 200_000,
                                                    "update_us": 60_000_000}
    assert ctx["monitoring_attrs"]["nr_regions"] == {"min": 5, "max": 1000}
    assert ctx["targets"]["items"][0]["pid_target"] == 4321
    s0, snap = ctx["schemes"]["items"]
    assert s0["action"] == "pageout" and s0["apply_interval_us"] == 200_000
    ap = s0["access_pattern"]
    assert ap["sz"] == {"min": 8192, "max": 1 << 30}
    assert ap["nr_accesses"] == {"min": 0, "max": 2}  # 10% of 20 samples
    assert ap["age"] == {"min": 10, "max": 50}  # 2 s / 200 ms
    q = s0["quotas"]
    assert (q["ms"], q["bytes"], q["reset_interval_ms"]) == (10, 1 << 20, 500)
    assert q["weights"] == {"sz_permil": 1, "nr_accesses_permil": 2, "age_permil": 3}
    goal = q["goals"]["items"][0]
    assert goal["target_metric"] == "some_mem_psi_us" and goal["target_value"] == 1000
    assert s0["watermarks"] == {"metric": "free_mem_rate", "interval_us": 1_000_000,
                                "high": 900, "mid": 500, "low": 100}
    f0, f1 = s0["filters"]["items"]
    assert (f0["type"], f0["matching"]) == ("anon", "Y")
    assert (f1["type"], f1["addr_start"], f1["addr_end"]) == ("addr", 4096, 8192)
    assert snap["action"] == "stat" and snap["access_pattern"]["sz"]["min"] == 0
    assert fake.is_on(0)
    owner = json.loads((paths.state_dir / "kdamond-0.json").read_text())
    assert owner["pid"] == session.pid and owner["index"] == 0
    session.close()
    assert (paths.kdamonds / "nr_kdamonds").read_text().strip() == "0"
    assert not (paths.state_dir / "kdamond-0.json").exists()


def test_snapshots_carry_the_kernels_regions_and_scheme_stats(fake, paths):
    fake.regions[0] = [[(0x1000, 0x3000, 5, 1), (0x3000, 0x9000, 0, 9)]]
    session = _start(fake, paths, schemes=(Scheme(action="pageout",
                                                   access_pattern=AccessPattern(
                                                       max_nr_accesses=Accesses(0))),))
    mon = KernelMonitor(KernelOps(session, [TargetInfo(0, "pid 4321", 4321)], "vaddr"),
                        Attrs(aggr_us=20_000))
    snaps = []
    for snap in mon.run():
        snaps.append(snap)
        if len(snaps) == 3:
            break
    assert list(snaps[0].targets[0]) == [(0x1000, 0x3000, 5, 1), (0x3000, 0x9000, 0, 9)]
    # the pageout scheme matched the idle region once per snapshot: stats grow
    assert [s.schemes[0].nr_tried for s in snaps] == [1, 2, 3]
    assert snaps[2].schemes[0].sz_applied == 3 * 0x6000
    session.close()


def test_two_targets_are_told_apart_by_target_filters(fake, paths):
    fake.live_pids.add(77)
    fake.regions[0] = [[(0x1000, 0x2000, 1, 0)], [(0x5000, 0x8000, 2, 3)]]
    session = _start(fake, paths, targets=(KernelTarget(4321), KernelTarget(77)))
    regions = session.snapshot_regions()
    assert regions == [[(0x1000, 0x2000, 1, 0)], [(0x5000, 0x8000, 2, 3)]]
    session.close()


def test_foreign_kdamond_is_never_written_and_blocks_kernel_with_its_pid(cli_fake, paths,
                                                                        capsys):
    pid = cli_fake.start_foreign()
    before = cli_fake.snapshot_tree()
    nr_writes = len(cli_fake.writes)
    rc = main(["monitor", "--kernel", "--pid", "4321", *_args(paths)])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"kdamond 0 (pid {pid}) is running and was not started by damon-tui" in err
    assert len(err.strip().splitlines()) == 1
    assert len(cli_fake.writes) == nr_writes and cli_fake.snapshot_tree() == before
    rc = main(["stop", *_args(paths)])
    assert rc == 0 and "left alone" in capsys.readouterr().out
    assert len(cli_fake.writes) == nr_writes and cli_fake.is_on(0)


def test_status_describes_a_foreign_kdamond_read_only(cli_fake, paths, capsys):
    pid = cli_fake.start_foreign()
    nr_writes = len(cli_fake.writes)
    assert main(["status", *_args(paths)]) == 0
    out = capsys.readouterr().out
    assert f"kdamond 0: state on, pid {pid}, not ours (read-only)" in out
    assert "operations paddr" in out and "action pageout" in out
    assert "0x100000-0x40000000" in out
    assert "DAMON_RECLAIM: enabled N" in out
    assert main(["status", "--json", *_args(paths)]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["kdamonds"][0]["ours"] is False and st["kdamonds"][0]["pid"] == pid
    assert len(cli_fake.writes) == nr_writes


def test_commit_refused_by_the_kernel_keeps_the_running_config(tmp_path, paths):
    """6.14+: the kernel returns the refusal to the writer; the kdamond runs on."""
    fake = FakeDamon(tmp_path / "sys", version="6.15")
    session = _start(fake, paths)
    running, pid = fake.running[0], session.pid
    mon = KernelMonitor(KernelOps(session, [], "vaddr"), Attrs())
    bad = KernelConfig("vaddr", Attrs(), (KernelTarget(99999),))  # no such process
    with pytest.raises(KernelError, match=r"state: the kernel refused 'commit'.*keeps its "
                       "running configuration"):
        session.commit(bad)
    assert fake.running[0] == running
    assert fake.read_config(0) == running  # the files read back as the running config
    assert (session.dir / "pid").read_text().strip() == str(pid)
    # a good commit goes through
    mon.set_attrs(Attrs(sample_us=2000, aggr_us=40_000))
    assert fake.running[0]["items"][0]["monitoring_attrs"]["intervals"]["aggr_us"] == 40_000
    session.close()


def test_a_commit_the_612_kernel_refuses_stops_its_kdamond_which_is_turned_on_again(fake,
                                                                                   paths):
    """Before 6.14 the write of ``commit`` succeeds and a refused commit ends the kdamond:
    damon-tui puts the files back, turns it on again and says so in one sentence."""
    from damon_tui.kernel import ownership

    session = _start(fake, paths)
    session.commit_settle_s = 0.2
    running, old_pid = fake.running[0], session.pid
    bad = KernelConfig("vaddr", Attrs(), (KernelTarget(99999),))  # no such process
    with pytest.raises(KernelError) as refused:
        session.commit(bad)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(str(session.dir / "state")), message
    assert "refused the commit and stopped the kdamond" in message
    assert f"previous configuration (kdamond pid now {session.pid})" in message
    assert session.pid != old_pid and fake.is_on(0)
    assert fake.running[0] == running and fake.read_config(0) == running
    [st] = ownership.kdamond_states(SysfsIO(), paths)
    assert st.ours and st.pid == session.pid  # still ours for status and stop
    session.close()


def test_commit_refuses_what_the_kernel_would_before_writing(fake, paths):
    session = _start(fake, paths)
    bad_attrs = Attrs()
    object.__setattr__(bad_attrs, "min_nr_regions", 2)  # past our own Attrs check
    nr_writes = len(fake.writes)
    with pytest.raises(KernelError, match=r"nr_regions/min: the kernel refuses 2 .*nothing "
                       "was written"):
        session.commit(KernelConfig("vaddr", bad_attrs, DEFAULT_TARGETS))
    with pytest.raises(KernelError, match=r"regions/1: the kernel refuses 0x1000-0x2000"):
        session.commit(KernelConfig("vaddr", Attrs(), (KernelTarget(
            4321, ((0x1000, 0x3000), (0x1000, 0x2000))),)))
    assert len(fake.writes) == nr_writes and fake.is_on(0)
    session.close()


def test_record_kernel_writes_snapshots_with_kernel_attrs(cli_fake, paths, tmp_path):
    from damon_tui.record import open_record

    cli_fake.regions[0] = [[(0x1000, 0x3000, 4, 2)]]
    out = tmp_path / "k.rec"
    rc = main(["record", "--kernel", "--pid", "4321", "--aggr", "20ms", "--sample", "1ms",
               "--duration", "150ms", "-o", str(out), *_args(paths)])
    assert rc == 0
    rec = open_record(str(out))
    assert rec.header["kernel"]["operations"] == "vaddr"
    assert rec.header["kernel"]["kdamond"] == 0
    frames = list(rec.snapshots())
    assert len(frames) >= 2
    assert not cli_fake.is_on(0) if (paths.kdamonds / "0").exists() else True
    assert (paths.kdamonds / "nr_kdamonds").read_text().strip() == "0"


def test_monitor_kernel_ends_when_the_kdamond_stops_by_itself(cli_fake, paths, capsys):
    cli_fake.regions[0] = [[(0x1000, 0x3000, 4, 2)]]
    calls = {"n": 0}
    orig = cli_fake._fill_tried

    def fill(idx):
        calls["n"] += 1
        orig(idx)
        if calls["n"] == 3:
            cli_fake.stop_kdamond(idx)  # the process exited

    cli_fake._fill_tried = fill
    rc = main(["monitor", "--kernel", "--pid", "4321", "--aggr", "10ms", "--sample", "1ms",
               "--every", "0", *_args(paths)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "kdamond stopped (its targets are gone)" in out
    assert "nr_kdamonds back to 0" in out
    assert (paths.kdamonds / "nr_kdamonds").read_text().strip() == "0"


def test_stop_turns_off_only_ours_left_by_a_crashed_run(fake, paths, capsys, monkeypatch):
    session = _start(fake, paths)
    # the damon-tui process crashed: its note says another (dead) process owned it
    note = json.loads((paths.state_dir / "kdamond-0.json").read_text())
    note["owner_pid"] = 2**22 + 12345
    (paths.state_dir / "kdamond-0.json").write_text(json.dumps(note))
    monkeypatch.setattr(sysfs, "IO_FACTORY", lambda: SysfsIO(fake.write))
    rc = main(["monitor", "--kernel", "--pid", "4321", *_args(paths)])
    assert rc == 2 and "damon-tui stop" in capsys.readouterr().err
    assert main(["stop", *_args(paths)]) == 0
    out = capsys.readouterr().out
    assert f"kdamond 0 (on, pid {session.pid}): turned off" in out
    assert (paths.kdamonds / "nr_kdamonds").read_text().strip() == "0"
    assert not (paths.state_dir / "kdamond-0.json").exists()


def test_old_kernel_says_what_it_lacks(tmp_path):
    fake = FakeDamon(tmp_path / "sys", version="6.1")
    paths = Paths(tmp_path / "sys", state_dir=tmp_path / "run")
    with pytest.raises(UserError, match=r"no DAMON apply_interval_us .*Linux 6.7\+"):
        _start(fake, paths, schemes=(RICH,))
    with pytest.raises(UserError, match=r"no DAMON quota goals \(quotas/goals, Linux 6.8\+\)"):
        _start(fake, paths, schemes=(Scheme(action="stat", quota=Quota(
            goals=(QuotaGoal("user_input", 10),))),))
    # refused before any configuration: the tree is as found
    assert (paths.kdamonds / "nr_kdamonds").read_text().strip() == "0"
    with pytest.raises(UserError, match=r"no DAMOS filters' allow \(Linux 6.14\+\)"):
        _start(fake, paths, schemes=(Scheme(action="stat", filters=(
            Filter("anon", allow=True),)),))
    assert (paths.kdamonds / "nr_kdamonds").read_text().strip() == "0"
    # monitoring itself works without tried_regions/total_bytes
    fake.regions[0] = [[(0x1000, 0x2000, 1, 1)]]
    session = _start(fake, paths)
    assert session.snapshot_regions() == [[(0x1000, 0x2000, 1, 1)]]
    session.close()


def test_intervals_goal_needs_a_615_kernel(fake, paths):
    from damon_tui.engine import IntervalsGoal

    attrs = Attrs(intervals_goal=IntervalsGoal(40, 3, 1000, 10_000))
    with pytest.raises(UserError, match=r"intervals_goal .*Linux 6.15\+"):
        _start(fake, paths, attrs=attrs)
    assert (paths.kdamonds / "nr_kdamonds").read_text().strip() == "0"


# -- modules --------------------------------------------------------------------------------
def test_preset_apply_enables_then_commits(cli_fake, paths, capsys):
    a = _args(paths)
    assert main(["preset", "apply", "reclaim", "--kernel", "--param", "min_age=30s",
                 "--param", "quota_ms=20", *a]) == 0
    assert cli_fake.param("damon_reclaim", "min_age") == "30000000"
    assert cli_fake.param("damon_reclaim", "quota_ms") == "20"
    assert cli_fake.param("damon_reclaim", "enabled") == "Y"
    assert "DAMON_RECLAIM enabled" in capsys.readouterr().out
    assert main(["preset", "apply", "reclaim", "--kernel", "--param", "quota_ms=30", *a]) == 0
    out = capsys.readouterr().out
    assert "commit_inputs=Y written" in out and "read the new inputs" in out
    assert ("module/damon_reclaim/parameters/commit_inputs", "Y") in cli_fake.writes
    assert main(["preset", "show", "reclaim", "--kernel", *a]) == 0
    out = capsys.readouterr().out
    assert "quota_ms = 30" in out and "nr_reclaimed_regions = 0" in out
    assert main(["preset", "disable", "reclaim", "--kernel", *a]) == 0
    assert cli_fake.param("damon_reclaim", "enabled") == "N"


def test_preset_apply_invalid_writes_nothing(cli_fake, paths, capsys):
    before = cli_fake.snapshot_tree()
    rc = main(["preset", "apply", "reclaim", "--kernel", "--param", "min_age=10s",
               "--param", "min_nr_regions=2000", *_args(paths)])
    assert rc == 2
    assert "max_nr_regions: must be >= min_nr_regions" in capsys.readouterr().err
    rc = main(["preset", "apply", "lru_sort", "--kernel", "--param", "hot_thres_access_freq=x",
               *_args(paths)])
    assert rc == 2
    assert cli_fake.writes == [] and cli_fake.snapshot_tree() == before


def test_preset_apply_of_a_parameter_the_kernel_lacks_writes_nothing(tmp_path, monkeypatch,
                                                                    capsys):
    fake = FakeDamon(tmp_path / "sys", version="6.1")
    monkeypatch.setattr(sysfs, "IO_FACTORY", lambda: SysfsIO(fake.write))
    rc = main(["preset", "apply", "reclaim", "--kernel", "--param", "min_age=10s",
               "--param", "skip_anon=Y", "--sysfs-root", str(tmp_path / "sys")])
    assert rc == 2
    assert "has no parameter 'skip_anon'" in capsys.readouterr().err
    assert fake.writes == []


def test_module_and_sysfs_exclusion_is_said_plainly(cli_fake, paths, capsys):
    assert main(["preset", "apply", "lru_sort", "--kernel", *_args(paths)]) == 0
    capsys.readouterr()
    rc = main(["monitor", "--kernel", "--pid", "4321", *_args(paths)])
    err = capsys.readouterr().err
    assert rc == 2 and "DAMON_LRU_SORT is enabled" in err and "exclude each other" in err
    assert (paths.kdamonds / "nr_kdamonds").read_text().strip() == "0"


# -- signals --------------------------------------------------------------------------------
def test_sigterm_turns_the_kdamond_off_and_restores_the_tree(tmp_path):
    FakeDamon(tmp_path / "sys")  # build the tree; the child drives its own fake writer
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from pathlib import Path;"
        "from fake_damon import FakeDamon;"
        "from damon_tui.kernel import sysfs;"
        "fk = FakeDamon(Path(sys.argv[2]), create=False);"
        "fk.regions[0] = [[(4096, 8192, 1, 1)]];"
        "sysfs.IO_FACTORY = lambda: sysfs.SysfsIO(fk.write);"
        "from damon_tui.cli import main;"
        "sys.exit(main(sys.argv[3:]))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(TESTS), str(tmp_path / "sys"), "monitor",
         "--kernel", "--pid", "4321", "--aggr", "50ms", "--sample", "5ms",
         "--sysfs-root", str(tmp_path / "sys"), "--state-dir", str(tmp_path / "run")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    state = tmp_path / "sys/kernel/mm/damon/admin/kdamonds/0/state"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if state.exists() and state.read_text().strip() == "on":
            break
        time.sleep(0.05)
    assert state.read_text().strip() == "on"
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "turned off" in out
    nr = tmp_path / "sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds"
    assert nr.read_text().strip() == "0"
    assert not (tmp_path / "run/kdamond-0.json").exists()
    assert os.listdir(tmp_path / "sys/kernel/mm/damon/admin/kdamonds") == ["nr_kdamonds"]


# -- commit -----------------------------------------------------------------------------------
def test_commit_cli_refused_keeps_running_config_and_files(cli_fake, paths, capsys):
    session = _start(cli_fake, paths)
    running = cli_fake.running[0]
    files = cli_fake.read_config(0)
    nr_writes = len(cli_fake.writes)
    rc = main(["commit", "--min-nr-regions", "2", *_args(paths)])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "monitoring_attrs/nr_regions/min: the kernel refuses 2" in err
    assert "nothing was written" in err and len(cli_fake.writes) == nr_writes
    assert cli_fake.running[0] == running and cli_fake.read_config(0) == files
    session.close()


def test_commit_cli_kernel_refusal_612_restarts_the_kdamond(cli_fake, paths, capsys,
                                                           monkeypatch):
    from damon_tui.kernel import commit as commit_mod

    session = _start(cli_fake, paths)
    running, files = cli_fake.running[0], cli_fake.read_config(0)
    monkeypatch.setattr(commit_mod, "_attrs_refusal", lambda ctx, old, attrs: None)
    rc = main(["commit", "--min-nr-regions", "2", *_args(paths)])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "kdamonds/0/state: the kernel refused the commit and stopped the kdamond" in err
    new_pid = (session.dir / "pid").read_text().strip()
    assert new_pid != str(session.pid) and f"kdamond pid now {new_pid}" in err
    assert cli_fake.running[0] == running and cli_fake.read_config(0) == files
    assert json.loads((paths.state_dir / "kdamond-0.json").read_text())["pid"] == int(new_pid)
    session.close()


def test_commit_cli_changes_attrs_and_schemes_keeping_the_snapshot_scheme(cli_fake, paths,
                                                                         capsys):
    cli_fake.regions[0] = [[(0x1000, 0x3000, 0, 5)]]
    session = _start(cli_fake, paths)
    rc = main(["commit", "--aggr", "200ms", "--schemes", "4K max 0 0 1s max pageout",
               *_args(paths)])
    assert rc == 0, capsys.readouterr().err
    assert "aggr 200 ms" in capsys.readouterr().out
    ctx = cli_fake.running[0]["items"][0]
    assert [s["action"] for s in ctx["schemes"]["items"]] == ["pageout", "stat"]
    # the running session still snapshots through its (moved) stat scheme
    assert session.snapshot_regions() == [[(0x1000, 0x3000, 0, 5)]]
    assert session.current_intervals() == (5000, 200_000)
    assert len(session.scheme_stats()) == 1
    session.close()


def test_commit_cli_never_writes_a_foreign_kdamond(cli_fake, paths, capsys):
    cli_fake.start_foreign()
    nr = len(cli_fake.writes)
    assert main(["commit", "--kdamond", "0", "--aggr", "1s", *_args(paths)]) == 2
    assert "was not started by damon-tui" in capsys.readouterr().err
    assert main(["commit", "--aggr", "1s", *_args(paths)]) == 2
    assert len(cli_fake.writes) == nr


def test_doctor_reports_the_kernel_backend_modules_and_tracefs(tmp_path):
    from damon_tui.capabilities import detect

    fake = FakeDamon(tmp_path / "sys")
    (tmp_path / "proc").mkdir()
    caps = detect(tmp_path, euid=0, madvise_probe=lambda: (False, "n/a"), our_pids=())
    assert caps.get("kernel_backend").ok
    assert "DAMON_RECLAIM built in (enabled N)" in caps.line("kernel_modules")
    assert not caps.get("tracefs").ok
    pid = fake.start_foreign()
    caps = detect(tmp_path, euid=0, madvise_probe=lambda: (False, "n/a"), our_pids=())
    assert not caps.get("kernel_backend").ok
    assert f"kdamond 0 (pid {pid}) is running and was not started by damon-tui" in \
        caps.line("kernel_backend")


# -- TUI --------------------------------------------------------------------------------------
def test_tui_kernel_session_shows_the_kernels_snapshots_and_cleans_up(cli_fake, paths):
    import asyncio

    from damon_tui.cli import build_parser
    from damon_tui.tui.app import DamonApp
    from damon_tui.tui.session import session_from_args

    cli_fake.regions[0] = [[(0x10000, 0x30000, 7, 3), (0x30000, 0x90000, 0, 9)]]
    parser, _ = build_parser()
    args = parser.parse_args(["tui", "--kernel", "--pid", "4321", "--aggr", "20ms",
                              "--sample", "1ms", *_args(paths)])
    session = session_from_args(args)
    assert "kernel vaddr" in session.description and cli_fake.is_on(0)

    async def go():
        app = DamonApp(session, speed=1.0, autostart=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert app.step(3) == 3
            await pilot.pause()
            assert "ops vaddr" in app.header_text().plain
            table = app.screen.query_one("#regions").text.plain
            assert "0x10000" in table
        app.shutdown()

    asyncio.run(go())
    assert (paths.kdamonds / "nr_kdamonds").read_text().strip() == "0"


def test_tui_scheme_commit_goes_to_the_kernel_and_a_refusal_keeps_the_running_one(cli_fake,
                                                                                paths):
    from types import SimpleNamespace

    from damon_tui.cli import build_parser
    from damon_tui.tui import damos_bridge
    from damon_tui.tui.session import session_from_args

    parser, _ = build_parser()
    args = parser.parse_args(["tui", "--kernel", "--pid", "4321", *_args(paths)])
    session = session_from_args(args)
    app = SimpleNamespace(session=session, modules={})
    damos_bridge.commit(app, [Scheme(action="pageout")])
    actions = [s["action"] for s in cli_fake.running[0]["items"][0]["schemes"]["items"]]
    assert actions == ["pageout", "stat"]
    running = cli_fake.running[0]
    with pytest.raises(UserError, match=r"schemes/0/action: the kernel refused 'collapse'"):
        damos_bridge.commit(app, [Scheme(action="collapse")])  # this kernel lacks it
    assert cli_fake.running[0] == running and cli_fake.read_config(0) == running
    session.monitor.ops.close()
    assert (paths.kdamonds / "nr_kdamonds").read_text().strip() == "0"


def test_a_state_command_pending_elsewhere_is_retried_not_fatal(fake, paths):
    import errno as errno_

    fake.regions[0] = [[(0x1000, 0x2000, 1, 1)]]
    session = _start(fake, paths)
    orig, calls = fake.write, {"busy": 2}

    def busy_then_ok(path, text):
        if path.name == "state" and text == "update_schemes_tried_regions" and calls["busy"]:
            calls["busy"] -= 1
            raise OSError(errno_.EBUSY, "busy", str(path))
        orig(path, text)

    session.io.writer = busy_then_ok
    assert session.snapshot_regions() == [[(0x1000, 0x2000, 1, 1)]]
    assert calls["busy"] == 0
    session.close()


def test_tui_presets_screen_modules_drive_the_real_module(cli_fake, paths):
    from types import SimpleNamespace

    from damon_tui.damos.presets import get_preset
    from damon_tui.kernel.modules import KernelModule
    from damon_tui.tui.presets_screen import make_modules

    app = SimpleNamespace(session=SimpleNamespace(kernel_paths=paths), modules={})
    mods = make_modules(app)
    mod = mods["reclaim"]
    assert isinstance(mod, KernelModule) and not mod.enabled
    mod.write("min_age", "30s")
    assert cli_fake.param("damon_reclaim", "min_age") == "30000000"
    mod.inputs["quota_ms"] = 25  # the screen loads profiles into inputs, then enables
    mod.write("enabled", "Y")
    assert mod.enabled and cli_fake.param("damon_reclaim", "quota_ms") == "25"
    assert mod.running is None  # its schemes run in the module's kdamond, not ours
    n = len(cli_fake.writes)
    mod.inputs["min_nr_regions"] = 2000  # > max_nr_regions: refused, nothing written
    with pytest.raises(UserError, match="max_nr_regions"):
        mod.write("commit_inputs", "Y")
    assert len(cli_fake.writes) == n
    mod.write("enabled", "N")
    assert cli_fake.param("damon_reclaim", "enabled") == "N"
    assert mod.read("nr_reclaimed_regions") == "0"
    assert KernelModule(get_preset("lru_sort"), SysfsIO(cli_fake.write), paths).inputs[
        "hot_thres_access_freq"] == 500


def test_a_read_waits_out_ebusy_while_another_writer_holds_the_sysfs_lock(tmp_path):
    """6.12's ``state``/``pid`` reads answer EBUSY while e.g. a record's
    ``update_schemes_tried_regions`` holds damon_sysfs_lock (seen in CI's VM)."""
    import errno as errno_

    from damon_tui.kernel.sysfs import SysfsIO

    state = tmp_path / "state"
    state.write_text("on\n")
    busy = {"left": 3}

    def reader(path):
        if busy["left"]:
            busy["left"] -= 1
            raise OSError(errno_.EBUSY, "Device or resource busy", str(path))
        return path.read_text()

    io = SysfsIO(reader=reader)
    assert io.read(state) == "on"
    assert busy["left"] == 0
    busy["left"] = 2
    assert io.read_opt(state) == "on"  # busy is not "absent"


def test_a_read_that_stays_busy_fails_with_one_sentence_naming_the_file(tmp_path):
    import errno as errno_

    from damon_tui.kernel.sysfs import KernelError, SysfsIO

    def reader(path):
        raise OSError(errno_.EBUSY, "Device or resource busy", str(path))

    io = SysfsIO(reader=reader, busy_wait_s=0.05)
    with pytest.raises(KernelError, match=r"state: cannot read: .*EBUSY") as e:
        io.read(tmp_path / "state")
    assert e.value.errno == errno_.EBUSY


def _busy(path) -> OSError:
    import errno as errno_

    return OSError(errno_.EBUSY, "Device or resource busy", str(path))


def test_writes_to_the_damon_tree_wait_out_the_sysfs_lock_module_params_do_not(fake, paths):
    """6.12's ``nr_*`` stores and ``state`` commands trylock DAMON's sysfs lock: EBUSY
    while another process (a record's ``update_schemes_tried_regions``) holds it."""
    session = _start(fake, paths)
    calls: dict[str, int] = {}

    def busy_twice(path, text):
        calls[path.name] = calls.get(path.name, 0) + 1
        if calls[path.name] <= 2:
            raise _busy(path)
        fake.write(path, text)

    io = SysfsIO(busy_twice)
    io.write(session.ctx_dir / "schemes/nr_schemes", 2)
    assert calls["nr_schemes"] == 3 and fake.writes[-1][1] == "2"
    io.write(session.dir / "state", "update_schemes_stats")
    assert calls["state"] == 3
    # a module's EBUSY is its answer (sysfs kdamonds run): not retried
    with pytest.raises(KernelError, match="enabled: busy"):
        io.write(paths.module_params("damon_reclaim") / "enabled", "Y")
    assert calls["enabled"] == 1
    session.close()


def test_a_lasting_ebusy_of_nr_kdamonds_is_reported_after_a_short_wait(fake, paths):
    def always_busy(path, text):
        raise _busy(path)

    t0 = time.monotonic()
    with pytest.raises(KernelError, match="nr_kdamonds while a kdamond runs"):
        SysfsIO(always_busy).write(paths.kdamonds / "nr_kdamonds", 1)
    assert time.monotonic() - t0 < 3  # not the 10 s a transient lock gets


def test_tried_regions_are_read_through_sysfsio_and_wait_out_ebusy(fake, paths):
    fake.regions[0] = [[(0x1000, 0x2000, 3, 1), (0x2000, 0x5000, 0, 7)]]
    session = _start(fake, paths)
    seen = []

    def busy_once(path):
        seen.append(path)
        if "tried_regions" in path.parts and seen.count(path) == 1:
            raise _busy(path)
        return path.read_text()

    session.io.reader = busy_once
    assert session.snapshot_regions() == [[(0x1000, 0x2000, 3, 1), (0x2000, 0x5000, 0, 7)]]
    assert any(p.name == "nr_accesses" for p in seen)
    session.close()


def test_the_note_of_ours_is_written_before_on(fake, paths):
    """A record killed right after ``on`` leaves a kdamond `stop` knows as ours."""
    from damon_tui.kernel import ownership

    at_on = []

    def writer(path, text):
        fake.write(path, text)
        if path.name == "state" and text == "on":
            at_on.append(ownership.kdamond_states(SysfsIO(), paths))

    session = KernelSession(paths, SysfsIO(writer))
    session.start(KernelConfig("vaddr", Attrs(), DEFAULT_TARGETS))
    [states] = at_on
    assert states[0].running and states[0].ours, states
    assert ownership.read_owner(paths, 0).pid == session.pid  # then its pid is noted
    session.close()


def test_capabilities_read_kdamonds_waiting_out_ebusy(fake, monkeypatch):
    from damon_tui.capabilities import detect

    pid = fake.start_foreign("paddr")
    real = Path.read_text
    busy = {"state": 2, "pid": 2}

    def read_text(self, *a, **kw):
        if self.name in busy and busy[self.name] and "kdamonds" in self.parts:
            busy[self.name] -= 1
            raise _busy(self)
        return real(self, *a, **kw)

    monkeypatch.setattr(Path, "read_text", read_text)
    caps = detect(fake.root.parent, euid=0, madvise_probe=lambda: (False, "n/a"),
                 our_pids=())
    [k] = caps.kdamonds
    assert (k.state, k.pid) == ("on", pid)
