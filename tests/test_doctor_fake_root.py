"""doctor / capabilities: every row read from an injectable root, nothing written."""

import hashlib

from fake_kernel import FakeKernel

from damon_tui import capabilities, cli


def _kdamond(root, index, state, pid, ops, targets=()):
    base = root / "sys/kernel/mm/damon/admin/kdamonds"
    base.mkdir(parents=True, exist_ok=True)
    (base / "nr_kdamonds").write_text(f"{index + 1}\n")
    d = base / str(index)
    ctx = d / "contexts/0"
    (ctx / "targets").mkdir(parents=True)
    (d / "state").write_text(state + "\n")
    (d / "pid").write_text(f"{pid}\n")
    (ctx / "operations").write_text(ops + "\n")
    (ctx / "avail_operations").write_text("vaddr fvaddr paddr\n")
    for i, t in enumerate(targets):
        (ctx / "targets" / str(i)).mkdir()
        (ctx / "targets" / str(i) / "pid_target").write_text(f"{t}\n")


def _tree_digest(root):
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p).encode() + p.read_bytes())
    return h.hexdigest()


def test_full_capabilities_from_fake_root(tmp_path):
    k = FakeKernel(tmp_path)
    (k.proc / "self").mkdir()
    (k.proc / "self/clear_refs").write_text("")
    (k.proc / "self/smaps").write_text("")
    (k.proc / "self/status").write_text("CapEff:\t0000000000800000\n")
    (k.proc / "meminfo").write_text("MemTotal: 100 kB\nSwapTotal:  2048 kB\n")
    thp = tmp_path / "sys/kernel/mm/transparent_hugepage"
    thp.mkdir(parents=True)
    (thp / "enabled").write_text("always [madvise] never\n")
    _kdamond(tmp_path, 0, "on", 71, "vaddr", targets=(1234,))
    _kdamond(tmp_path, 1, "off", -1, "paddr")
    before = _tree_digest(tmp_path)
    caps = capabilities.detect(tmp_path, euid=0, madvise_probe=lambda: (True, "works"),
                               our_pids={1234})
    assert _tree_digest(tmp_path) == before  # read only
    assert caps.page_idle and caps.clear_refs and caps.swap and caps.thp == "madvise"
    assert caps.avail_operations == ("vaddr", "fvaddr", "paddr")
    running = [kd for kd in caps.kdamonds if kd.state == "on"]
    assert len(running) == 1 and running[0].ours and running[0].target_pids == (1234,)
    assert "kdamond.0 (pid 71, vaddr, targets 1234, ours)" in caps.line("kernel_damon")
    assert caps.line("ops:vaddr").startswith("ops vaddr: yes - per page")
    assert caps.line("ops:paddr").startswith("ops paddr: yes - per page")


def test_bare_machine_without_root(tmp_path):
    (tmp_path / "proc").mkdir()
    caps = capabilities.detect(tmp_path, euid=1000, madvise_probe=lambda: (True, "works"),
                               our_pids=())
    assert not caps.is_root and not caps.page_idle and not caps.swap
    assert "does not exist" in caps.line("page_idle")
    assert "CAP_SYS_NICE" in caps.line("process_madvise") and not caps.madvise_others
    assert "CONFIG_DAMON_SYSFS" in caps.line("kernel_damon")
    assert caps.line("ops:sim").startswith("ops sim: yes")
    assert "needs root" in caps.line("ops:paddr")
    assert "cannot run" in caps.line("ops:vaddr")


def test_doctor_command_prints_every_row(tmp_path, capsys):
    FakeKernel(tmp_path)
    assert cli.main(["doctor", "--root", str(tmp_path), "--plain"]) == 0
    out = capsys.readouterr().out
    for label in ("running as root", "page idle tracking", "process_madvise", "swap",
                  "memory pressure (PSI)", "transparent huge pages", "kernel DAMON (sysfs)",
                  "ops sim", "ops vaddr", "ops fvaddr", "ops paddr"):
        assert f"{label}:" in out
    assert cli.main(["doctor", "--root", str(tmp_path)]) == 0
    assert "damon-tui doctor" in capsys.readouterr().out


def test_psi_row_says_whether_memory_pressure_goals_work(tmp_path):
    k = FakeKernel(tmp_path)
    k.set_psi(123456)
    caps = capabilities.detect(tmp_path, euid=1000, madvise_probe=lambda: (True, "works"),
                               our_pids=())
    assert caps.psi
    assert caps.line("psi").startswith("memory pressure (PSI): yes - ")
    assert "123456 us since boot" in caps.line("psi")
    k.set_psi(None)
    caps = capabilities.detect(tmp_path, euid=1000, madvise_probe=lambda: (True, "works"),
                               our_pids=())
    assert not caps.psi
    line = caps.line("psi")
    assert line.startswith("memory pressure (PSI): no - ")
    assert "pressure/memory does not exist" in line and "some_mem_psi_us" in line
    assert "quota_mem_pressure_us) is unavailable" in line
