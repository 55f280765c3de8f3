"""The ``sim`` operations set: a masim workload simulated in virtual time.

``SimOps("zigzag")`` (a built-in workload, see :func:`builtin_workloads`) or
``SimOps("path/to/config.cfg")`` runs masim's execution model (``damon_tui._fast.sim``)
and answers the engine's access checks from it.

Choices, documented:

- **Access rate**: ``access_rate`` accesses per second of virtual time, default
  :data:`DEFAULT_ACCESS_RATE` (50 M/s, the order of masim's own ``accesses/msec``
  report on a recent desktop); one batch is ``batch`` (131072) accesses.
- **End of the phase list**: the workload *loops*: after the last phase the whole list
  (initial phase included) runs again, like ``while true; do masim x.cfg; done`` but
  keeping the same memory, so runs longer than the config stay meaningful.
- **Layout**: each masim region is its own mapping, in config order, starting at
  :data:`BASE_ADDR`, each starting on a 2 MiB boundary at least 1 MiB after the
  previous one (gaps between mappings, as separate mmaps have).
- **Target ranges**: by default one range per mapping (``ranges="mappings"``): DAMON
  monitors exactly the workload's memory, which is what gives zigzag's "one 100 MB
  region at a time" and stairs' "one 10 MB step" results.  ``ranges="three"`` applies
  the kernel vaddr's three-regions rule (:func:`damon_tui.ops.vaddr.three_regions`)
  to the mappings instead (gaps inside the three ranges are then monitored as
  never-accessed memory); with fewer than three mappings it falls back to mappings.
- **Other memory**: ``free_mem_permil`` (``--sim-free-mem``; the TUI's ``M`` key) is the
  machine's free memory before the workload's pages; the rest is used by other
  processes and lowers ``free_mem_rate`` (so DAMON_RECLAIM's watermarks can be shown).
- **Memory model**: pages start non-resident; the first touch is a page fault and a
  touch after ``pageout`` (or reclaim) is a refault costing ``refault_cost_us``
  (default 50 us, a swap-in).  The modelled machine has ``mem_total`` bytes, default
  1.5 x the workload's footprint, so a fully resident workload leaves 333 permil free:
  inside DAMON_RECLAIM's default watermarks (high 500, mid 400, low 200).  With a
  smaller ``mem_total`` a CLOCK reclaim evicts inactive pages first.
- **Cost of DAMOS actions**: applying an action takes modelled time
  (:class:`ActionCosts`: a per-call cost, a per-page scan cost, and per page actually
  changed: 20 us for a page written to swap by ``pageout``, 0.5 us for an LRU move,
  the refault cost for a page read in by ``willneed``).  DAMOS charges this modelled
  time to the time quota instead of the wall time of the Python call
  (:attr:`SimOps.last_apply_cost_ns`), so ``quota_ms`` bounds the work in virtual time.
  The workload itself is not slowed by it (the kdamond runs on another CPU).
- **LRU metrics**: :meth:`SimOps.active_mem_bp` / :meth:`SimOps.inactive_mem_bp` are
  the active (inactive) share of the resident pages, for the DAMOS quota goals of the
  same names (DAMON_LRU_SORT's ``active_mem_bp``).  Faulted-in pages start active;
  accesses do not promote pages (see ``_fast/sim.pyx``).
- **Ground truth**: :meth:`SimOps.true_access_fraction` and friends answer from the same
  execution the access checks see, within the last ``history`` batches.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from damon_tui import masim
from damon_tui._fast.pagemem import PageMemory
from damon_tui._fast.sim import ACTIONS, FILTER_TYPES, Sim
from damon_tui.errors import UserError
from damon_tui.ops.base import ALL_ACTIONS, Ops, OpsError, Range, TargetInfo
from damon_tui.ops.vaddr import three_regions

#: default simulated accesses per second
DEFAULT_ACCESS_RATE = 50_000_000
#: masim's nr_accesses_per_region default
DEFAULT_BATCH = 131072
DEFAULT_REFAULT_COST_US = 50.0
#: first mapping address (a typical x86-64 mmap area address)
BASE_ADDR = 0x7F3A_0000_0000
_ALIGN = 2 << 20
_MIN_GAP = 1 << 20
PAGE_SIZE = 4096
#: largest workload the per-page memory model accepts (1 byte of state per page)
MAX_FOOTPRINT = 1 << 40
#: fastest simulated access rate accepted (accesses per second)
MAX_ACCESS_RATE = 10**10

_MIGRATE_REASON = (
    "the sim models a single NUMA node, so there is no other node to migrate pages to"
)


# --------------------------------------------------------------- built-ins


def _workload_dir():
    return resources.files("damon_tui").joinpath("workloads")


def builtin_workloads() -> list[str]:
    """Names of the workloads shipped in ``damon_tui/workloads/``."""
    return sorted(
        p.name[: -len(".cfg")] for p in _workload_dir().iterdir() if p.name.endswith(".cfg")
    )


def load_workload(name_or_path: str | Path) -> masim.Workload:
    """A built-in workload by name, or a masim config file by path."""
    text = str(name_or_path)
    names = builtin_workloads()
    if text in names:
        res = _workload_dir().joinpath(f"{text}.cfg")
        return masim.parse_text(res.read_text(), f"{text}.cfg", name=text)
    path = Path(text)
    if path.is_file():
        return masim.parse(path)
    if path.is_dir():
        raise UserError(f"{text}: expected a masim config file, got a directory")
    if path.exists():
        raise UserError(f"{text}: expected a masim config file, got a device, FIFO or socket "
                        "(not a regular file)")
    if "/" in text or "." in text:
        raise UserError(f"{text}: no such masim config file")
    raise UserError(
        f"unknown workload {text!r}: expected a built-in name ({', '.join(names)}) "
        "or the path of a masim config file"
    )


def layout(workload: masim.Workload, base: int = BASE_ADDR) -> list[Range]:
    """The mapping ``(start, end)`` of each region, in config order."""
    spans = []
    addr = base
    for region in workload.regions:
        size = -(-region.size // PAGE_SIZE) * PAGE_SIZE
        spans.append((addr, addr + size))
        addr = -(-(addr + size + _MIN_GAP) // _ALIGN) * _ALIGN
    return spans


# ------------------------------------------------------------------- costs


@dataclass(frozen=True)
class ActionCosts:
    """Modelled time a DAMOS action takes in the sim (charged to the time quota).

    ``call_us`` per apply call, ``scan_ns`` per mapped page of the range, plus per page
    actually changed: ``pageout_us`` (a page written to swap: tens of us),
    ``lru_move_ns`` (cold / lru_deprio / lru_prio: isolate and put back on an LRU
    list), ``willneed_us`` (a page read in; None = the refault cost) and
    ``collapse_ns`` (``collapse``: a page copied into a huge page).
    """

    call_us: float = 1.0
    scan_ns: float = 100.0
    pageout_us: float = 20.0
    lru_move_ns: float = 500.0
    willneed_us: float | None = None
    collapse_ns: float = 250.0

    def __post_init__(self) -> None:
        for name in ("call_us", "scan_ns", "pageout_us", "lru_move_ns", "willneed_us",
                     "collapse_ns"):
            v = getattr(self, name)
            if v is not None and not v >= 0:
                raise UserError(f"action cost {name}: expected >= 0, got {v}")

    def apply_ns(self, action: str, mapped: int, applied_pages: int, paged_out: int,
                 read_in: int, refault_cost_us: float) -> int:
        """Modelled ns of one apply call of ``action``."""
        c = self
        if action == "stat":
            return 0
        ns = c.call_us * 1000 + c.scan_ns * mapped
        if action == "pageout":
            ns += c.pageout_us * 1000 * paged_out
        elif action in ("cold", "lru_deprio", "lru_prio"):
            ns += c.lru_move_ns * applied_pages
        elif action == "willneed":
            per = refault_cost_us if c.willneed_us is None else c.willneed_us
            ns += per * 1000 * read_in
        elif action == "collapse":  # hugepage / nohugepage only mark the range
            ns += c.collapse_ns * mapped
        return int(ns)


# ------------------------------------------------------------------- stats


@dataclass(frozen=True)
class SimStats:
    """The modelled process and machine after ``elapsed_us`` of virtual time."""

    elapsed_us: int
    nr_accesses: int
    phase: str
    rss_bytes: int
    peak_rss_bytes: int
    avg_rss_bytes: float
    page_faults: int
    refaults: int
    bytes_paged_out: int
    bytes_reclaimed: int  # evicted by the modelled reclaim under memory pressure
    willneed_bytes: int
    refault_cost_us: float
    slowdown: float  # refaults x cost / elapsed virtual time
    mem_total: int
    footprint: int
    free_mem_rate: int  # permil
    #: modelled time spent applying DAMOS actions (see :class:`ActionCosts`)
    apply_cost_us: float = 0.0
    active_mem_bp: int = 0


# ------------------------------------------------------ per-page memory model


class PageModelOps(Ops):
    """What the operations sets over the per-page memory model (``damon_tui._fast
    .pagemem``: :class:`SimOps`, ``recorded.RecordedOps``) share: the modelled machine
    and action costs, DAMOS actions charged in modelled time, LRU metrics, stats.

    A subclass sets ``footprint`` before :meth:`_init_model` and ``_model`` (its
    ``PageMemory``) and ``_lock`` after.
    """

    footprint: int
    _model: PageMemory
    _lock: threading.Lock

    def _init_model(self, mem_total: int | None, refault_cost_us: float,
                    action_costs: ActionCosts | None) -> None:
        """The modelled machine (default 1.5 x the footprint) and action costs."""
        if mem_total is None:
            mem_total = self.footprint * 3 // 2
        if mem_total < PAGE_SIZE:
            raise UserError(f"mem_total: expected at least {PAGE_SIZE} bytes, got {mem_total}")
        self.mem_total = int(mem_total) // PAGE_SIZE * PAGE_SIZE
        self.refault_cost_us = float(refault_cost_us)
        self.action_costs = action_costs or ActionCosts()
        #: modelled ns the latest apply call took, and the total so far
        self.last_apply_cost_ns = 0
        self.apply_cost_ns_total = 0

    def supported_actions(self) -> frozenset[str]:
        return frozenset(a for a in ALL_ACTIONS if not a.startswith("migrate_"))

    def unsupported_reason(self, action: str) -> str:
        if action.startswith("migrate_"):
            return _MIGRATE_REASON
        return f"the {self.kind} operations set does not know the action '{action}'"

    def _action_code(self, action: str) -> int:
        code = ACTIONS.get(action)
        if code is None:
            raise OpsError(self.unsupported_reason(action))
        return code

    def _apply_model(self, action: str, start: int, end: int, *args) -> int:
        """``_model.apply`` (the caller holds ``_lock``), its modelled time charged
        (:class:`ActionCosts`); the bytes applied."""
        m = self._model
        paged_out, willneed = m.paged_out, m.willneed_pages
        applied = m.apply(ACTIONS[action], start, end, *args)
        cost = self.action_costs.apply_ns(action, m.last_mapped, applied // PAGE_SIZE,
                                          m.paged_out - paged_out,
                                          m.willneed_pages - willneed, self.refault_cost_us)
        self.last_apply_cost_ns = cost
        self.apply_cost_ns_total += cost
        return applied

    def lru_pages(self) -> tuple[int, int]:
        """(active, inactive) resident pages: the modelled LRU lists."""
        with self._lock:
            return self._model.lru_pages()

    def active_mem_bp(self) -> int:
        """Active / (active + inactive) resident memory, in bp (goal metric)."""
        act, inact = self.lru_pages()
        return act * 10000 // (act + inact) if act + inact else 0

    def inactive_mem_bp(self) -> int:
        """Inactive / (active + inactive) resident memory, in bp (goal metric)."""
        act, inact = self.lru_pages()
        return inact * 10000 // (act + inact) if act + inact else 0

    def _model_stats(self, elapsed_us: int, nr_accesses: int, phase: str,
                     free_mem_rate: int) -> SimStats:
        """:class:`SimStats` of the memory model after ``elapsed_us``."""
        m = self._model
        act, inact = m.lru_pages()
        return SimStats(
            elapsed_us=elapsed_us,
            nr_accesses=nr_accesses,
            phase=phase,
            rss_bytes=m.rss * PAGE_SIZE,
            peak_rss_bytes=m.peak_rss * PAGE_SIZE,
            avg_rss_bytes=m.avg_rss_pages() * PAGE_SIZE,
            page_faults=m.faults,
            refaults=m.refaults,
            bytes_paged_out=m.paged_out * PAGE_SIZE,
            bytes_reclaimed=m.reclaimed * PAGE_SIZE,
            willneed_bytes=m.willneed_pages * PAGE_SIZE,
            refault_cost_us=self.refault_cost_us,
            slowdown=m.refaults * self.refault_cost_us / elapsed_us if elapsed_us else 0.0,
            mem_total=self.mem_total,
            footprint=self.footprint,
            free_mem_rate=free_mem_rate,
            apply_cost_us=self.apply_cost_ns_total / 1000,
            active_mem_bp=act * 10000 // (act + inact) if act + inact else 0,
        )


# --------------------------------------------------------------------- ops


class SimOps(PageModelOps):
    """A simulated masim workload as an operations set (one target)."""

    kind = "sim"
    clock = "virtual"
    resolution = "per page"
    access_check = "simulated"
    min_region_sz = PAGE_SIZE

    def __init__(
        self,
        name_or_path: str | Path | masim.Workload,
        access_rate: float | None = None,
        seed: int = 0,
        *,
        batch: int = DEFAULT_BATCH,
        mem_total: int | None = None,
        refault_cost_us: float = DEFAULT_REFAULT_COST_US,
        history: int = 65536,
        ranges: str = "mappings",
        action_costs: ActionCosts | None = None,
        free_mem_permil: int = 1000,
    ) -> None:
        if isinstance(name_or_path, masim.Workload):
            self.workload = name_or_path
        else:
            self.workload = load_workload(name_or_path)
        self.name = self.workload.name or Path(self.workload.source).name
        rate = DEFAULT_ACCESS_RATE if access_rate is None else access_rate
        if not rate > 0:
            raise UserError(f"access rate: expected a positive number, got {access_rate}")
        if rate > MAX_ACCESS_RATE:  # also inf: the sim counts time in 64-bit access slots
            raise UserError(f"access rate: at most {MAX_ACCESS_RATE:.0e} accesses per second "
                            f"can be simulated, got {access_rate:g}")
        if batch <= 0:
            raise UserError(f"batch: expected a positive number of accesses, got {batch}")
        if ranges not in ("mappings", "three"):
            raise UserError(f"ranges: expected 'mappings' or 'three', got {ranges!r}")
        if refault_cost_us < 0:
            raise UserError(f"refault cost: expected >= 0 us, got {refault_cost_us}")
        self.access_rate = int(rate)
        self.batch = int(batch)
        #: longest sampling interval the kept access history can answer (``history``
        #: batches), and the furthest virtual time the 64-bit tick clock reaches
        self.max_sample_us = history * self.batch * 1_000_000 // self.access_rate
        self.max_time_us = (2**62 // self.access_rate) * 1_000_000
        self.seed = seed
        self.ranges_mode = ranges
        self.mappings = layout(self.workload)
        self.footprint = self.workload.footprint
        if self.footprint > MAX_FOOTPRINT:
            raise UserError(
                f"{self.workload.source}: the regions total {self.footprint} bytes; the sim "
                f"models every page and takes at most {MAX_FOOTPRINT >> 30} GiB"
            )
        self._init_model(mem_total, refault_cost_us, action_costs)
        #: bytes the rest of the modelled machine uses (see :meth:`set_free_mem_permil`)
        self.other_mem = 0
        self.set_free_mem_permil(free_mem_permil)
        index = {r.name: i for i, r in enumerate(self.workload.regions)}
        phases = [
            (
                ph.duration_ms,
                [(index[p.region], p.random, p.stride, p.probability) for p in ph.patterns],
            )
            for ph in self.workload.phases
        ]
        self._filter_codes = FILTER_TYPES
        self._sim = self._model = Sim(
            [s for s, _ in self.mappings],
            [r.size for r in self.workload.regions],
            phases,
            rate=self.access_rate,
            batch=self.batch,
            seed=seed,
            history=history,
            mem_pages=self.mem_total // PAGE_SIZE,
        )
        self._prepared_us = 0
        # the engine thread checks while a UI thread may ask for truth or apply actions
        self._lock = threading.Lock()

    # -- Ops interface ------------------------------------------------------

    def targets(self) -> list[TargetInfo]:
        return [TargetInfo(0, f"sim:{self.name}")]

    def _check_target(self, target_idx: int) -> None:
        if target_idx != 0:
            raise OpsError(f"the sim has one target (0), got target {target_idx}")

    def target_ranges(self, target_idx: int) -> list[Range] | None:
        self._check_target(target_idx)
        if self.ranges_mode == "three" and len(self.mappings) >= 3:
            return three_regions(self.mappings, self.min_region_sz)
        return list(self.mappings)

    def mapping_names(self, target_idx: int) -> list[tuple[int, int, str]]:
        """Each mapping carries its masim region's name."""
        self._check_target(target_idx)
        return [(s, e, r.name) for (s, e), r in zip(self.mappings, self.workload.regions,
                                                      strict=True)]

    def update_each_interval(self) -> bool:
        """The sim's mappings never change: no refresh needed."""
        return False

    def prepare_access_checks(self, target_idx: int, addrs: array, now_us: int) -> None:
        self._prepared_us = now_us

    def check_accesses(self, target_idx: int, addrs: array, out: array, now_us: int) -> None:
        with self._lock:
            try:
                self._sim.check(addrs, out, self._prepared_us, now_us)
            except (ValueError, OverflowError):  # a window the sim cannot answer
                raise UserError(self.limits_message(now_us - self._prepared_us)) from None

    def limits_message(self, sample_us: int) -> str:
        """One sentence on why a sampling interval is beyond what the sim can answer."""
        return (f"sampling interval {sample_us} us: the sim keeps "
                f"{self.max_sample_us / 1e6:g} s of access history at "
                f"{self.access_rate:g} accesses per second; give a shorter --sample or a "
                "lower --access-rate")

    def free_mem_rate(self) -> int:
        rss = self._sim.rss * PAGE_SIZE
        return max(0, (self.mem_total - self.other_mem - rss) * 1000 // self.mem_total)

    def set_free_mem_permil(self, permil: int) -> None:
        """The modelled machine's free memory before the workload's own pages, in
        permil of ``mem_total`` (1000 = the workload is alone): the rest is used by
        other processes.  It moves ``free_mem_rate`` (DAMOS watermarks, DAMON_RECLAIM)
        and the free/used memory goal metrics; the sim's own reclaim still evicts only
        when the workload alone exceeds ``mem_total``."""
        if not 0 <= permil <= 1000:
            raise UserError(f"sim free memory: expected 0..1000 permil (0..100%), got {permil}")
        self.other_mem = self.mem_total * (1000 - int(permil)) // 1000

    @property
    def free_mem_permil(self) -> int:
        """The knob's value: free memory before the workload's pages, permil."""
        return 1000 - self.other_mem * 1000 // self.mem_total

    def supported_filters(self) -> frozenset[str]:
        """Ops filters judged per page: the sim knows anon, active, young and huge."""
        return frozenset(self._filter_codes)

    def unsupported_filter_reason(self, filter_type: str) -> str:
        if filter_type == "memcg":
            return ("the sim operations set cannot evaluate 'memcg' filters: its workload "
                    "belongs to no memory cgroup")
        return f"the sim operations set cannot evaluate '{filter_type}' filters"

    def apply_action(self, target_idx: int, action: str, start: int, end: int) -> int:
        """Apply an action to every page of the range (no filters, no implicit young
        filter); bytes applied as :meth:`damon_tui._fast.sim.Sim.apply`."""
        return self._apply(target_idx, action, start, end, [], False, 0)[0]

    def apply_scheme(self, target_idx: int, action: str, start: int, end: int,
                     filters: Sequence[tuple] = (), default_reject: bool = False,
                     young_since_us: int | None = None) -> tuple[int, int]:
        """Apply ``action`` to the pages passing the ops ``filters``, paddr-style.

        ``filters``: ``(filter_type, matching, allow, hugepage_min, hugepage_max)`` in
        order.  ``pageout`` adds the kernel's implicit ``young`` reject filter (pages
        accessed since ``young_since_us``, default: the last access check, stay)
        unless a young filter is given.  Returns ``(bytes applied, bytes that passed the
        ops filters)``; like paddr the passed bytes count resident pages, and are 0
        without ops filters except for the LRU actions (every valid folio passes).
        """
        filters = list(filters)
        if action == "pageout" and not any(f[0] == "young" for f in filters):
            filters.append(("young", True, False, None, None))
        since = self._prepared_us if young_since_us is None else young_since_us
        return self._apply(target_idx, action, start, end, filters, default_reject, since)

    def _apply(self, target_idx: int, action: str, start: int, end: int, filters: list,
               default_reject: bool, since: int) -> tuple[int, int]:
        self._check_target(target_idx)
        self._action_code(action)
        now = self.now_us
        args: tuple = ()
        if filters:
            args = (array("i", [self._filter_codes[f[0]] for f in filters]),
                    array("B", [1 if f[1] else 0 for f in filters]),
                    array("B", [1 if f[2] else 0 for f in filters]),
                    array("Q", [int(f[3] or 0) for f in filters]),
                    array("Q", [min(int(f[4] or 0), 2**64 - 1) for f in filters]),
                    bool(default_reject), int(since), int(now))
        with self._lock:
            applied = self._apply_model(action, start, end, *args)
            passed = self._sim.last_passed * PAGE_SIZE if filters else 0
        if not filters and action in ("lru_prio", "lru_deprio"):
            passed = applied
        return applied, passed

    # -- simulation controls and measures ------------------------------------

    def advance(self, now_us: int) -> None:
        """Run the simulated execution up to ``now_us`` (checks do this themselves)."""
        with self._lock:
            self._sim.advance(now_us)

    @property
    def now_us(self) -> int:
        return int(self._sim.us(self._sim.now_tick))

    def phase_name(self) -> str:
        """The phase the execution is in."""
        return self.workload.phases[self._sim.phase].name

    def stats(self) -> SimStats:
        s = self._sim
        return self._model_stats(int(s.us(s.now_tick)), s.nr_accesses, self.phase_name(),
                                 self.free_mem_rate())

    def memory_state(self, start: int, end: int) -> dict[str, int]:
        """Page counts of ``[start, end)``: mapped, resident, active, hugepage, swapped."""
        keys = ("mapped", "resident", "active", "hugepage", "swapped")
        with self._lock:
            counts = self._sim.count_flags(start, end)
        return dict(zip(keys, counts, strict=True))

    # -- ground truth ---------------------------------------------------------

    def true_access_fraction(self, start: int, end: int, t0_us: int, t1_us: int) -> float:
        """Share of the mapped pages of ``[start, end)`` touched in ``[t0_us, t1_us)``.

        0.0 when the range maps no page.  Raises ``ValueError`` when the window is
        older than the kept batch history.
        """
        with self._lock:
            touched, mapped = self._sim.touched_pages(start, end, t0_us, t1_us)
        return touched / mapped if mapped else 0.0

    def true_touched_bytes(self, start: int, end: int, t0_us: int, t1_us: int) -> int:
        """Bytes of the pages of ``[start, end)`` touched in ``[t0_us, t1_us)``."""
        with self._lock:
            return self._sim.touched_pages(start, end, t0_us, t1_us)[0] * PAGE_SIZE

    def true_page_counts(
        self, start: int, end: int, t0_us: int, t1_us: int, sample_us: int
    ) -> array:
        """Per page of ``[start, end)``: in how many sample windows it was touched."""
        with self._lock:
            return self._sim.page_counts(start, end, t0_us, t1_us, sample_us)

    def true_freq_abs_error(self, regions, t0_us: int, t1_us: int, sample_us: int,
                            nr_samples: int) -> tuple[float, int]:
        """(sum of per-page |estimated - true| access frequency, pages) for a snapshot.

        ``regions`` iterate as ``(start, end, nr_accesses, age)``; the estimate of a
        region is ``nr_accesses / nr_samples``; the truth of a page is the share of
        the sample windows of ``[t0_us, t1_us)`` in which it was touched.
        """
        regs = list(regions)
        starts = [r[0] for r in regs]
        ends = [r[1] for r in regs]
        est = [min(1.0, r[2] / nr_samples) for r in regs]
        with self._lock:
            return self._sim.freq_abs_error(starts, ends, est, t0_us, t1_us, sample_us)

    def close(self) -> None:
        pass
