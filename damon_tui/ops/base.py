"""The operations-set interface: what the engine asks of an address space.

The engine (``damon_tui.engine``) is address-space agnostic, like the kernel's
``mm/damon/core.c``.  Everything that depends on *what* is monitored -- a simulated
workload, a live process, physical memory -- lives behind this small interface, like
``struct damon_operations`` in the kernel.

Batching: the engine keeps each target's regions in typed arrays and, once per sample
interval, hands the ops one buffer of sampled addresses per target.  Ops fill an
``out`` buffer of ``uint8`` (1 = accessed since ``prepare``).  Buffers are
``array.array`` objects (typecode ``'Q'`` for addresses, ``'B'`` for results) and are
reused between calls; ops may read them through typed memoryviews in Cython.

Time: ``now_us`` is the engine's clock.  For ``clock == "virtual"`` ops (the sim) the
engine advances time itself and never sleeps; ``now_us`` is the only clock the ops may
use.  For ``clock == "wall"`` ops the engine sleeps between samples and ``now_us`` is
microseconds since monitoring started.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from array import array
from dataclasses import dataclass
from typing import Literal

import psutil

Range = tuple[int, int]
Clock = Literal["virtual", "wall"]
Resolution = Literal["per page", "per mapping"]

#: Every DAMOS action name the kernel knows (usage.rst).
ALL_ACTIONS: tuple[str, ...] = (
    "willneed",
    "cold",
    "pageout",
    "hugepage",
    "nohugepage",
    "collapse",
    "lru_prio",
    "lru_deprio",
    "migrate_hot",
    "migrate_cold",
    "stat",
)


class OpsError(Exception):
    """An operations set cannot do what was asked (target gone, no permission, ...)."""


class TargetGone(OpsError):
    """The monitored target exited; the engine ends monitoring cleanly."""


@dataclass(frozen=True)
class TargetInfo:
    """Describes one monitoring target for headers, records and views."""

    target_id: int
    description: str  # e.g. "sim:zigzag", "pid 1234 (./app args)", "System RAM"
    pid: int | None = None


class Ops(ABC):
    """Base class of every operations set (sim, vaddr, fvaddr, paddr)."""

    #: short name as in DAMON: "sim", "vaddr", "fvaddr", "paddr"
    kind: str = "?"
    clock: Clock = "wall"
    #: "per page" (page idle / sim) or "per mapping" (clear_refs + smaps)
    resolution: Resolution = "per page"
    #: how accesses are checked, shown in headers ("simulated", "page idle", ...)
    access_check: str = "?"
    min_region_sz: int = 4096

    @abstractmethod
    def targets(self) -> list[TargetInfo]:
        """The monitoring targets, in order; their index is the target index."""

    @abstractmethod
    def target_ranges(self, target_idx: int) -> list[Range] | None:
        """Address ranges to monitor for a target, sorted, non-overlapping.

        Called at init and every update interval (``set_regions`` semantics). Return
        ``None`` to keep the current regions (the kernel's behaviour when the
        three-regions lookup fails, and ``fvaddr`` / ``paddr`` after init).  Raise
        ``TargetGone`` when every target has exited: the engine ends monitoring.
        """

    def update_each_interval(self) -> bool:
        """Whether ``target_ranges`` should be called again every update interval."""
        return True

    @abstractmethod
    def prepare_access_checks(self, target_idx: int, addrs: array, now_us: int) -> None:
        """Clear the accessed state of the pages at ``addrs`` (one per region)."""

    @abstractmethod
    def check_accesses(self, target_idx: int, addrs: array, out: array, now_us: int) -> None:
        """Set ``out[i] = 1`` if the page at ``addrs[i]`` was accessed since prepare."""

    def mapping_names(self, target_idx: int) -> list[tuple[int, int, str]]:
        """The target's mappings as sorted ``(start, end, name)`` (see
        :mod:`damon_tui.ops.names`), as of the latest update interval; ``[]`` when
        this ops cannot name its memory."""
        return []

    def free_mem_rate(self) -> int:
        """Free memory of the machine (or modelled machine), per thousand (permil)."""
        vm = psutil.virtual_memory()
        return vm.available * 1000 // vm.total

    def supported_actions(self) -> frozenset[str]:
        """DAMOS actions this ops can apply (``stat`` is always supported)."""
        return frozenset({"stat"})

    def unsupported_reason(self, action: str) -> str:
        """One sentence saying why ``action`` is refused by this ops."""
        return f"the {self.kind} operations set cannot apply '{action}'"

    def apply_action(self, target_idx: int, action: str, start: int, end: int) -> int:
        """Apply a DAMOS action to ``[start, end)``; return the bytes applied."""
        return 0

    def close(self) -> None:  # noqa: B027 - an optional hook: most ops have nothing to free
        """Release files and children; called once when monitoring ends."""
