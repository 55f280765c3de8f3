"""Type stubs for damon_tui._fast.sim (simulated masim execution and memory model)."""

from array import array
from collections.abc import Sequence

from damon_tui._fast.pagemem import ACTIONS as ACTIONS
from damon_tui._fast.pagemem import PageMemory

#: ops filter type -> code for ``Sim.apply``
FILTER_TYPES: dict[str, int]
class Sim(PageMemory):
    """One simulated masim process in virtual time (ticks = access slots); its memory
    model is the ``PageMemory`` base (region ``r`` is span ``r``)."""

    rate: int
    batch: int
    seed: int
    nr_regions: int
    nr_phases: int
    nr_patterns: int
    gen_tick: int
    phase: int
    nr_cycles: int
    nr_accesses: int
    nb: int
    lost_until: int
    now_tick: int

    def __init__(
        self,
        bases: Sequence[int],
        sizes: Sequence[int],
        phases: Sequence[tuple[int, Sequence[tuple[int, bool, int, int]]]],
        rate: int,
        batch: int = 131072,
        seed: int = 0,
        history: int = 65536,
        mem_pages: int | None = None,
    ) -> None:
        """``phases``: ``[(duration_ms, [(region_idx, random, stride, weight), ...])]``."""
    def tick(self, us: int) -> int: ...
    def us(self, tick: int) -> float: ...
    def advance(self, now_us: int) -> None:
        """Run the execution up to ``now_us``."""
    def check(self, addrs: array, out: array, t0_us: int, t1_us: int) -> None:
        """``out[i] = 1`` if the page of ``addrs[i]`` was touched in ``[t0_us, t1_us)``."""
    def touched_pages(self, start: int, end: int, t0_us: int, t1_us: int) -> tuple[int, int]:
        """(touched, mapped) pages of ``[start, end)`` in the window."""
    def page_counts(
        self, start: int, end: int, t0_us: int, t1_us: int, step_us: int
    ) -> array:
        """Per page, the number of ``step_us`` windows in which it was touched."""
    def freq_abs_error(
        self,
        starts: Sequence[int],
        ends: Sequence[int],
        est: Sequence[float],
        t0_us: int,
        t1_us: int,
        step_us: int,
    ) -> tuple[float, int]:
        """(sum over mapped pages of |est - true frequency|, mapped pages)."""
    def apply(
        self, action: int, start: int, end: int, ftypes: array | None = None,
        fmatching: array | None = None, fallow: array | None = None,
        fmin: array | None = None, fmax: array | None = None,
        default_reject: bool = False, young_t0_us: int = 0, young_t1_us: int = 0,
    ) -> int:
        """Apply an action code to the pages of ``[start, end)`` passing the ops filters
        (``FILTER_TYPES`` codes); bytes applied; ``last_passed``: pages that passed."""
    def region_span(self, r: int) -> tuple[int, int]: ...
    def region_missing(self, r: int) -> int: ...
