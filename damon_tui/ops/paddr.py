"""The ``paddr`` operations set: the machine's physical memory, checked by page idle tracking.

Needs root and ``/sys/kernel/mm/page_idle/bitmap``.  Target ranges are the ``System
RAM`` ranges of ``/proc/iomem`` (adjacent ones merged) or the user's ``--regions``,
fixed after init like the kernel's paddr.  Each sampled physical address is a PFN:
marked idle at prepare, its bit read at check.  Pages the kernel cannot track (not on
an LRU list: kernel memory, free pages) read as not accessed, like the kernel's
``damon_pa_young``.  ``stat`` is the only DAMOS action user space can take here.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Sequence

from damon_tui.errors import UserError
from damon_tui.ops.base import Ops, OpsError, TargetInfo
from damon_tui.ops.procfs import (
    KPF_ACTIVE,
    KPF_ANON,
    KPF_HUGE,
    KPF_LRU,
    KPF_MMAP,
    KPF_THP,
    PAGE_SHIFT,
    PAGE_SIZE,
    HostMemMetrics,
    PageIdleBitmap,
    ProcFS,
)
from damon_tui.ops.vaddr import doctor_line

#: (sample_us, aggr_us): ~3 syscalls per region per sample
DEFAULT_INTERVALS = (20_000, 400_000)


class PaddrOps(HostMemMetrics, Ops):
    """Physical address space monitoring through page idle tracking."""

    kind = "paddr"
    clock = "wall"
    resolution = "per page"
    access_check = "page idle"
    default_intervals = DEFAULT_INTERVALS

    def supported_filters(self) -> frozenset[str]:
        """Ops filters judged per page from /proc/kpageflags (and page idle for young)."""
        try:
            self.procfs.kpageflags(0, 1)
        except OpsError:
            return frozenset()
        return frozenset({"anon", "active", "young", "hugepage_size", "unmapped"})

    def unsupported_filter_reason(self, filter_type: str) -> str:
        """Why an ops (per page) filter is refused, in one sentence."""
        if filter_type == "memcg":
            return ("the paddr operations set cannot evaluate 'memcg' filters (it does not "
                    "map memory cgroup paths to /proc/kpagecgroup)")
        return (f"the paddr operations set judges '{filter_type}' page by page from "
                f"{self.procfs.proc / 'kpageflags'}, which cannot be read here")

    def apply_scheme(self, target_idx: int, action: str, start: int, end: int,
                     filters: Sequence[tuple] = (), default_reject: bool = False,
                     young_since_us: int | None = None) -> tuple[int, int]:
        """``damon_pa_stat``: (0 applied, bytes of LRU pages passing the ops filters).

        Page facts come from /proc/kpageflags; young is "not idle" in the page idle
        bitmap, and judged pages are marked idle again (the kernel's mkold).
        """
        if action != "stat" or not filters:
            return 0, 0
        pfn0, pfn1 = start >> PAGE_SHIFT, (end + (1 << PAGE_SHIFT) - 1) >> PAGE_SHIFT
        flags = self.procfs.kpageflags(pfn0, pfn1 - pfn0)
        pfns = list(range(pfn0, pfn1))
        young = None
        if any(f[0] == "young" for f in filters) and self._bitmap is not None:
            young = [not i for i in self._bitmap.idle(pfns)]
            self._bitmap.set_idle(pfns)
        passed = 0
        for k, fl in enumerate(flags):
            if not fl >> KPF_LRU & 1:
                continue  # damon_get_folio: not an LRU folio, nothing to judge
            ok = not default_reject
            for ftype, matching, allow, hmin, hmax in filters:
                if ftype == "anon":
                    m = bool(fl >> KPF_ANON & 1)
                elif ftype == "active":
                    m = bool(fl >> KPF_ACTIVE & 1)
                elif ftype == "young":
                    m = bool(young and young[k])
                elif ftype == "hugepage_size":
                    sz = 2 << 20 if fl >> KPF_THP & 1 or fl >> KPF_HUGE & 1 else PAGE_SIZE
                    m = (hmin or 0) <= sz <= (hmax or 0)
                else:  # unmapped
                    m = not fl >> KPF_MMAP & 1
                if m == bool(matching):
                    ok = bool(allow)
                    break
            if ok:
                passed += PAGE_SIZE
        return 0, passed

    def __init__(self, ranges: Sequence[tuple[int, int]] | None = None, *,
                 root: str | os.PathLike | None = None, euid: int | None = None) -> None:
        self.procfs = ProcFS(root)
        euid = os.geteuid() if euid is None else euid
        if euid != 0:
            raise UserError("paddr: monitoring physical memory needs root "
                            f"({doctor_line('ops:paddr', self.procfs.root)})")
        try:
            self._bitmap: PageIdleBitmap | None = self.procfs.open_page_idle()
        except OpsError as e:
            raise UserError(f"paddr: {e} ({doctor_line('ops:paddr', self.procfs.root)})"
                            ) from None
        if ranges:
            self._ranges = sorted((int(s), int(e)) for s, e in ranges)
            desc = "physical " + ",".join(f"{s:#x}-{e:#x}" for s, e in self._ranges)
        else:
            try:
                self._ranges = self.procfs.system_ram()
            except OpsError as e:
                raise UserError(f"paddr: {e}") from None
            if not self._ranges:
                raise UserError(f"paddr: no System RAM in {self.procfs.proc / 'iomem'}")
            desc = "System RAM"
        for (lo, hi), nxt in zip(self._ranges, [*self._ranges[1:], None], strict=True):
            if lo >= hi or (nxt is not None and nxt[0] < hi):
                raise UserError(f"--regions: range {lo:#x}-{hi:#x} is empty or overlaps the "
                                "next")
        self._desc = desc
        self._tracked: list[bool] = []
        self._pfns: list[int] = []
        self._init_host_metrics()

    def targets(self) -> list[TargetInfo]:
        return [TargetInfo(0, self._desc)]

    def target_ranges(self, target_idx: int) -> list[tuple[int, int]] | None:
        return list(self._ranges)

    def mapping_names(self, target_idx: int) -> list[tuple[int, int, str]]:
        name = "System RAM" if self._desc == "System RAM" else "physical"
        return [(s, e, name) for s, e in self._ranges]

    def update_each_interval(self) -> bool:
        return False

    def prepare_access_checks(self, target_idx: int, addrs: array, now_us: int) -> None:
        assert self._bitmap is not None
        self._pfns = [a >> PAGE_SHIFT for a in addrs]
        self._tracked = self._bitmap.set_idle(self._pfns)

    def check_accesses(self, target_idx: int, addrs: array, out: array, now_us: int) -> None:
        assert self._bitmap is not None
        pfns = [a >> PAGE_SHIFT for a in addrs]
        idle = self._bitmap.idle(pfns)
        same = pfns == self._pfns
        for i in range(len(pfns)):
            out[i] = 1 if same and self._tracked[i] and not idle[i] else 0

    def unsupported_reason(self, action: str) -> str:
        if action in ("pageout", "lru_prio", "lru_deprio", "migrate_hot", "migrate_cold"):
            return (f"'{action}' on physical pages needs the kernel's paddr operations set; user "
                    "space can only act on a process's virtual memory (use --pid)")
        return (f"'{action}' is a virtual-memory action; user space cannot apply it to physical "
                "memory (use --pid)")

    def close(self) -> None:
        if self._bitmap is not None:
            self._bitmap.close()
            self._bitmap = None
