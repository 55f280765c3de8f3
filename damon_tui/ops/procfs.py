"""procfs / sysfs access for the real operations sets, every path under an injectable root.

``ProcFS(root)`` reads ``<root>/proc`` and ``<root>/sys``; tests pass a ``tmp_path``
holding fake files (a fake pagemap, page-idle bitmap, smaps, iomem, ...).  The
environment variable ``DAMON_TUI_ROOT`` sets the default root for commands.

Only two files are ever written: ``/proc/PID/clear_refs`` (``1`` clears the accessed
bits of the process's pages) and ``/sys/kernel/mm/page_idle/bitmap`` (marks pages
idle).  Nothing under ``/sys/kernel/mm/damon`` or ``/sys/module`` is written here.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil  # a root without meminfo (a fake root in tests): this machine's

from damon_tui.ops.base import OpsError, TargetGone

PAGE_SIZE = 4096
PAGE_SHIFT = 12
#: pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst)
PM_PRESENT = 1 << 63
PM_SWAP = 1 << 62
PM_FILE = 1 << 61  # file page or shared anon
PM_PFN_MASK = (1 << 55) - 1
#: marker for "no page" in PFN arrays
NO_PFN = -1
#: /proc/kpageflags bits (Documentation/admin-guide/mm/pagemap.rst)
KPF_LRU, KPF_ACTIVE, KPF_MMAP, KPF_ANON, KPF_HUGE, KPF_THP = 5, 6, 11, 12, 17, 22

PAGE_IDLE_BITMAP = "sys/kernel/mm/page_idle/bitmap"

_HEX = frozenset(b"0123456789abcdef")
_SMAPS_HEAD = re.compile(rb"^([0-9a-f]+)-([0-9a-f]+) ", re.M)
_SMAPS_RSS = re.compile(rb"\nRss: +(\d+)")
_SMAPS_REF = re.compile(rb"\nReferenced: +(\d+)")


def default_root() -> str:
    """``$DAMON_TUI_ROOT`` or ``/``."""
    return os.environ.get("DAMON_TUI_ROOT") or "/"


@dataclass(frozen=True)
class Mapping:
    """One line of ``/proc/PID/maps``."""

    start: int
    end: int
    perms: str
    path: str


@dataclass(frozen=True)
class SmapsEntry:
    """One mapping of ``/proc/PID/smaps`` with the sizes we use, in bytes."""

    start: int
    end: int
    rss: int
    referenced: int


class ProcFS:
    """Readers (and the two writers) of procfs/sysfs files under ``root``."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root if root is not None else default_root())
        self.proc = self.root / "proc"
        self.sys = self.root / "sys"

    # -- processes ---------------------------------------------------------

    def pid_path(self, pid: int, name: str) -> Path:
        return self.proc / str(pid) / name

    def _read_pid_file(self, pid: int, name: str) -> bytes:
        path = self.pid_path(pid, name)
        try:
            with open(path, "rb", buffering=0) as f:
                chunks = []
                while True:
                    chunk = f.read(1 << 20)
                    if not chunk:
                        break
                    chunks.append(chunk)
                return b"".join(chunks)
        except (FileNotFoundError, ProcessLookupError):
            raise TargetGone(f"process {pid} has exited") from None
        except PermissionError:
            raise OpsError(f"permission denied reading {path}") from None
        except OSError as e:  # ESRCH from a process exiting mid-read
            if e.errno == 3:
                raise TargetGone(f"process {pid} has exited") from None
            raise OpsError(f"cannot read {path}: {e.strerror}") from None

    def pid_state(self, pid: int) -> str | None:
        """The state letter of ``/proc/PID/stat`` (``R``, ``S``, ``Z``...) or None if gone."""
        try:
            data = self.pid_path(pid, "stat").read_bytes()
        except OSError:
            return None
        close = data.rfind(b")")
        fields = data[close + 2:].split()
        return fields[0].decode() if fields else None

    def is_alive(self, pid: int) -> bool:
        """True when the process exists and is not a zombie."""
        return self.pid_state(pid) not in (None, "Z", "X")

    def cmdline(self, pid: int) -> str:
        try:
            raw = self.pid_path(pid, "cmdline").read_bytes()
        except OSError:
            return ""
        return " ".join(p.decode(errors="replace") for p in raw.split(b"\0") if p)

    def read_maps(self, pid: int) -> list[Mapping]:
        """The process's VMAs, in address order."""
        out = []
        for line in self._read_pid_file(pid, "maps").splitlines():
            parts = line.split(None, 5)
            if len(parts) < 5:
                continue
            lo, _, hi = parts[0].partition(b"-")
            path = parts[5].decode(errors="replace") if len(parts) > 5 else ""
            out.append(Mapping(int(lo, 16), int(hi, 16), parts[1].decode(), path))
        return out

    def read_smaps(self, pid: int) -> list[SmapsEntry]:
        """Rss and Referenced of every mapping (one read of ``/proc/PID/smaps``)."""
        data = self._read_pid_file(pid, "smaps")
        heads = _SMAPS_HEAD.findall(data)
        rss = _SMAPS_RSS.findall(data)
        ref = _SMAPS_REF.findall(data)
        if len(heads) == len(rss) == len(ref):
            return [SmapsEntry(int(lo, 16), int(hi, 16), int(r) * 1024, int(f) * 1024)
                    for (lo, hi), r, f in zip(heads, rss, ref, strict=True)]
        return _parse_smaps_lines(data)  # a mapping without Rss/Referenced lines

    def clear_refs(self, pid: int) -> None:
        """Write ``1`` to ``/proc/PID/clear_refs``: clear the accessed bits of all pages."""
        path = self.pid_path(pid, "clear_refs")
        try:
            fd = os.open(path, os.O_WRONLY)
        except (FileNotFoundError, ProcessLookupError):
            raise TargetGone(f"process {pid} has exited") from None
        except PermissionError:
            raise OpsError(f"permission denied writing {path}") from None
        try:
            os.write(fd, b"1")
        except OSError as e:
            if e.errno == 3:
                raise TargetGone(f"process {pid} has exited") from None
            raise OpsError(f"cannot write {path}: {e.strerror}") from None
        finally:
            os.close(fd)

    def open_pagemap(self, pid: int) -> Pagemap:
        return Pagemap(self.pid_path(pid, "pagemap"), pid)

    # -- system ------------------------------------------------------------

    def page_idle_path(self) -> Path:
        return self.root / PAGE_IDLE_BITMAP

    def kpageflags(self, pfn: int, count: int) -> list[int]:
        """``/proc/kpageflags`` of PFNs ``[pfn, pfn + count)`` (0 past its end);
        ``OpsError`` when it cannot be read (needs root and CONFIG_PROC_PAGE_MONITOR)."""
        path = self.proc / "kpageflags"
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as e:
            raise OpsError(f"cannot read {path}: {e.strerror}") from None
        try:
            data = os.pread(fd, 8 * count, 8 * pfn)
        finally:
            os.close(fd)
        words = list(struct.unpack(f"<{len(data) // 8}Q", data[:len(data) // 8 * 8]))
        return words + [0] * (count - len(words))

    def open_page_idle(self) -> PageIdleBitmap:
        return PageIdleBitmap(self.page_idle_path())

    def system_ram(self) -> list[tuple[int, int]]:
        """Top-level ``System RAM`` ranges of ``/proc/iomem`` as ``[start, end)``.

        Adjacent ranges are merged.  Raises ``OpsError`` when the file shows only zero
        addresses (the kernel hides them from non-root users).
        """
        path = self.proc / "iomem"
        try:
            text = path.read_text()
        except OSError as e:
            raise OpsError(f"cannot read {path}: {e.strerror}") from None
        ranges: list[tuple[int, int]] = []
        for line in text.splitlines():
            if line.startswith(" ") or ":" not in line:
                continue
            span, _, name = line.partition(":")
            if name.strip() != "System RAM":
                continue
            lo, _, hi = span.strip().partition("-")
            start, end = int(lo, 16), int(hi, 16) + 1
            if ranges and ranges[-1][1] == start:
                ranges[-1] = (ranges[-1][0], end)
            else:
                ranges.append((start, end))
        if ranges and all(s == 0 and e <= 1 for s, e in ranges):
            raise OpsError(f"{path} shows zero addresses (only root can read them)")
        return ranges

    def meminfo(self) -> dict[str, int]:
        """``/proc/meminfo`` in bytes (``kB`` values multiplied out)."""
        out: dict[str, int] = {}
        try:
            text = (self.proc / "meminfo").read_text()
        except OSError:
            return out
        for line in text.splitlines():
            key, _, rest = line.partition(":")
            parts = rest.split()
            if parts:
                value = int(parts[0])
                out[key] = value * 1024 if len(parts) > 1 and parts[1] == "kB" else value
        return out

    def psi_path(self) -> Path:
        return self.proc / "pressure" / "memory"

    def psi_memory_some_total_us(self) -> int:
        """The ``some ... total=`` field of ``/proc/pressure/memory``: µs since boot during
        which at least one task stalled on memory.  ``OpsError`` when PSI is missing."""
        path = self.psi_path()
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise OpsError(f"{path} does not exist: this kernel has no pressure stall "
                           "information (CONFIG_PSI off, or booted with psi=0)") from None
        except OSError as e:  # EOPNOTSUPP when PSI is compiled in but disabled
            raise OpsError(f"cannot read {path}: {e.strerror} (pressure stall information "
                           "disabled?)") from None
        for line in text.splitlines():
            fields = line.split()
            if fields and fields[0] == "some":
                for f in fields[1:]:
                    key, _, value = f.partition("=")
                    if key == "total" and value.isdigit():
                        return int(value)
        raise OpsError(f"{path}: no 'some ... total=N' line")

    def read_text(self, rel: str) -> str | None:
        """A small file under the root, stripped, or None if unreadable."""
        try:
            return (self.root / rel).read_text().strip()
        except OSError:
            return None


def _parse_smaps_lines(data: bytes) -> list[SmapsEntry]:
    """Line-by-line smaps parser (fallback when a block lacks Rss or Referenced)."""
    out: list[SmapsEntry] = []
    cur: list[int] | None = None
    for line in data.split(b"\n"):
        if not line:
            continue
        if line[0] in _HEX:
            if cur is not None:
                out.append(SmapsEntry(*cur))
            lo, _, rest = line.partition(b"-")
            cur = [int(lo, 16), int(rest.split(None, 1)[0], 16), 0, 0]
        elif cur is not None and line.startswith(b"Rss:"):
            cur[2] = int(line.split()[1]) * 1024
        elif cur is not None and line.startswith(b"Referenced:"):
            cur[3] = int(line.split()[1]) * 1024
    if cur is not None:
        out.append(SmapsEntry(*cur))
    return out


class Pagemap:
    """``/proc/PID/pagemap``: virtual page -> PFN (needs root for the PFN bits)."""

    def __init__(self, path: Path, pid: int) -> None:
        self.path = path
        self.pid = pid
        try:
            self.fd = os.open(path, os.O_RDONLY)
        except (FileNotFoundError, ProcessLookupError):
            raise TargetGone(f"process {pid} has exited") from None
        except PermissionError:
            raise OpsError(f"permission denied reading {path}") from None

    def entries(self, vaddrs: Sequence[int]) -> list[int]:
        """Raw 64-bit pagemap entries of the pages holding ``vaddrs``."""
        fd = self.fd
        out = []
        for addr in vaddrs:
            try:
                data = os.pread(fd, 8, (addr >> PAGE_SHIFT) * 8)
            except ProcessLookupError:
                raise TargetGone(f"process {self.pid} has exited") from None
            except OSError as e:
                if e.errno == 3:
                    raise TargetGone(f"process {self.pid} has exited") from None
                data = b""
            out.append(struct.unpack("<Q", data)[0] if len(data) == 8 else 0)
        return out

    def range_entries(self, start: int, end: int) -> list[int]:
        """Raw pagemap entries of every page of ``[start, end)`` in one read."""
        first, last = start >> PAGE_SHIFT, (end + PAGE_SIZE - 1) >> PAGE_SHIFT
        try:
            data = os.pread(self.fd, 8 * (last - first), first * 8)
        except ProcessLookupError:
            raise TargetGone(f"process {self.pid} has exited") from None
        except OSError as e:
            if e.errno == 3:
                raise TargetGone(f"process {self.pid} has exited") from None
            data = b""
        n = len(data) // 8
        return list(struct.unpack(f"<{n}Q", data[:n * 8])) + [0] * (last - first - n)

    def pfns(self, vaddrs: Sequence[int]) -> list[int]:
        """PFN of each page, or ``NO_PFN`` when not present (swapped or never touched)."""
        return [e & PM_PFN_MASK if e & PM_PRESENT and e & PM_PFN_MASK else NO_PFN
                for e in self.entries(vaddrs)]

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class PageIdleBitmap:
    """``/sys/kernel/mm/page_idle/bitmap``: one bit per PFN, read and written in u64 words.

    Writing a 1 bit marks a page idle (zero bits are ignored by the kernel); reading
    gives 1 for pages still idle.  Pages the kernel cannot track (not on an LRU list:
    kernel memory, free pages, the shared zero page) ignore the write and read 0;
    ``set_idle`` reads the bits back so callers can tell those apart from accesses.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            raise OpsError(f"{path} does not exist "
                           "(kernel without CONFIG_IDLE_PAGE_TRACKING)") from None
        except PermissionError:
            raise OpsError(f"permission denied opening {path} "
                           "(page idle tracking needs root)") from None

    @staticmethod
    def _by_word(pfns: Iterable[int]) -> dict[int, int]:
        words: dict[int, int] = {}
        for pfn in pfns:
            if pfn >= 0:
                words[pfn >> 6] = words.get(pfn >> 6, 0) | (1 << (pfn & 63))
        return words

    def _read_word(self, index: int) -> int:
        data = os.pread(self.fd, 8, index * 8)
        return struct.unpack("<Q", data)[0] if len(data) == 8 else 0

    def _write_word(self, index: int, value: int) -> None:
        os.pwrite(self.fd, struct.pack("<Q", value), index * 8)

    def set_idle(self, pfns: Sequence[int]) -> list[bool]:
        """Mark the pages idle; return, per PFN, whether the kernel tracks it."""
        words = self._by_word(pfns)
        for index, mask in words.items():
            self._write_word(index, mask)
        back = {index: self._read_word(index) for index in words}
        return [pfn >= 0 and bool(back[pfn >> 6] >> (pfn & 63) & 1) for pfn in pfns]

    def idle(self, pfns: Sequence[int]) -> list[bool]:
        """Per PFN, whether the page is still idle (``NO_PFN`` reads as idle)."""
        words = {index: self._read_word(index) for index in self._by_word(pfns)}
        return [pfn < 0 or bool(words[pfn >> 6] >> (pfn & 63) & 1) for pfn in pfns]

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class HostMemMetrics:
    """DAMOS quota-goal and watermark metrics of the whole machine, for real ops sets.

    Read from ``<root>/proc`` (the mixing class sets ``self.procfs``, then calls
    :meth:`_init_host_metrics`), with the kernel's definitions (damon-reference §3.6, §4):

    * ``free_mem_bp`` (``node_mem_free_bp``; ``node_mem_used_bp`` = 10000 - it):
      ``MemFree · 10000 / MemTotal`` -- free pages, not ``MemAvailable``, as the kernel's
      ``si_meminfo``.  The goal's ``nid`` is not used: this is the whole machine.
    * ``free_mem_rate`` (watermarks): the same in permil (``NR_FREE_PAGES`` / totalram).
    * ``active_mem_bp`` / ``inactive_mem_bp``: ``Active`` (or ``Inactive``) · 10000 /
      (``Active`` + ``Inactive``), the global LRU lists.
    * ``some_mem_psi_us``: the growth of the ``some`` total of ``/proc/pressure/memory``
      since the previous evaluation.  Like the kernel's ``last_psi_total`` it starts at
      0, so the first evaluation sees the total since boot (which only holds the quota at
      its minimum, where it starts anyway).  One ``last`` per operations set, not per
      goal: two schemes with PSI goals would share the deltas.

    A metric this machine cannot give is ``None`` on the instance (the DAMOS runtime then
    refuses goals on it) and :meth:`goal_metric_unavailable` says why in one sentence.
    """

    procfs: ProcFS
    #: the goal metrics, bound in :meth:`_init_host_metrics` (None: unavailable here)
    some_mem_psi_us: Callable[[], int] | None
    active_mem_bp: Callable[[], int] | None
    inactive_mem_bp: Callable[[], int] | None

    def _init_host_metrics(self) -> None:
        self._unavailable: dict[str, str] = {}
        self._psi_last = 0
        try:
            self.procfs.psi_memory_some_total_us()
            self.some_mem_psi_us = self._some_mem_psi_us
        except OpsError as e:
            self.some_mem_psi_us = None
            self._unavailable["some_mem_psi_us"] = f"some_mem_psi_us needs PSI: {e}"
        info = self.procfs.meminfo()
        meminfo = self.procfs.proc / "meminfo"
        if "Active" in info and "Inactive" in info:
            self.active_mem_bp = self._active_mem_bp
            self.inactive_mem_bp = self._inactive_mem_bp
        else:
            self.active_mem_bp = self.inactive_mem_bp = None
            for name in ("active_mem_bp", "inactive_mem_bp"):
                self._unavailable[name] = f"{name} needs the Active and Inactive lines of " \
                                          f"{meminfo}, which it lacks"
        self._meminfo_free = info.get("MemTotal", 0) > 0 and "MemFree" in info

    def goal_metric_unavailable(self, metric: str) -> str | None:
        """Why this machine cannot measure ``metric`` (one sentence), or None."""
        return self._unavailable.get(metric)

    def free_mem_bp(self) -> int:
        """Free memory / total memory in bp (``node_mem_free_bp``)."""
        if self._meminfo_free:
            info = self.procfs.meminfo()
            total = info.get("MemTotal", 0)
            if total > 0:
                return min(10000, info.get("MemFree", 0) * 10000 // total)

        vm = psutil.virtual_memory()
        return vm.free * 10000 // vm.total

    def free_mem_rate(self) -> int:
        """Free memory in permil (the watermarks' ``free_mem_rate``)."""
        return self.free_mem_bp() // 10

    def _lru_bp(self, key: str) -> int:
        info = self.procfs.meminfo()
        act, inact = info.get("Active", 0), info.get("Inactive", 0)
        if act + inact <= 0:
            return 0
        return (act if key == "Active" else inact) * 10000 // (act + inact)

    def _active_mem_bp(self) -> int:
        return self._lru_bp("Active")

    def _inactive_mem_bp(self) -> int:
        return self._lru_bp("Inactive")

    def _some_mem_psi_us(self) -> int:
        try:
            now = self.procfs.psi_memory_some_total_us()
        except OpsError:
            return 0  # vanished while running (a fake root): no stall seen
        delta, self._psi_last = max(0, now - self._psi_last), now
        return delta
