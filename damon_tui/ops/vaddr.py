"""The ``vaddr`` and ``fvaddr`` operations sets: a live process's virtual address space."""

from __future__ import annotations

import bisect
import errno
import os
import subprocess
import time
from array import array
from collections.abc import Callable, Iterable, Sequence

from damon_tui import capabilities
from damon_tui.errors import UserError
from damon_tui.ops import madvise
from damon_tui.ops.base import Ops, OpsError, TargetGone, TargetInfo
from damon_tui.ops.names import mapping_name
from damon_tui.ops.procfs import (
    NO_PFN,
    PAGE_SIZE,
    PM_FILE,
    PM_PRESENT,
    HostMemMetrics,
    PageIdleBitmap,
    Pagemap,
    ProcFS,
)

Range = tuple[int, int]


def _align_up(x: int, align: int) -> int:
    return (x + align - 1) // align * align


def three_regions(vmas: Iterable[Range], min_region_sz: int = 4096) -> list[Range]:
    """The kernel's three regions of an address space (damon-reference §2).

    Finds the two biggest gaps between the sorted VMAs (strictly bigger wins, so ties
    keep the earlier gap) and returns the three ranges around them, every boundary
    rounded up to ``min_region_sz``.  Raises ``ValueError`` (the kernel's EINVAL) when
    there are not two non-empty gaps.
    """
    vmas = sorted(vmas)
    if not vmas:
        raise ValueError("three_regions: no VMAs")
    first_gap: Range = (0, 0)
    second_gap: Range = (0, 0)
    prev_end = None
    for start, end in vmas:
        if prev_end is not None:
            gap = (prev_end, start)
            size = start - prev_end
            if size > first_gap[1] - first_gap[0]:
                second_gap = first_gap
                first_gap = gap
            elif size > second_gap[1] - second_gap[0]:
                second_gap = gap
        prev_end = end
    if first_gap[1] - first_gap[0] <= 0 or second_gap[1] - second_gap[0] <= 0:
        raise ValueError("three_regions: fewer than three separable chunks")
    g1, g2 = sorted((first_gap, second_gap))
    a = min_region_sz
    start = vmas[0][0]
    last_end = max(end for _, end in vmas)
    return [
        (_align_up(start, a), _align_up(g1[0], a)),
        (_align_up(g1[1], a), _align_up(g2[0], a)),
        (_align_up(g2[1], a), _align_up(last_end, a)),
    ]


# ---------------------------------------------------------------------------
# VaddrOps / FvaddrOps: live processes
# ---------------------------------------------------------------------------
#
# Access checks (chosen by capability, ``access_check`` / ``resolution`` say which):
#
# * ``page idle`` -- root and /sys/kernel/mm/page_idle/bitmap: at prepare each sampled
#   virtual page is translated to its PFN through /proc/PID/pagemap and marked idle;
#   at check the page is translated again and its idle bit read.  A page that is not
#   present is not accessed; a page that became present (or changed PFN) since
#   prepare was faulted in, i.e. accessed; a page the kernel cannot track (not on an
#   LRU list, e.g. the shared zero page) reads as not accessed.  Resolution: one page,
#   like the kernel's vaddr.
#
# * ``clear_refs`` -- /proc/PID/clear_refs + /proc/PID/smaps, for root or the owner of
#   the process: prepare writes ``1`` to clear_refs (one write per target and sample),
#   check reads smaps once for all sampled addresses.  smaps only tells how many bytes
#   of each mapping were referenced, so a sampled address counts as accessed when a
#   deterministic hash of (page, sample number) falls below the mapping's referenced
#   fraction ``Referenced / Size`` (the mapping's virtual size, so pages that are not
#   resident count as not accessed, as in the per-page rule).  Every region of a
#   mapping therefore carries the mapping's fraction in expectation; nothing finer is
#   invented.  Resolution: one mapping.  Note: clear_refs also clears the accessed
#   bits the target's own reclaim uses (page idle tracking does not); and smaps counts
#   a page as referenced when its PG_referenced flag is set, which other processes
#   sharing a file page (libc) can set: an idle process can show a little access there.
#
# Default intervals per method keep the monitor's own CPU low (bench/vaddr_overhead.py):
# * clear_refs walks every page table of the target twice per sample (clear + smaps):
#   its cost grows with the target's resident size (about 45 us of CPU per resident
#   MiB per sample on the development machine).  The default sampling interval is
#   measured at start: the cost of one clear + read cycle divided by a 4 % CPU budget,
#   at least 100 ms; aggregation = 20 samples.  The cost is measured again while
#   monitoring, for free, from the CPU time prepare and check already take (their mean
#   per sample since the previous look): :meth:`VaddrOps.retune_hint` gives the
#   intervals the budget asks for now, and ``damon_tui.retune.IntervalRetuner`` (polled
#   once per snapshot by ``monitor`` / ``record``) applies them through
#   ``Monitor.set_attrs`` when they differ enough from the current ones -- only when
#   the user set neither ``--sample`` nor ``--aggr``.  So a launched command that grows
#   gets longer intervals instead of exceeding the budget; never below 100 ms.
# * page idle costs ~5 syscalls per region per sample whatever the resident size, so
#   it samples every 20 ms and aggregates every 400 ms.

