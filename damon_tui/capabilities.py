"""What this machine lets damon-tui do: root, page idle, process_madvise, swap, memory
pressure stall information (PSI), THP, the kernel's own DAMON (read only), and which
operations sets can run at what resolution.

``detect(root)`` reads files under an injectable root (``$DAMON_TUI_ROOT`` or ``/``) and
never writes anything.  ``Capabilities.line(key)`` is the one-line summary commands
print when they cannot run (``damon-tui doctor`` prints all of them as a table).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from damon_tui.kernel.status import doctor_checks
from damon_tui.kernel.sysfs import DEFAULT_STATE_DIR, Paths, SysfsIO
from damon_tui.ops import madvise
from damon_tui.ops.base import OpsError
from damon_tui.ops.procfs import ProcFS
from damon_tui.units import format_size

DAMON_ADMIN = "sys/kernel/mm/damon/admin"
THP_ENABLED = "sys/kernel/mm/transparent_hugepage/enabled"
CAP_SYS_NICE = 23


@dataclass(frozen=True)
class Check:
    """One row of the doctor table."""

    key: str
    label: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{self.label}: {'yes' if self.ok else 'no'} - {self.detail}"


@dataclass(frozen=True)
class Kdamond:
    """A kdamond of the kernel's DAMON sysfs interface, as read (never written)."""

    index: int
    state: str
    pid: int | None
    operations: str
    target_pids: tuple[int, ...]
    ours: bool


@dataclass(frozen=True)
class Capabilities:
    """Detected capabilities; ``checks`` are the machine rows, ``ops`` the ops rows."""

    root: str
    is_root: bool
    page_idle: bool
    clear_refs: bool
    process_madvise: bool
    madvise_others: bool
    swap: bool
    thp: str | None
    damon_sysfs: bool
    avail_operations: tuple[str, ...]
    kdamonds: tuple[Kdamond, ...]
    psi: bool = False
    checks: tuple[Check, ...] = field(default=())
    ops: tuple[Check, ...] = field(default=())

    def get(self, key: str) -> Check:
        for check in (*self.checks, *self.ops):
            if check.key == key:
                return check
        raise KeyError(key)

    def line(self, key: str) -> str:
        """``doctor`` line for ``key`` (``root``, ``page_idle``, ``ops:vaddr``, ...)."""
        return self.get(key).line()


