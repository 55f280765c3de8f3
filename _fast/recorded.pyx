# cython: language_level=3
"""A recorded access pattern as a workload: per-page memory model for ``whatif``.

The record's regions of the snapshot in force give every page of a region the same
probability ``q`` of being touched in one sampling interval (``nr_accesses /
nr_samples``: accesses uniform inside a region within a snapshot).  Pages are
independent; "was page ``p`` touched in sample ``k``" is decided by a deterministic
hash of (seed, page, k) so that every question gets the same answer.

The memory model follows ``sim.pyx``'s (same flags and the same accounting): pages
start non-resident; the first touch is a fault, a touch of a paged-out page is a
refault; when resident pages exceed the modelled memory a CLOCK reclaim evicts
inactive pages first.  Non-resident pages are found through a bitmap scanned a word
at a time, and only inside regions whose ``q`` is positive, so cold memory costs
nothing per window.
"""

from cpython cimport array
from libc.math cimport log1p, expm1
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memset

from prng cimport page_unit

import array as _pyarray


cdef extern from *:
    """
    static inline int rec_ctz64(unsigned long long x) { return __builtin_ctzll(x); }
    """
    int ctz64 "rec_ctz64"(unsigned long long x) nogil


cdef enum:
    PAGE_SHIFT = 12
    PAGE_SIZE = 4096

cdef enum:
    F_RESIDENT = 1
    F_ACTIVE = 2
    F_HUGE = 4
    F_SWAPPED = 8

#: action codes for ``RecordedMemory.apply`` (the same as ``sim.ACTIONS``)
ACTIONS = {
    "stat": 0, "pageout": 1, "cold": 2, "lru_deprio": 3, "lru_prio": 4, "willneed": 5,
    "hugepage": 6, "nohugepage": 7, "collapse": 8,
}

cdef array.array _Q = _pyarray.array("Q")
cdef array.array _D = _pyarray.array("d")


