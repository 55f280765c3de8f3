# cython: language_level=3
# The declarations of ``pagemem.pyx`` (module ``damon_tui._fast.pagemem``), whose
# ``PageMemory`` ``sim.pyx`` and ``recorded.pyx`` subclass.  Cimport it by its full name,
# ``from damon_tui._fast.pagemem cimport ...``: the subclasses import the base type from
# that module at run time (setup.py lets Cython find ``_fast/`` as ``damon_tui/_fast``).

from libc.stdint cimport int64_t, uint8_t, uint64_t


cdef extern from *:
    """
    static inline int pm_ctz64(unsigned long long x) { return __builtin_ctzll(x); }
    """
    int ctz64 "pm_ctz64"(unsigned long long x) nogil


cdef enum:
    PAGE_SHIFT = 12
    PAGE_SIZE = 4096

# per-page flags
cdef enum:
    F_RESIDENT = 1
    F_ACTIVE = 2
    F_HUGE = 4
    F_SWAPPED = 8


ctypedef fused sorted_t:
    uint64_t
    int64_t


cdef inline int last_le(const sorted_t *a, int n, sorted_t key) noexcept nogil:
    """Index of the last of the ascending ``a[0 .. n)`` that is <= ``key`` (-1: none)."""
    cdef int lo = 0, hi = n - 1, mid
    if key < a[0]:
        return -1
    while lo < hi:
        mid = (lo + hi + 1) >> 1
        if a[mid] <= key:
            lo = mid
        else:
            hi = mid - 1
    return lo


ctypedef struct MissingWalk:
    # the non-resident pages of [g0, g1) in order, from the ``missing`` bitmap
    const uint64_t *words
    int64_t g0, g1
    int64_t w               # the bitmap word the walk is in
    int64_t w_last
    uint64_t bits           # word ``w`` as read when the walk reached it, less pages seen


cdef inline void walk_missing(MissingWalk *it, const uint64_t *words, int64_t g0,
                              int64_t g1) noexcept nogil:
    """Start a walk over the non-resident pages of ``[g0, g1)`` (``g1 > g0``)."""
    it.words = words
    it.g0 = g0
    it.g1 = g1
    it.w = g0 >> 6
    it.w_last = (g1 - 1) >> 6
    it.bits = words[it.w]


cdef inline int64_t next_missing(MissingWalk *it) noexcept nogil:
    """The walk's next non-resident page (-1: done).  A word is read when the walk
    reaches it: pages of that word made resident or evicted after are not seen again."""
    cdef int64_t gp
    while True:
        while it.bits == 0:
            if it.w >= it.w_last:
                return -1
            it.w += 1
            it.bits = it.words[it.w]
        gp = (it.w << 6) + ctz64(it.bits)
        it.bits &= it.bits - 1
        if gp < it.g0:
            continue
        if gp >= it.g1:
            it.bits = 0
            it.w = it.w_last
            return -1
        return gp


cdef class PageMemory:
    # the mapped address ranges ("spans"): sorted, page aligned, not overlapping; span
    # ``s`` holds global pages ``sp_page0[s] ..`` (64-aligned so bitmap words never mix
    # spans)
    cdef readonly int nr_spans
    cdef uint64_t *sp_start
    cdef uint64_t *sp_end
    cdef int64_t *sp_npages
    cdef int64_t *sp_page0
    cdef int64_t *sp_missing        # non-resident pages of the span
    cdef int64_t *sp_epoch          # bumped when a page of the span becomes non-resident

    cdef readonly int64_t total_gpages
    cdef uint8_t *flags
    cdef uint64_t *missing          # bitmap: 1 = mapped page not resident
    cdef readonly int64_t mem_pages # modelled machine memory (pages)
    cdef readonly int64_t rss, peak_rss, faults, refaults, paged_out, reclaimed
    cdef readonly int64_t willneed_pages
    cdef readonly int64_t last_mapped   # mapped pages the last ``apply`` covered
    cdef readonly int64_t last_passed   # resident pages that passed the ops filters
    cdef int64_t clock_hand
    cdef double rss_area            # integral of rss over the subclass's time unit
    cdef int64_t area_t

    cdef int _init_spans(self, starts, npages) except -1
    cdef int _span_of(self, uint64_t addr) noexcept nogil
    cdef int _span_of_gpage(self, int64_t gp) noexcept nogil
    cdef bint _page_span(self, int s, uint64_t start, uint64_t end, bint whole_pages,
                         int64_t *p_lo, int64_t *p_hi) noexcept nogil
    cdef void _account(self, int64_t t) noexcept nogil
    cdef void _evict(self, int64_t gp, int s) noexcept nogil
    cdef void _reclaim_one(self) noexcept nogil
    cdef void _make_resident(self, int64_t gp, int s, uint8_t newflags) noexcept nogil
    cdef void _touch(self, int64_t gp, int s) noexcept nogil
    cdef bint _passes(self, int s, int64_t p, uint8_t f) noexcept nogil
    cdef int64_t _apply(self, int action, uint64_t start, uint64_t end,
                        bint filtered) noexcept nogil