ACCESS_CHECKS = ("auto", "page-idle", "clear-refs")
#: (sample_us, aggr_us) defaults for page idle checks
PAGE_IDLE_INTERVALS = (20_000, 400_000)
#: clear_refs: share of one core the default sampling interval aims at, its floor,
#: and samples per aggregation
CLEAR_REFS_CPU_BUDGET = 0.04
CLEAR_REFS_MIN_SAMPLE_US = 100_000
SAMPLES_PER_AGGR = 20
#: samples between two cost re-measurements (:meth:`VaddrOps.retune_hint`)
RETUNE_MIN_SAMPLES = SAMPLES_PER_AGGR
MADVISE_ACTIONS = ("willneed", "cold", "pageout", "collapse")

_M64 = (1 << 64) - 1


def _mix(x: int) -> int:
    """splitmix64 finaliser: a well-spread 64-bit hash of ``x``."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def referenced_hit(addr: int, sample: int, fraction: float) -> bool:
    """The per-mapping rule: page ``addr`` counts as accessed in ``sample`` with
    probability ``fraction`` (deterministic)."""
    if fraction <= 0.0:
        return False
    if fraction >= 1.0:
        return True
    return _mix((addr >> 12) ^ (sample << 40)) < int(fraction * 2.0**64)


def clear_refs_intervals(cost_s: float) -> tuple[int, int]:
    """(sample_us, aggr_us) that keep ``cost_s`` CPU seconds per sample within
    ``CLEAR_REFS_CPU_BUDGET`` of one core: rounded up to 10 ms, at least
    ``CLEAR_REFS_MIN_SAMPLE_US``; aggregation = ``SAMPLES_PER_AGGR`` samples."""
    cost_us = max(0.0, cost_s) * 1e6
    sample_us = max(CLEAR_REFS_MIN_SAMPLE_US,
                    -(-int(cost_us / CLEAR_REFS_CPU_BUDGET) // 10_000) * 10_000)
    return sample_us, sample_us * SAMPLES_PER_AGGR


def doctor_line(key: str, root: str | os.PathLike | None = None) -> str:
    """The ``damon-tui doctor`` line for ``key`` (best effort)."""
    try:
        return capabilities.detect(root, our_pids=()).line(key)
    except Exception:  # noqa: BLE001 - a doctor line must never hide the real error
        return f"{key}: see `damon-tui doctor`"


def with_doctor_line(reason: str, key: str, root: str | os.PathLike | None = None) -> str:
    """``reason (doctor line)``, or the doctor line alone when it already says ``reason``."""
    line = doctor_line(key, root)
    return line if reason and reason in line else f"{reason} ({line})"


class _Target:
    """Per-process state of a vaddr ops."""

    def __init__(self, pid: int, procfs: ProcFS) -> None:
        self.pid = pid
        self.gone = False
        self.pagemap: Pagemap | None = None
        self.pidfd = -1
        self.prep_pfns: list[int] = []
        self.prep_tracked: list[bool] = []
        self.maps_cache: tuple[float, list[tuple[int, int]]] = (-1.0, [])
        #: ``(start, end, name)`` of every mapping at the latest maps read
        self.names: list[tuple[int, int, str]] | None = None


class VaddrOps(HostMemMetrics, Ops):
    """A live process's virtual address space (the kernel's ``vaddr``)."""

    kind = "vaddr"
    clock = "wall"

    def __init__(self, pids: Sequence[int], *, access_check: str = "auto",
                 root: str | os.PathLike | None = None,
                 child: subprocess.Popen | None = None,
                 cpu_clock: Callable[[], float] = time.thread_time) -> None:
        if access_check not in ACCESS_CHECKS:
            raise UserError(f"--access-check: expected one of {', '.join(ACCESS_CHECKS)}, "
                            f"got {access_check!r}")
        if not pids:
            raise UserError("vaddr: no process to monitor")
        self.procfs = ProcFS(root)
        self.child = child
        self._targets = [_Target(int(pid), self.procfs) for pid in pids]
        self._sample = 0
        self._bitmap: PageIdleBitmap | None = None
        self._default_intervals: tuple[int, int] | None = None
        #: CPU seconds this ops spent in prepare/check (its own overhead), measured with
        #: ``cpu_clock`` (this thread's CPU time; tests inject a fake cost model)
        self.cpu_s = 0.0
        self._cpu_clock = cpu_clock
        #: (sample count, cpu_s) at the previous :meth:`retune_hint`
        self._hint_at = (0, 0.0)
        #: mean CPU seconds per sample measured by the last :meth:`retune_hint`
        self.last_sample_cost_s: float | None = None
        for t in self._targets:
            self._validate(t.pid)
        self._choose_access_check(access_check)
        self._madvise_ok, self._madvise_reason = self._probe_madvise()
        self._init_host_metrics()

    # -- setup -------------------------------------------------------------

    def _validate(self, pid: int) -> None:
        if pid <= 0 or not self.procfs.pid_path(pid, "").exists():
            raise UserError(f"no process with PID {pid}")
        if self.procfs.pid_state(pid) == "Z":
            raise UserError(f"process {pid} has exited (it is a zombie)")
        try:
            maps = self.procfs.read_maps(pid)
        except TargetGone:
            raise UserError(f"no process with PID {pid}") from None
        except OpsError as e:
            if os.geteuid() == 0:
                raise UserError(f"{e}: the kernel refuses this process even to root (e.g. "
                                "it belongs to another user namespace or is not dumpable)"
                                ) from None
            raise UserError(f"{e}: you can monitor only your own processes unless you are "
                            f"root ({doctor_line('root', self.procfs.root)})") from None
        if not maps:
            raise UserError(f"process {pid} has no user memory (a kernel thread?)")

    def _choose_access_check(self, wanted: str) -> None:
        reason = ""
        if wanted in ("auto", "page-idle"):
            try:
                bitmap = self.procfs.open_page_idle()
                for t in self._targets:
                    t.pagemap = self.procfs.open_pagemap(t.pid)
                    if os.geteuid() != 0 and self.procfs.root == ProcFS("/").root:
                        raise OpsError("pagemap hides PFNs from non-root users")
                self._bitmap = bitmap
            except (OpsError, TargetGone) as e:
                reason = str(e)
                for t in self._targets:
                    if t.pagemap is not None:
                        t.pagemap.close()
                        t.pagemap = None
                if wanted == "page-idle":
                    raise UserError("--access-check page-idle: " + with_doctor_line(
                        reason, "page_idle", self.procfs.root)) from None
        if self._bitmap is not None:
            self.access_check = "page idle"
            self.resolution = "per page"
        else:
            for t in self._targets:
                try:
                    self.procfs.clear_refs(t.pid)
                except (OpsError, TargetGone) as e:
                    raise UserError(f"{e}: clear_refs checks need root or the process's "
                                    f"owner ({doctor_line('ops:vaddr', self.procfs.root)})"
                                    ) from None
            self.access_check = "clear_refs"
            self.resolution = "per mapping"
        self.fallback_reason = reason

    def _probe_madvise(self) -> tuple[bool, str]:
        ok, detail = madvise.probe()
        if not ok:
            return False, detail
        cap = 0
        try:
            for line in (self.procfs.proc / "self" / "status").read_text().splitlines():
                if line.startswith("CapEff:"):
                    cap = int(line.split()[1], 16)
        except OSError:
            pass
        if os.geteuid() != 0 and not cap >> 23 & 1:
            return False, ("process_madvise on another process needs CAP_SYS_NICE, "
                           "which this user does not have")
        return True, detail

    def measure_sample_cost(self, repeat: int = 3) -> float:
        """CPU seconds of one clear_refs + smaps cycle over all targets (best of ``repeat``)."""
        best = float("inf")
        for _ in range(repeat):
            t0 = self._cpu_clock()
            for t in self._targets:
                self.procfs.clear_refs(t.pid)
                self.procfs.read_smaps(t.pid)
            best = min(best, self._cpu_clock() - t0)
        return best

    @property
    def default_intervals(self) -> tuple[int, int]:
        """(sample_us, aggr_us) that keep this access check's CPU cost low."""
        if self.access_check == "page idle":
            return PAGE_IDLE_INTERVALS
        if self._default_intervals is None:
            try:
                cost_s = self.measure_sample_cost()
            except (OpsError, TargetGone):
                cost_s = 0.0
            self._default_intervals = clear_refs_intervals(cost_s)
        return self._default_intervals

    #: the sampling interval retuning never goes below
    retune_floor_us = CLEAR_REFS_MIN_SAMPLE_US

    def retune_hint(self) -> tuple[int, int] | None:
        """(sample_us, aggr_us) the clear_refs CPU budget asks for now, or None.

        The cost is the mean CPU time prepare + check took per sample since the previous
        call (timings this ops takes anyway; no extra procfs read).  None with page idle
        checks (their cost does not grow with the target) and until
        ``RETUNE_MIN_SAMPLES`` samples have passed since the previous call.
        """
        if self.access_check != "clear_refs":
            return None
        samples0, cpu0 = self._hint_at
        samples = self._sample - samples0
        if samples < RETUNE_MIN_SAMPLES:
            return None
        cost_s = (self.cpu_s - cpu0) / samples
        self._hint_at = (self._sample, self.cpu_s)
        self.last_sample_cost_s = cost_s
        return clear_refs_intervals(cost_s)

    # -- Ops interface -----------------------------------------------------

    def targets(self) -> list[TargetInfo]:
        out = []
        for i, t in enumerate(self._targets):
            cmd = self.procfs.cmdline(t.pid) or "?"
            if len(cmd) > 60:
                cmd = cmd[:57] + "..."
            out.append(TargetInfo(i, f"pid {t.pid} ({cmd})", pid=t.pid))
        return out

    def pids(self) -> list[int]:
        return [t.pid for t in self._targets]

    def _vmas(self, t: _Target) -> list[tuple[int, int]] | None:
        try:
            maps = self.procfs.read_maps(t.pid)
        except (TargetGone, OpsError):
            return None
        # [vsyscall] is a gate area listed by maps, not a VMA of the mm: the kernel's
        # three-regions walk never sees it (it would make the top gap terabytes wide)
        kept = [m for m in maps if m.path != "[vsyscall]"]
        vmas = [(m.start, m.end) for m in kept]
        t.maps_cache = (time.monotonic(), vmas)
        t.names = [(m.start, m.end, mapping_name(m.path)) for m in kept]
        return vmas

    def mapping_names(self, target_idx: int) -> list[tuple[int, int, str]]:
        """Names from ``/proc/PID/maps`` as read at the latest update interval."""
        t = self._targets[target_idx]
        if t.names is None and not t.gone:
            self._vmas(t)
        return list(t.names or [])

    def target_ranges(self, target_idx: int) -> list[tuple[int, int]] | None:
        t = self._targets[target_idx]
        if t.gone:
            if all(x.gone for x in self._targets):
                raise TargetGone(f"process {t.pid} has exited")
            return None
        vmas = self._vmas(t)
        if not vmas:
            if not self._check_alive(t):
                # a target without regions is never sampled: notice its exit here
                self._target_gone(t)
            return None
        try:
            return three_regions(vmas, self.min_region_sz)
        except ValueError:
            return None

    def _target_gone(self, t: _Target) -> None:
        """Mark ``t`` gone; raise ``TargetGone`` once every target is gone."""
        t.gone = True
        if all(x.gone for x in self._targets):
            raise TargetGone(f"process {t.pid} has exited")

    def _check_alive(self, t: _Target) -> bool:
        if self.child is not None and self.child.pid == t.pid and self.child.poll() is not None:
            return False
        return self.procfs.is_alive(t.pid)

    def prepare_access_checks(self, target_idx: int, addrs: array, now_us: int) -> None:
        t = self._targets[target_idx]
        if t.gone:
            return
        t0 = self._cpu_clock()
        try:
            if self._bitmap is not None and t.pagemap is not None:
                t.prep_pfns = t.pagemap.pfns(addrs)
                t.prep_tracked = self._bitmap.set_idle(t.prep_pfns)
            else:
                self.procfs.clear_refs(t.pid)
        except TargetGone:
            t.gone = True
        self.cpu_s += self._cpu_clock() - t0

    def check_accesses(self, target_idx: int, addrs: array, out: array, now_us: int) -> None:
        t = self._targets[target_idx]
        n = len(addrs)
        if target_idx == 0:
            self._sample += 1
        if t.gone or not self._check_alive(t):
            for i in range(n):
                out[i] = 0
            self._target_gone(t)
            return
        t0 = self._cpu_clock()
        try:
            if self._bitmap is not None and t.pagemap is not None:
                self._check_page_idle(t, addrs, out)
            else:
                self._check_referenced(t, addrs, out)
        except TargetGone:
            for i in range(n):
                out[i] = 0
            self._target_gone(t)
        finally:
            self.cpu_s += self._cpu_clock() - t0

    def _check_page_idle(self, t: _Target, addrs: array, out: array) -> None:
        assert self._bitmap is not None and t.pagemap is not None
        pfns = t.pagemap.pfns(addrs)
        idle = self._bitmap.idle(pfns)
        before, tracked = t.prep_pfns, t.prep_tracked
        have_prep = len(before) == len(pfns)
        for i, pfn in enumerate(pfns):
            if pfn == NO_PFN:
                out[i] = 0
            elif not have_prep or pfn != before[i]:
                out[i] = 1  # faulted in (or replaced) since prepare: accessed
            else:
                out[i] = 1 if tracked[i] and not idle[i] else 0

    def _check_referenced(self, t: _Target, addrs: array, out: array) -> None:
        entries = self.procfs.read_smaps(t.pid)
        if not entries and not self._check_alive(t):
            raise TargetGone(f"process {t.pid} has exited")
        starts = [e.start for e in entries]
        sample = self._sample
        for i, addr in enumerate(addrs):
            j = bisect.bisect_right(starts, addr) - 1
            if j < 0 or addr >= entries[j].end:
                out[i] = 0
                continue
            e = entries[j]
            frac = e.referenced / (e.end - e.start)
            out[i] = 1 if referenced_hit(addr, sample, frac) else 0

    # -- DAMOS -------------------------------------------------------------

    def supported_filters(self) -> frozenset[str]:
        """``anon``: judged per page from /proc/PID/pagemap (present, not a file page)."""
        return frozenset({"anon"})

    def unsupported_filter_reason(self, filter_type: str) -> str:
        """Why an ops (per page) filter is refused, in one sentence."""
        return (f"the {self.kind} operations set judges pages only from /proc/PID/pagemap, "
                f"which tells anonymous from file pages but not '{filter_type}'")

    def apply_scheme(self, target_idx: int, action: str, start: int, end: int,
                     filters: Sequence[tuple] = (), default_reject: bool = False,
                     young_since_us: int | None = None) -> tuple[int, int]:
        """Apply ``action`` to the present pages passing the ``anon`` filters, in runs;
        ``(bytes applied, bytes that passed)`` (0 passed without ops filters)."""
        if not filters:
            return self.apply_action(target_idx, action, start, end), 0
        t = self._targets[target_idx]
        if t.gone:
            return 0, 0
        lo = start & ~(PAGE_SIZE - 1)
        pagemap = self.procfs.open_pagemap(t.pid)
        try:
            entries = pagemap.range_entries(lo, end)
        finally:
            pagemap.close()
        runs: list[list[int]] = []
        passed = 0
        for k, e in enumerate(entries):
            if not e & PM_PRESENT:
                continue  # no folio to judge
            ok = not default_reject
            for ftype, matching, allow, *_ in filters:
                if ftype == "anon" and (not e & PM_FILE) == bool(matching):
                    ok = bool(allow)
                    break
            if not ok:
                continue
            passed += PAGE_SIZE
            addr = lo + k * PAGE_SIZE
            if runs and runs[-1][1] == addr:
                runs[-1][1] = addr + PAGE_SIZE
            else:
                runs.append([addr, addr + PAGE_SIZE])
        applied = 0
        if action != "stat":
            for s, e in runs:
                applied += self.apply_action(target_idx, action, s, e)
        return applied, passed

    def supported_actions(self) -> frozenset[str]:
        if self._madvise_ok:
            return frozenset({"stat", *MADVISE_ACTIONS})
        return frozenset({"stat"})

    def unsupported_reason(self, action: str) -> str:
        if action in MADVISE_ACTIONS and not self._madvise_ok:
            return f"'{action}' needs process_madvise: {self._madvise_reason}"
        if action in ("hugepage", "nohugepage"):
            return (f"'{action}' sets MADV_HUGEPAGE/MADV_NOHUGEPAGE, which change the target's "
                    "VMA flags; process_madvise(2) refuses them, so only the process itself "
                    "can apply them")
        if action in ("lru_prio", "lru_deprio"):
            return (f"'{action}' reorders the kernel's LRU lists; user space has no interface "
                    "for that (only the kernel's paddr operations set implements it)")
        if action in ("migrate_hot", "migrate_cold"):
            return (f"'{action}' is not implemented in user space (it would need move_pages(2) "
                    "and a destination NUMA node)")
        return f"the {self.kind} operations set cannot apply '{action}'"

    def _pidfd(self, t: _Target) -> int:
        if t.pidfd < 0:
            try:
                t.pidfd = madvise.pidfd_open(t.pid)
            except ProcessLookupError:
                raise TargetGone(f"process {t.pid} has exited") from None
        return t.pidfd

    def _mapped_pieces(self, t: _Target, start: int, end: int) -> list[tuple[int, int]]:
        stamp, vmas = t.maps_cache
        if time.monotonic() - stamp > 0.05:
            vmas = self._vmas(t) or []
        pieces = []
        j = bisect.bisect_right([v[1] for v in vmas], start)
        for vs, ve in vmas[j:]:
            if vs >= end:
                break
            lo, hi = max(vs, start), min(ve, end)
            if lo < hi:
                pieces.append((lo, hi))
        return pieces

    def apply_action(self, target_idx: int, action: str, start: int, end: int) -> int:
        """``process_madvise`` on the mapped parts of ``[start, end)``; bytes advised."""
        if action == "stat" or action not in self.supported_actions():
            return 0

        t = self._targets[target_idx]
        if t.gone:
            return 0
        pieces = self._mapped_pieces(t, start & ~4095, (end + 4095) & ~4095)
        if not pieces:
            return 0
        advice = madvise.ADVICE[action]
        try:
            fd = self._pidfd(t)
            try:
                return madvise.process_madvise(fd, pieces, advice)
            except OSError as e:
                if e.errno == errno.EPERM:
                    raise OpsError(f"process_madvise on pid {t.pid}: permission denied "
                                   "(needs CAP_SYS_NICE)") from None
                if e.errno == errno.ESRCH:
                    return 0
                # one piece failed (e.g. EINVAL for collapse on an ineligible VMA): try
                # the pieces one by one and count what the kernel accepted
                total = 0
                for piece in pieces:
                    try:
                        total += madvise.process_madvise(fd, [piece], advice)
                    except OSError:
                        pass
                return total
        except TargetGone:
            return 0

    def close(self) -> None:
        for t in self._targets:
            if t.pagemap is not None:
                t.pagemap.close()
                t.pagemap = None
            if t.pidfd >= 0:
                os.close(t.pidfd)
                t.pidfd = -1
        if self._bitmap is not None:
            self._bitmap.close()
            self._bitmap = None
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()


class FvaddrOps(VaddrOps):
    """Fixed virtual address ranges of a process (the kernel's ``fvaddr``): never refreshed."""

    kind = "fvaddr"

    def __init__(self, pid: int, ranges: Sequence[tuple[int, int]], **kwargs) -> None:
        ranges = sorted((int(s), int(e)) for s, e in ranges)
        if not ranges:
            raise UserError("fvaddr: --regions gave no range")
        for (s, e), nxt in zip(ranges, [*ranges[1:], None], strict=True):
            if s >= e:
                raise UserError(f"--regions: range {s:#x}-{e:#x} is empty (start >= end)")
            if nxt is not None and nxt[0] < e:
                raise UserError(f"--regions: ranges {s:#x}-{e:#x} and {nxt[0]:#x}-{nxt[1]:#x} "
                                "overlap")
        self._fixed = ranges
        super().__init__([pid], **kwargs)

    def target_ranges(self, target_idx: int) -> list[tuple[int, int]] | None:
        return list(self._fixed)

    def update_each_interval(self) -> bool:
        return False
