"""Type stubs for damon_tui._fast.regions (region arrays, PRNG, kdamond loop core)."""

from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any

AGGREGATE: int
UPDATE: int
LIMIT: int
STOPPED: int
CALL: int
WAITED: int

def mvsum(nr_accesses: int, last_nr_accesses: int, left_bp: int) -> int:
    """Era C pseudo moving sum: ``last`` if left_bp == 10000 else nr + last*left_bp/10000."""

def nr_accesses_mvsum(
    passed: int, next_aggr: int, nr_samples: int, nr_accesses: int, last_nr_accesses: int
) -> int:
    """``mvsum`` of a region at sample ``passed`` of the window ending at ``next_aggr``."""

class Rng:
    """Seeded xoshiro256** PRNG (splitmix64 seeding)."""

    def __init__(self, seed: int = 0) -> None: ...
    def rand(self, l: int, r: int) -> int:
        """Uniform integer in [l, r) (``damon_rand``)."""

class RegionList:
    """One target's regions in C arrays: start, end, nr_accesses, last_nr_accesses, age.

    Construct from ``(start, end, nr_accesses, age)`` or
    ``(start, end, nr_accesses, last_nr_accesses, age)`` tuples, sorted and disjoint.
    Indexes are 0-based region positions in address order.
    """

    def __init__(self, regions: Iterable[Sequence[int]] = ()) -> None: ...
    def __len__(self) -> int: ...
    def tolist(self) -> list[tuple[int, int, int, int]]:
        """``(start, end, nr_accesses, age)`` per region."""
    def ranges(self) -> list[tuple[int, int]]: ...
    def get(self, index: int) -> tuple[int, int, int, int, int]:
        """``(start, end, nr_accesses, last_nr_accesses, age)`` of region ``index``."""
    def set_age(self, index: int, age: int) -> None: ...
    def set_nr_accesses(self, index: int, nr_accesses: int) -> None: ...
    def total_bytes(self) -> int: ...
    def split_at(self, index: int, size: int) -> None:
        """Split region ``index`` at ``start + size``; the right piece copies all counts."""
    def merge_two(self, index: int) -> None:
        """Merge region ``index + 1`` into ``index`` (size-weighted nr_accesses and age)."""
    def merge_regions(self, thres: int, sz_limit: int, update_age: bool = True) -> int:
        """One merge pass with age update (§1.3); returns the region count."""
    def reset_aggregated(self) -> None:
        """last_nr_accesses = nr_accesses; nr_accesses = 0."""
    def split_regions(self, nr_subs: int, min_region_sz: int = 4096, seed: int | Rng = 0) -> None:
        """Split each region into up to ``nr_subs`` pieces at random 10-90 % points."""
    def apply_min_nr_regions(self, max_sz: int) -> int:
        """Cut regions above ``max_sz`` into ``max_sz`` chunks; returns the region count."""
    def set_regions(self, ranges: Iterable[tuple[int, int]], min_region_sz: int = 4096) -> None:
        """``damon_set_regions`` (§2); ValueError for unsorted/overlapping/empty ranges."""
    def update_monitoring_result(
        self, old_max_nr: int, new_max_nr: int, old_aggr_us: int, new_aggr_us: int,
        aggregating: bool,
    ) -> None:
        """Rescale counts (via basis points) and ages to new attrs (era C)."""
    def snapshot_arrays(self) -> tuple[array, array, array, array]:
        """Copies: starts 'Q', ends 'Q', nr_accesses 'I', ages 'I'."""
    def last_nr_accesses(self) -> array:
        """Copy of last_nr_accesses ('I')."""

class Core:
    """State and C loop of one monitoring context (used by ``damon_tui.engine.Monitor``)."""

    region_lists: list[RegionList]
    rng: Rng
    passed: int
    next_aggr: int
    next_update: int
    now_us: int
    sample_us: int
    aggr_samples: int
    update_samples: int
    min_nr_regions: int
    max_nr_regions: int
    min_region_sz: int
    sz_limit: int
    stopping: bool
    interrupt: bool
    region_samples: int
    clock_us: int
    slept_us: int

    def __init__(
        self,
        ops: Any,
        nr_targets: int,
        sample_us: int,
        aggr_us: int,
        update_us: int,
        min_nr_regions: int,
        max_nr_regions: int,
        min_region_sz: int,
        seed: int = 0,
    ) -> None: ...
    @property
    def nr_regions(self) -> int: ...
    def use_fake_clock(self, start_us: int = 0) -> None: ...
    def start_clock(self, speed: float | None = None) -> None: ...
    def idle(self, wait_us: int) -> None: ...
    def run_samples(
        self,
        limit_us: int,
        wait_cb: Callable[[], int] | None = None,
        apply_cb: Callable[[int], object] | None = None,
    ) -> int:
        """Run samples until a flag (AGGREGATE|UPDATE|LIMIT|STOPPED|CALL) needs Python."""
    def region_sz_limit(self) -> int: ...
    def apply_min_nr_regions(self) -> int: ...
    def aggregate(self) -> None:
        """Merge with threshold doubling, then apply_min_nr_regions."""
    def reset_and_split(self) -> None:
        """Advance next_aggr, reset counts, split (era C)."""
    def split_regions(self) -> None:
        """``kdamond_split_regions`` (era C) over all targets."""
