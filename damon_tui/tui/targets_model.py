"""Target picker model (no Textual): workloads, physical memory and processes.

Each entry says whether it can be monitored here and, if not, the reason from
``damon-tui doctor`` (``damon_tui.capabilities``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import psutil

from damon_tui.capabilities import detect
from damon_tui.errors import UserError
from damon_tui.ops.paddr import PaddrOps
from damon_tui.ops.sim import SimOps, builtin_workloads, load_workload
from damon_tui.ops.vaddr import VaddrOps
from damon_tui.units import format_size


@dataclass(frozen=True)
class Entry:
    kind: str  # "sim", "paddr", "pid"
    key: str  # workload name, "paddr" or the pid as text
    label: str  # what the list shows
    detail: str  # user, RSS, description
    available: bool
    reason: str = ""  # why not, when unavailable
    rss: int = 0  # bytes resident (processes), for sorting
    kernel_thread: bool = False  # hidden unless asked for


def _caps():
    try:
        return detect()
    except Exception as e:  # capability probing must never break the picker
        return e


def workload_entries() -> list[Entry]:
    out = []
    for name in builtin_workloads():
        try:
            w = load_workload(name)
            detail = w.description or ""
        except Exception as e:  # a broken config: show it, greyed
            out.append(Entry("sim", name, f"sim:{name}", "", False, str(e)))
            continue
        out.append(Entry("sim", name, f"sim:{name}", detail, True))
    return out


def paddr_entry(caps) -> Entry:
    if isinstance(caps, Exception):
        return Entry("paddr", "paddr", "physical memory (paddr)", "", False,
                     f"capabilities unknown: {caps}")
    check = caps.get("ops:paddr")
    return Entry("paddr", "paddr", "physical memory (paddr)", check.detail, check.ok,
                 "" if check.ok else check.line())


def process_entries(caps, limit: int = 2000) -> list[Entry]:
    me = os.geteuid()
    vaddr = None if isinstance(caps, Exception) else caps.get("ops:vaddr")
    is_root = me == 0 if isinstance(caps, Exception) else caps.is_root
    out = []
    attrs = ["pid", "username", "uids", "cmdline", "name", "memory_info"]
    for p in psutil.process_iter(attrs):
        info = p.info
        pid = info["pid"]
        if pid == os.getpid():
            continue
        cmd = " ".join(info.get("cmdline") or []) or f"[{info.get('name') or '?'}]"
        mem = info.get("memory_info")
        rss = getattr(mem, "rss", 0) or 0
        user = info.get("username") or "?"
        uids = info.get("uids")
        owner = getattr(uids, "real", None)

        detail = f"{user} {format_size(rss, 1)}"
        reason = ""
        kthread = not info.get("cmdline") and rss == 0
        if vaddr is not None and not vaddr.ok:
            reason = vaddr.line()
        elif kthread:
            reason = "kernel thread: it has no user address space to monitor"
        elif not is_root and owner is not None and owner != me:
            reason = (caps.line("root") if not isinstance(caps, Exception)
                      else "not your process; monitoring it needs root")
        out.append(Entry("pid", str(pid), f"{pid:>7} {cmd[:4096]}", detail, not reason, reason,
                         rss=rss, kernel_thread=kthread))
        if len(out) >= limit:
            break
    return by_rss(out)


def by_rss(entries: list[Entry]) -> list[Entry]:
    """Processes largest resident set first (then by pid); other entries keep their order."""
    others = [e for e in entries if e.kind != "pid"]
    procs = sorted((e for e in entries if e.kind == "pid"),
                   key=lambda e: (-e.rss, int(e.key) if e.key.isdigit() else 0))
    return others + procs


def all_entries() -> list[Entry]:
    caps = _caps()
    return workload_entries() + [paddr_entry(caps)] + process_entries(caps)


def filter_entries(entries: list[Entry], text: str,
                   kernel_threads: bool = True) -> list[Entry]:
    """Entries whose label or detail contain every word of ``text`` (case-insensitive);
    kernel threads only when ``kernel_threads``."""
    words = text.lower().split()
    return [e for e in entries
            if (kernel_threads or not e.kernel_thread)
            and all(w in f"{e.label} {e.detail} {e.kind}".lower() for w in words)]


def details(e: Entry) -> str:
    """Everything about an entry, uncut, for the picker's detail lines."""
    text = e.label.strip()
    if e.detail:
        text += f"\n{e.detail}"
    return text


def ops_for(entry: Entry, path: str | None = None):
    """The operations set for a picked entry (UserError / OpsError when it cannot)."""
    if not entry.available:
        raise UserError(entry.reason or f"{entry.label} cannot be monitored here")
    if entry.kind == "sim":
        return SimOps(path or entry.key)
    if entry.kind == "paddr":
        return PaddrOps(None)

    return VaddrOps([int(entry.key)])
