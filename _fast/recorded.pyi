"""Stub for the recorded-workload memory model (``_fast/recorded.pyx``)."""

from array import array
from collections.abc import Sequence

from damon_tui._fast.pagemem import ACTIONS as ACTIONS
from damon_tui._fast.pagemem import PageMemory

class RecordedMemory(PageMemory):
    """Pages of the recorded address ranges (the ``PageMemory`` base), touched with the
    record's probabilities."""

    seed: int
    def __init__(self, starts: Sequence[int], ends: Sequence[int], mem_pages: int,
                 seed: int = 0) -> None: ...
    def set_regions(self, starts: array, ends: array, q: array) -> None: ...
    def check(self, addrs: array, out: array, sample_id: int) -> None: ...
    def touch(self, n0: float, n1: float, snap: int, window: int, t_us: int,
              t0_us: int = 0, sample_us: float = 0.0) -> None: ...
