# cython: language_level=3
"""The per-page memory model shared by the simulated workload (``sim.pyx``'s ``Sim``)
and the replayed record (``recorded.pyx``'s ``RecordedMemory``), which subclass
:class:`PageMemory`.

Memory is a sorted list of mapped address ranges (*spans*: a masim region, or a merged
recorded range).  Per page: flags resident / active / hugepage / swapped (paged out),
and a bitmap of the non-resident pages that the subclasses scan a word at a time to
find faults.  Pages start non-resident; the first touch is a page fault, touching a
swapped page is a refault; faulted-in pages start active.  When resident pages exceed
the modelled machine memory (``mem_pages``), a CLOCK reclaim over all pages evicts
inactive pages first (active pages are deactivated on the first pass): the active /
inactive LRU that ``lru_prio`` / ``lru_deprio`` / ``cold`` change.  DAMOS actions are
applied per page (:meth:`PageMemory.apply`); a subclass judges ops filters per page by
overriding ``_passes``.
"""

from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memset

#: DAMOS action name -> code for ``apply``
ACTIONS = {
    "stat": 0, "pageout": 1, "cold": 2, "lru_deprio": 3, "lru_prio": 4, "willneed": 5,
    "hugepage": 6, "nohugepage": 7, "collapse": 8,
}