cdef class RecordedMemory:
    """Pages of the recorded address ranges, touched with the record's probabilities."""

    cdef readonly int nr_spans
    cdef uint64_t *sp_start
    cdef uint64_t *sp_end
    cdef int64_t *sp_page0          # global index of the span's first page (64-aligned)
    cdef readonly int64_t total_gpages
    cdef readonly uint64_t seed
    cdef uint8_t *flags
    cdef uint64_t *missing          # bitmap: 1 = mapped page not resident
    cdef readonly int64_t mem_pages
    cdef readonly int64_t rss, peak_rss, faults, refaults, paged_out, reclaimed
    cdef readonly int64_t willneed_pages, last_mapped
    cdef int64_t clock_hand
    cdef double rss_area
    cdef int64_t area_us
    # the regions in force: sorted, non-overlapping
    cdef array.array r_start, r_end, r_q

    def __cinit__(self, *args, **kwargs):
        self.sp_start = NULL

    def __init__(self, starts, ends, long long mem_pages, seed=0):
        """``starts``/``ends``: the recorded address ranges, sorted, not overlapping."""
        cdef int i, n = len(starts)
        cdef int64_t gp = 0, npages, k, w0
        if n == 0 or len(ends) != n:
            raise ValueError("starts and ends must be non-empty and of the same length")
        if mem_pages <= 0:
            raise ValueError("modelled memory must be positive")
        self.nr_spans = n
        self.sp_start = <uint64_t*>calloc(n, sizeof(uint64_t))
        self.sp_end = <uint64_t*>calloc(n, sizeof(uint64_t))
        self.sp_page0 = <int64_t*>calloc(n, sizeof(int64_t))
        if not self.sp_start or not self.sp_end or not self.sp_page0:
            raise MemoryError()
        prev = 0
        for i in range(n):
            s = int(starts[i]) & ~(PAGE_SIZE - 1)
            e = (int(ends[i]) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
            if e <= s or s < prev:
                raise ValueError(f"range {i}: ranges must be sorted, non-empty, not overlapping")
            prev = e
            self.sp_start[i] = s
            self.sp_end[i] = e
            self.sp_page0[i] = gp
            gp += ((e - s) // PAGE_SIZE + 63) // 64 * 64
        self.total_gpages = gp
        self.flags = <uint8_t*>calloc(gp, 1)
        self.missing = <uint64_t*>malloc((gp // 64) * sizeof(uint64_t))
        if not self.flags or not self.missing:
            raise MemoryError()
        memset(self.missing, 0, (gp // 64) * sizeof(uint64_t))
        for i in range(n):
            npages = <int64_t>((self.sp_end[i] - self.sp_start[i]) >> PAGE_SHIFT)
            w0 = self.sp_page0[i] // 64
            for k in range(npages // 64):
                self.missing[w0 + k] = ~(<uint64_t>0)
            if npages % 64:
                self.missing[w0 + npages // 64] = (<uint64_t>1 << (npages % 64)) - 1
        self.mem_pages = mem_pages
        self.seed = <uint64_t>(int(seed) & 0xFFFFFFFFFFFFFFFF)
        self.r_start = array.clone(_Q, 0, zero=False)
        self.r_end = array.clone(_Q, 0, zero=False)
        self.r_q = array.clone(_D, 0, zero=False)

    def __dealloc__(self):
        if self.sp_start == NULL:
            return
        free(self.sp_start); free(self.sp_end); free(self.sp_page0)
        free(self.flags); free(self.missing)

    @property
    def total_pages(self):
        return sum((self.sp_end[i] - self.sp_start[i]) >> PAGE_SHIFT
                   for i in range(self.nr_spans))

    # ------------------------------------------------------------ regions

    def set_regions(self, array.array starts, array.array ends, array.array q):
        """The regions in force (``'Q'``, ``'Q'``, ``'d'`` arrays, sorted)."""
        if not (len(starts) == len(ends) == len(q)):
            raise ValueError("starts, ends and q must have the same length")
        self.r_start = starts
        self.r_end = ends
        self.r_q = q

    cdef inline int _span_of(self, uint64_t addr) noexcept nogil:
        """Index of the last span starting at or before ``addr`` (-1: before all)."""
        cdef int lo = 0, hi = self.nr_spans - 1, mid
        if addr < self.sp_start[0]:
            return -1
        while lo < hi:
            mid = (lo + hi + 1) >> 1
            if self.sp_start[mid] <= addr:
                lo = mid
            else:
                hi = mid - 1
        return lo

    cdef inline int64_t _gpage(self, uint64_t addr) noexcept nogil:
        """Global page index of ``addr`` or -1 when unmapped."""
        cdef int s = self._span_of(addr)
        if s < 0 or addr >= self.sp_end[s]:
            return -1
        return self.sp_page0[s] + <int64_t>((addr - self.sp_start[s]) >> PAGE_SHIFT)

    def check(self, const unsigned long long[::1] addrs, unsigned char[::1] out,
              unsigned long long sample_id):
        """``out[i] = 1`` if the page of ``addrs[i]`` is touched in sample ``sample_id``."""
        cdef Py_ssize_t i, n = addrs.shape[0], nr = len(self.r_start)
        cdef Py_ssize_t lo, hi, mid
        cdef const unsigned long long[::1] rs = self.r_start, re = self.r_end
        cdef const double[::1] rq = self.r_q
        cdef uint64_t addr
        cdef int64_t gp
        if out.shape[0] < n:
            raise ValueError("out is shorter than addrs")
        with nogil:
            for i in range(n):
                addr = addrs[i]
                out[i] = 0
                if nr == 0 or addr < rs[0]:
                    continue
                lo = 0
                hi = nr - 1
                while lo < hi:
                    mid = (lo + hi + 1) >> 1
                    if rs[mid] <= addr:
                        lo = mid
                    else:
                        hi = mid - 1
                if addr >= re[lo] or rq[lo] <= 0.0:
                    continue
                gp = self._gpage(addr)
                if gp < 0:
                    continue
                out[i] = page_unit(self.seed, <uint64_t>gp, sample_id) < rq[lo]

    # ------------------------------------------------------------ memory

    cdef void _account(self, int64_t t_us) noexcept nogil:
        if t_us > self.area_us:
            self.rss_area += <double>self.rss * <double>(t_us - self.area_us)
            self.area_us = t_us

    cdef void _evict(self, int64_t gp) noexcept nogil:
        self.flags[gp] = (self.flags[gp] & F_HUGE) | F_SWAPPED
        self.missing[gp >> 6] |= (<uint64_t>1) << (gp & 63)
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
            self._evict(gp)
            self.reclaimed += 1
            return

    cdef inline void _make_resident(self, int64_t gp, uint8_t newflags) noexcept nogil:
        self.flags[gp] = (self.flags[gp] & F_HUGE) | newflags
        self.missing[gp >> 6] &= ~((<uint64_t>1) << (gp & 63))
        self.rss += 1
        if self.rss > self.peak_rss:
            self.peak_rss = self.rss
        while self.rss > self.mem_pages:
            self._reclaim_one()

    cdef void _walk(self, int64_t g0, int64_t g1, double p0, double p1, double p_again,
                    uint64_t snap, uint64_t window, double lg, double t0, double sample,
                    double t_mid, double t_end) noexcept nogil:
        """Touch the non-resident pages ``[g0, g1)`` whose first touch in snapshot
        ``snap`` falls in this piece (``p0 <= u < p1``, one ``u`` per page and snapshot,
        so the outcome does not depend on how the snapshot is cut); a page already
        touched earlier in the snapshot but evicted since is touched again with
        probability ``p_again``.  Each page counts as resident from its touch time (the
        ``u``-th quantile of the first-touch time, or ``t_mid``), not the piece's end."""
        cdef int64_t w, gp
        cdef uint64_t bits
        cdef double u, t
        for w in range(g0 >> 6, ((g1 - 1) >> 6) + 1):
            bits = self.missing[w]
            while bits:
                gp = (w << 6) + ctz64(bits)
                bits &= bits - 1
                if gp < g0:
                    continue
                if gp >= g1:
                    break
                u = page_unit(self.seed ^ <uint64_t>0x5851F42D4C957F2DULL, <uint64_t>gp, snap)
                if u >= p1:
                    continue
                if u < p0:
                    if page_unit(self.seed ^ <uint64_t>0x2545F4914F6CDD1DULL,
                             <uint64_t>gp, window) >= p_again:
                        continue
                    t = t_mid
                elif lg == 0.0:
                    t = t0
                else:
                    t = t0 + log1p(-u) / lg * sample
                if t < t_end:
                    self.rss_area += t_end - t
                if self.flags[gp] & F_SWAPPED:
                    self.refaults += 1
                else:
                    self.faults += 1
                self._make_resident(gp, F_RESIDENT | F_ACTIVE)

    def touch(self, double n0, double n1, unsigned long long snap,
              unsigned long long window, long long t_us, long long t0_us=0,
              double sample_us=0.0):
        """Fault in the non-resident pages the regions in force touch during sampling
        intervals ``[n0, n1)`` of snapshot ``snap`` (window id ``window``) that ends at
        ``t_us``; the snapshot started at ``t0_us`` with ``sample_us`` intervals.

        A page of a region with per-sample probability ``q`` is first touched within
        the first ``n`` intervals with probability ``1 - (1 - q)^n``.
        """
        cdef Py_ssize_t i, nr = len(self.r_start)
        cdef const unsigned long long[::1] rs = self.r_start, re = self.r_end
        cdef const double[::1] rq = self.r_q
        cdef int s
        cdef uint64_t a, e, lo, hi
        cdef double p0, p1, p_again, q, lg
        cdef double t0 = <double>t0_us, t_end = <double>t_us
        cdef double t_mid = t0 + (n0 + n1) / 2.0 * sample_us
        if n1 <= n0:
            return
        with nogil:
            self._account(t_us)
            for i in range(nr):
                q = rq[i]
                if q <= 0.0:
                    continue
                if q >= 1.0:
                    p0 = 1.0 if n0 > 0 else 0.0
                    p1 = 1.0
                    p_again = 1.0
                    lg = 0.0
                else:
                    lg = log1p(-q)
                    p0 = -expm1(n0 * lg)
                    p1 = -expm1(n1 * lg)
                    p_again = -expm1((n1 - n0) * lg)
                a = rs[i]
                e = re[i]
                s = self._span_of(a)
                if s < 0:
                    s = 0
                while s < self.nr_spans and self.sp_start[s] < e:
                    lo = a if a > self.sp_start[s] else self.sp_start[s]
                    hi = e if e < self.sp_end[s] else self.sp_end[s]
                    if hi > lo:
                        self._walk(self.sp_page0[s] + <int64_t>((lo - self.sp_start[s]) >> PAGE_SHIFT),
                                   self.sp_page0[s] + <int64_t>(
                                       (hi - self.sp_start[s] + PAGE_SIZE - 1) >> PAGE_SHIFT),
                                   p0, p1, p_again, snap, window, lg, t0, sample_us,
                                   t_mid, t_end)
                    s += 1

    def account(self, long long t_us):
        """Integrate the resident set up to ``t_us`` (for the time average)."""
        self._account(t_us)

    def avg_rss_pages(self):
        """Time-averaged resident pages since time 0 (up to the last accounted time)."""
        if self.area_us <= 0:
            return float(self.rss)
        return self.rss_area / <double>self.area_us

    def apply(self, int action, unsigned long long start, unsigned long long end):
        """Apply action ``action`` (a code of ``ACTIONS``) to ``[start, end)``.

        Returns the bytes applied as ``sim.Sim.apply``: paged out (pageout), resident
        bytes moved on the LRU (cold, lru_deprio, lru_prio), or mapped bytes of the
        range (willneed, hugepage, nohugepage, collapse); 0 for stat.
        """
        cdef int s
        cdef int64_t gp, g0, g1, applied = 0, mapped = 0
        cdef uint64_t lo, hi
        cdef uint8_t f
        self.last_mapped = 0
        if action == 0 or end <= start:
            return 0
        with nogil:
            s = self._span_of(start)
            if s < 0:
                s = 0
            while s < self.nr_spans and self.sp_start[s] < end:
                lo = start if start > self.sp_start[s] else self.sp_start[s]
                hi = end if end < self.sp_end[s] else self.sp_end[s]
                s += 1
                if hi <= lo:
                    continue
                g0 = self.sp_page0[s - 1] + <int64_t>(
                    (lo - self.sp_start[s - 1] + PAGE_SIZE - 1) >> PAGE_SHIFT)
                g1 = self.sp_page0[s - 1] + <int64_t>(
                    (hi - self.sp_start[s - 1] + PAGE_SIZE - 1) >> PAGE_SHIFT)
                if g1 <= g0:
                    continue
                mapped += g1 - g0
                for gp in range(g0, g1):
                    f = self.flags[gp]
                    if action == 1:
                        if f & F_RESIDENT:
                            self._evict(gp)
                            self.paged_out += 1
                            applied += 1
                    elif action == 2 or action == 3:
                        if f & F_RESIDENT:
                            self.flags[gp] = f & ~F_ACTIVE
                            applied += 1
                    elif action == 4:
                        if f & F_RESIDENT:
                            self.flags[gp] = f | F_ACTIVE
                            applied += 1
                    elif action == 5:
                        if not (f & F_RESIDENT):
                            self.willneed_pages += 1
                            self._make_resident(gp, F_RESIDENT)
                    elif action == 6 or action == 8:
                        self.flags[gp] = f | F_HUGE
                    elif action == 7:
                        self.flags[gp] = f & ~F_HUGE
        self.last_mapped = mapped
        if action in (1, 2, 3, 4):
            return applied * PAGE_SIZE
        return mapped * PAGE_SIZE

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