def _cap_eff(procfs: ProcFS) -> int:
    try:
        for line in (procfs.proc / "self" / "status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def _read_kdamonds(procfs: ProcFS, our_pids: set[int]) -> tuple[list[Kdamond], tuple[str, ...]]:
    base = procfs.root / DAMON_ADMIN / "kdamonds"
    kdamonds: list[Kdamond] = []
    avail: tuple[str, ...] = ()
    if not base.is_dir():
        return kdamonds, avail
    io = SysfsIO()  # reads only; waits out EBUSY while DAMON's sysfs lock is taken
    dirs = sorted((d for d in base.iterdir() if d.name.isdigit()), key=lambda d: int(d.name))
    for d in dirs:
        state = io.read_opt(d / "state") or "?"
        pid_text = io.read_opt(d / "pid")
        ops = ""
        pids: list[int] = []
        ctx_dir = d / "contexts"
        for ctx in sorted(p for p in ctx_dir.glob("*") if p.name.isdigit()):
            ops = io.read_opt(ctx / "operations") or ops
            if not avail:
                avail = tuple((io.read_opt(ctx / "avail_operations") or "").split())
            for target in sorted(p for p in (ctx / "targets").glob("*") if p.name.isdigit()):
                tpid = io.read_opt(target / "pid_target")
                if tpid and tpid.lstrip("-").isdigit() and int(tpid) > 0:
                    pids.append(int(tpid))
        pid = int(pid_text) if pid_text and pid_text.lstrip("-").isdigit() else None
        ours = ops in ("vaddr", "fvaddr") and any(p in our_pids for p in pids)
        kdamonds.append(Kdamond(int(d.name), state, pid if pid and pid > 0 else None, ops,
                                tuple(pids), ours))
    return kdamonds, avail


def _damon_tui_pids(procfs: ProcFS) -> set[int]:
    """PIDs whose command line is a damon-tui (ours, for the "ours" column)."""
    pids = {os.getpid()}
    try:
        entries = list(procfs.proc.iterdir())
    except OSError:
        return pids
    for entry in entries:
        if entry.name.isdigit():
            cmd = procfs.cmdline(int(entry.name))
            if "damon-tui" in cmd or "damon_tui" in cmd:
                pids.add(int(entry.name))
    return pids


def detect(
    root: str | os.PathLike | None = None,
    *,
    euid: int | None = None,
    madvise_probe: Callable[[], tuple[bool, str]] | None = None,
    our_pids: Iterable[int] | None = None,
) -> Capabilities:
    """Probe the machine (read only).  ``euid`` / ``madvise_probe`` are for tests."""
    procfs = ProcFS(root)
    euid = os.geteuid() if euid is None else euid
    is_root = euid == 0
    checks: list[Check] = []

    checks.append(Check("root", "running as root", is_root,
                        "uid 0: any process; page idle tracking and paddr where the kernel has them"
                        if is_root else f"uid {euid}: only your own processes, at per-mapping "
                        "resolution; page idle tracking and paddr need root"))

    bitmap: Path = procfs.page_idle_path()
    has_bitmap = bitmap.exists()
    page_idle = has_bitmap and is_root
    if page_idle:
        detail = f"{bitmap} is present: per-page access checks"
    elif has_bitmap:
        detail = f"{bitmap} is present but only root can use it"
    else:
        detail = f"{bitmap} does not exist (kernel without CONFIG_IDLE_PAGE_TRACKING)"
    checks.append(Check("page_idle", "page idle tracking", page_idle, detail))

    clear_refs = (procfs.proc / "self" / "clear_refs").exists() and \
        (procfs.proc / "self" / "smaps").exists()
    checks.append(Check("clear_refs", "clear_refs + smaps", clear_refs,
                        "per-mapping referenced bytes of your own processes (any, as root)"
                        if clear_refs else "/proc/PID/clear_refs or smaps is missing"))

    if madvise_probe is None:
        madvise_probe = madvise.probe
    pm_ok, pm_detail = madvise_probe()
    nice = bool(_cap_eff(procfs) >> CAP_SYS_NICE & 1) or is_root
    madvise_others = pm_ok and nice
    if pm_ok and not nice:
        pm_detail += "; but acting on another process needs CAP_SYS_NICE, which is missing"
    checks.append(Check("process_madvise", "process_madvise", madvise_others, pm_detail))

    info = procfs.meminfo()
    swap_total = info.get("SwapTotal", 0)
    swap = swap_total > 0

    checks.append(Check("swap", "swap", swap,
                        f"{format_size(swap_total)} of swap" if swap else
                        "no swap: pageout only frees file-backed pages "
                        "(see workload --file-backed)"))

    try:
        psi_total = procfs.psi_memory_some_total_us()
        psi = True
        psi_detail = (f"{procfs.psi_path()}: 'some' stall total {psi_total} us since boot; "
                      "quota goal some_mem_psi_us (DAMON_RECLAIM quota_mem_pressure_us) works")
    except OpsError as e:
        psi = False
        psi_detail = f"{e}; quota goal some_mem_psi_us (quota_mem_pressure_us) is unavailable"
    checks.append(Check("psi", "memory pressure (PSI)", psi, psi_detail))

    thp_text = procfs.read_text(THP_ENABLED)
    thp = None
    if thp_text:
        thp = next((w.strip("[]") for w in thp_text.split() if w.startswith("[")), thp_text)
    checks.append(Check("thp", "transparent huge pages", thp not in (None, "never"),
                        f"enabled = {thp}" if thp else f"{THP_ENABLED} does not exist"))

    damon_sysfs = (procfs.root / DAMON_ADMIN).is_dir()
    pids = set(our_pids) if our_pids is not None else _damon_tui_pids(procfs)
    kdamonds, avail = _read_kdamonds(procfs, pids) if damon_sysfs else ([], ())
    running = [k for k in kdamonds if k.state == "on"]
    if not damon_sysfs:
        kd_detail = f"/{DAMON_ADMIN} does not exist (kernel without CONFIG_DAMON_SYSFS)"
    else:
        parts = [f"avail operations: {' '.join(avail) or 'unknown'}"]
        if running:
            desc = ", ".join(
                f"kdamond.{k.index} (pid {k.pid}, {k.operations or '?'}"
                + (f", targets {','.join(map(str, k.target_pids))}" if k.target_pids else "")
                + (", ours" if k.ours else ", not ours") + ")" for k in running)
            parts.append(f"{len(running)} kdamond(s) running: {desc}; their access-bit "
                         "clearing can hide accesses from our checks")
        else:
            parts.append("no kdamond running")
        parts.append("doctor only reads; damon-tui writes only kdamonds it starts (--kernel)")
        kd_detail = "; ".join(parts)
    checks.append(Check("kernel_damon", "kernel DAMON (sysfs)", damon_sysfs, kd_detail))
    state_dir = Path(DEFAULT_STATE_DIR) if str(procfs.root) == "/" else \
        procfs.root / DEFAULT_STATE_DIR.lstrip("/")
    for key, label, ok, detail in doctor_checks(Paths(procfs.root / "sys",
                                                      state_dir=state_dir), is_root):
        checks.append(Check(key, label, ok, detail))

    ops = [Check("ops:sim", "ops sim", True, "per page (simulated, virtual time)")]
    if page_idle:
        vaddr_detail = "per page (page idle tracking via pagemap), any process"
    elif clear_refs:
        vaddr_detail = ("per mapping (clear_refs + smaps Referenced), "
                        + ("any process" if is_root else "your own processes only"))
    else:
        vaddr_detail = "cannot run: neither page idle tracking nor clear_refs is available"
    ops.append(Check("ops:vaddr", "ops vaddr", page_idle or clear_refs, vaddr_detail))
    ops.append(Check("ops:fvaddr", "ops fvaddr", page_idle or clear_refs,
                     vaddr_detail.replace("any process", "fixed ranges of any process")
                     .replace("your own processes only", "fixed ranges of your own processes")))
    if page_idle:
        paddr_detail = "per page (page idle tracking on System RAM PFNs); stat only"
    elif not is_root:
        paddr_detail = "cannot run: physical memory monitoring needs root"
    else:
        paddr_detail = "cannot run: it needs page idle tracking, which this kernel lacks"
    ops.append(Check("ops:paddr", "ops paddr", page_idle, paddr_detail))
    return Capabilities(
        root=str(procfs.root), is_root=is_root, page_idle=page_idle, clear_refs=clear_refs,
        process_madvise=pm_ok, madvise_others=madvise_others, swap=swap, thp=thp,
        damon_sysfs=damon_sysfs, avail_operations=avail, kdamonds=tuple(kdamonds), psi=psi,
        checks=tuple(checks), ops=tuple(ops),
    )