cdef class PageMemory:
    """Per-page memory state of sorted, page-aligned address ranges (a base class)."""

    def __dealloc__(self):
        free(self.sp_start); free(self.sp_end); free(self.sp_npages); free(self.sp_page0)
        free(self.sp_missing); free(self.sp_epoch)
        free(self.flags); free(self.missing)

    cdef int _init_spans(self, starts, npages) except -1:
        """Lay out the spans (page-aligned ``starts``, ``npages`` pages each; sorted, not
        overlapping: the caller checks), every page non-resident."""
        cdef int i, n = len(starts)
        cdef int64_t gp = 0, np, k, w0
        self.nr_spans = n
        self.sp_start = <uint64_t*>calloc(n, sizeof(uint64_t))
        self.sp_end = <uint64_t*>calloc(n, sizeof(uint64_t))
        self.sp_npages = <int64_t*>calloc(n, sizeof(int64_t))
        self.sp_page0 = <int64_t*>calloc(n, sizeof(int64_t))
        self.sp_missing = <int64_t*>calloc(n, sizeof(int64_t))
        self.sp_epoch = <int64_t*>calloc(n, sizeof(int64_t))
        if (not self.sp_start or not self.sp_end or not self.sp_npages or not self.sp_page0
                or not self.sp_missing or not self.sp_epoch):
            raise MemoryError()
        for i in range(n):
            np = npages[i]
            self.sp_start[i] = starts[i]
            self.sp_end[i] = self.sp_start[i] + <uint64_t>(np << PAGE_SHIFT)
            self.sp_npages[i] = np
            self.sp_page0[i] = gp
            self.sp_missing[i] = np
            gp += (np + 63) // 64 * 64
        self.total_gpages = gp
        self.flags = <uint8_t*>calloc(gp, 1)
        self.missing = <uint64_t*>malloc((gp // 64) * sizeof(uint64_t))
        if not self.flags or not self.missing:
            raise MemoryError()
        memset(self.missing, 0, (gp // 64) * sizeof(uint64_t))
        for i in range(n):
            np = self.sp_npages[i]
            w0 = self.sp_page0[i] // 64
            for k in range(np // 64):
                self.missing[w0 + k] = ~(<uint64_t>0)
            if np % 64:
                self.missing[w0 + np // 64] = (<uint64_t>1 << (np % 64)) - 1
        return 0

    @property
    def total_pages(self):
        return sum(self.sp_npages[i] for i in range(self.nr_spans))

    # ------------------------------------------------------------ addresses

    cdef int _span_of(self, uint64_t addr) noexcept nogil:
        """Index of the last span starting at or before ``addr`` (-1: before all)."""
        return last_le(self.sp_start, self.nr_spans, addr)

    cdef int _span_of_gpage(self, int64_t gp) noexcept nogil:
        """The span holding global page ``gp``."""
        return last_le(self.sp_page0, self.nr_spans, gp)

    cdef bint _page_span(self, int s, uint64_t start, uint64_t end, bint whole_pages,
                         int64_t *p_lo, int64_t *p_hi) noexcept nogil:
        """Span ``s``'s page indexes overlapping ``[start, end)`` into ``[p_lo, p_hi)``.

        Partial pages count at the end; at the start only when ``whole_pages`` is false.
        Returns false when the range misses the span.
        """
        cdef uint64_t rs = self.sp_start[s], re = self.sp_end[s]
        if end <= rs or start >= re:
            return False
        if whole_pages:
            p_lo[0] = <int64_t>(((start if start > rs else rs) - rs + PAGE_SIZE - 1)
                                >> PAGE_SHIFT)
        else:
            p_lo[0] = <int64_t>(((start if start > rs else rs) - rs) >> PAGE_SHIFT)
        p_hi[0] = <int64_t>(((end if end < re else re) - rs + PAGE_SIZE - 1) >> PAGE_SHIFT)
        return True

    # ------------------------------------------------------------ residency

    cdef void _account(self, int64_t t) noexcept nogil:
        """Integrate the resident set up to time ``t`` (the subclass's unit)."""
        if t > self.area_t:
            self.rss_area += <double>self.rss * <double>(t - self.area_t)
            self.area_t = t

    cdef void _evict(self, int64_t gp, int s) noexcept nogil:
        self.flags[gp] = (self.flags[gp] & F_HUGE) | F_SWAPPED
        self.missing[gp >> 6] |= (<uint64_t>1) << (gp & 63)
        self.sp_missing[s] += 1
        self.sp_epoch[s] += 1
        self.rss -= 1

    cdef void _reclaim_one(self) noexcept nogil:
        """CLOCK over all pages: evict the first inactive resident page."""
        cdef int64_t steps = 0, limit = 2 * self.total_gpages + 1, gp
        cdef uint8_t f
        while steps < limit:
            gp = self.clock_hand
            self.clock_hand += 1
            if self.clock_hand >= self.total_gpages:
                self.clock_hand = 0
            steps += 1
            f = self.flags[gp]
            if not (f & F_RESIDENT):
                continue
            if f & F_ACTIVE:
                self.flags[gp] = f & ~F_ACTIVE
                continue
            self._evict(gp, self._span_of_gpage(gp))
            self.reclaimed += 1
            return

    cdef void _make_resident(self, int64_t gp, int s, uint8_t newflags) noexcept nogil:
        self.flags[gp] = (self.flags[gp] & F_HUGE) | newflags
        self.missing[gp >> 6] &= ~((<uint64_t>1) << (gp & 63))
        self.sp_missing[s] -= 1
        self.rss += 1
        if self.rss > self.peak_rss:
            self.peak_rss = self.rss
        while self.rss > self.mem_pages:
            self._reclaim_one()

    cdef void _touch(self, int64_t gp, int s) noexcept nogil:
        """An access to the non-resident page ``gp`` of span ``s``: a (re)fault."""
        if self.flags[gp] & F_SWAPPED:
            self.refaults += 1
        else:
            self.faults += 1
        self._make_resident(gp, s, F_RESIDENT | F_ACTIVE)

    def account(self, long long t):
        """Integrate the resident set up to ``t`` (for the time average)."""
        self._account(t)

    def avg_rss_pages(self):
        """Time-averaged resident pages since time 0 (up to the last accounted time)."""
        if self.area_t <= 0:
            return float(self.rss)
        return self.rss_area / <double>self.area_t

    # ------------------------------------------------------------ DAMOS actions

    cdef bint _passes(self, int s, int64_t p, uint8_t f) noexcept nogil:
        """Whether resident page ``p`` of span ``s`` (flags ``f``) passes the ops filters
        of the ``apply`` under way (a subclass that has filters overrides this)."""
        return True

    cdef int64_t _apply(self, int action, uint64_t start, uint64_t end,
                        bint filtered) noexcept nogil:
        """Apply ``action`` to the whole pages of ``[start, end)`` in address order (to
        the resident pages that pass ``_passes`` when ``filtered``); sets
        ``last_mapped`` / ``last_passed`` and returns the bytes ``apply`` returns."""
        cdef int s
        cdef int64_t p, p_lo, p_hi, gp, applied = 0, mapped = 0, passed = 0
        cdef uint8_t f
        s = self._span_of(start)
        if s < 0:
            s = 0
        while s < self.nr_spans and self.sp_start[s] < end:
            if not self._page_span(s, start, end, True, &p_lo, &p_hi) or p_hi <= p_lo:
                s += 1
                continue
            mapped += p_hi - p_lo
            for p in range(p_lo, p_hi):
                gp = self.sp_page0[s] + p
                f = self.flags[gp]
                if filtered:
                    if not (f & F_RESIDENT):
                        continue  # no folio to judge (or act on)
                    if not self._passes(s, p, f):
                        continue
                    passed += 1
                if action == 1:        # pageout
                    if f & F_RESIDENT:
                        self._evict(gp, s)
                        self.paged_out += 1
                        applied += 1
                elif action == 2 or action == 3:   # cold, lru_deprio
                    if f & F_RESIDENT:
                        self.flags[gp] = f & ~F_ACTIVE
                        applied += 1
                elif action == 4:      # lru_prio
                    if f & F_RESIDENT:
                        self.flags[gp] = f | F_ACTIVE
                        applied += 1
                elif action == 5:      # willneed
                    if not (f & F_RESIDENT):
                        self.willneed_pages += 1
                        self._make_resident(gp, s, F_RESIDENT)
                elif action == 6 or action == 8:   # hugepage, collapse
                    self.flags[gp] = f | F_HUGE
                elif action == 7:      # nohugepage
                    self.flags[gp] = f & ~F_HUGE
            s += 1
        self.last_mapped = mapped
        self.last_passed = passed
        if action == 0:
            return 0
        if action <= 4:
            return applied * PAGE_SIZE
        return mapped * PAGE_SIZE

    def apply(self, int action, unsigned long long start, unsigned long long end):
        """Apply action ``action`` (a code of ``ACTIONS``) to ``[start, end)``.

        Returns the bytes applied: paged out (pageout), resident bytes moved on the LRU
        (cold, lru_deprio, lru_prio), or mapped bytes of the range (willneed,
        hugepage, nohugepage, collapse); 0 for stat.  ``last_mapped`` counts the mapped
        pages of the range.
        """
        cdef int64_t applied
        self.last_mapped = 0
        self.last_passed = 0
        if action == 0 or end <= start:
            return 0
        with nogil:
            applied = self._apply(action, start, end, False)
        return applied

    # ------------------------------------------------------------ measures

    def lru_pages(self):
        """(active, inactive) resident pages: the modelled LRU."""
        cdef int64_t gp, act = 0, inact = 0
        cdef uint8_t f
        with nogil:
            for gp in range(self.total_gpages):
                f = self.flags[gp]
                if f & F_RESIDENT:
                    if f & F_ACTIVE:
                        act += 1
                    else:
                        inact += 1
        return act, inact

    def count_flags(self, unsigned long long start, unsigned long long end):
        """(mapped, resident, active, hugepage, swapped) page counts in ``[start, end)``."""
        cdef int s
        cdef int64_t p, p_lo, p_hi, gp
        cdef int64_t mapped = 0, res = 0, act = 0, huge = 0, swp = 0
        cdef uint8_t f
        for s in range(self.nr_spans):
            if not self._page_span(s, start, end, False, &p_lo, &p_hi):
                continue
            for p in range(p_lo, p_hi):
                gp = self.sp_page0[s] + p
                f = self.flags[gp]
                mapped += 1
                res += (f & F_RESIDENT) != 0
                act += (f & F_ACTIVE) != 0
                huge += (f & F_HUGE) != 0
                swp += (f & F_SWAPPED) != 0
        return mapped, res, act, huge, swp
