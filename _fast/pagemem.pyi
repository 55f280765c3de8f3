"""Type stubs for damon_tui._fast.pagemem (the per-page memory model of the sim and of
the replayed record)."""

#: DAMOS action name -> code for ``PageMemory.apply``
ACTIONS: dict[str, int]

class PageMemory:
    """Per-page memory state of sorted, page-aligned address ranges (a base class)."""

    nr_spans: int
    total_gpages: int
    mem_pages: int
    rss: int
    peak_rss: int
    faults: int
    refaults: int
    paged_out: int
    reclaimed: int
    willneed_pages: int
    last_mapped: int
    last_passed: int
    @property
    def total_pages(self) -> int: ...
    def account(self, t: int) -> None:
        """Integrate the resident set up to ``t`` (for the time average)."""
    def avg_rss_pages(self) -> float: ...
    def apply(self, action: int, start: int, end: int) -> int:
        """Apply an action code to the pages of ``[start, end)``; bytes applied."""
    def lru_pages(self) -> tuple[int, int]:
        """(active, inactive) resident pages."""
    def count_flags(self, start: int, end: int) -> tuple[int, int, int, int, int]:
        """(mapped, resident, active, hugepage, swapped) pages of ``[start, end)``."""
