"""Stub for the recorded-workload memory model (``_fast/recorded.pyx``)."""

from array import array
from collections.abc import Sequence

ACTIONS: dict[str, int]

class RecordedMemory:
    nr_spans: int
    total_gpages: int
    seed: int
    mem_pages: int
    rss: int
    peak_rss: int
    faults: int
    refaults: int
    paged_out: int
    reclaimed: int
    willneed_pages: int
    last_mapped: int
    def __init__(self, starts: Sequence[int], ends: Sequence[int], mem_pages: int,
                 seed: int = 0) -> None: ...
    @property
    def total_pages(self) -> int: ...
    def set_regions(self, starts: array, ends: array, q: array) -> None: ...
    def check(self, addrs: array, out: array, sample_id: int) -> None: ...
    def touch(self, n0: float, n1: float, snap: int, window: int, t_us: int,
              t0_us: int = 0, sample_us: float = 0.0) -> None: ...
    def account(self, t_us: int) -> None: ...
    def avg_rss_pages(self) -> float: ...
    def apply(self, action: int, start: int, end: int) -> int: ...
    def lru_pages(self) -> tuple[int, int]: ...
