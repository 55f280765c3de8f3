# cython: language_level=3
"""A recorded access pattern as a workload: per-page memory model for ``whatif``.

The record's regions of the snapshot in force give every page of a region the same
probability ``q`` of being touched in one sampling interval (``nr_accesses /
nr_samples``: accesses uniform inside a region within a snapshot).  Pages are
independent; "was page ``p`` touched in sample ``k``" is decided by a deterministic
hash of (seed, page, k) so that every question gets the same answer.

The memory model is ``sim.pyx``'s: both subclass ``pagemem.PageMemory`` (pages start
non-resident; the first touch is a fault, a touch of a paged-out page is a refault;
when resident pages exceed the modelled memory a CLOCK reclaim evicts inactive pages
first; DAMOS actions applied per page).  Non-resident pages are found through a
bitmap scanned a word at a time, and only inside regions whose ``q`` is positive, so
cold memory costs nothing per window.
"""

from cpython cimport array
from libc.math cimport log1p, expm1
from libc.stdint cimport int64_t, uint64_t

from damon_tui._fast.pagemem cimport (
    PAGE_SHIFT, PAGE_SIZE, MissingWalk, PageMemory, last_le, next_missing, walk_missing)
from prng cimport page_unit

import array as _pyarray

#: action codes for ``RecordedMemory.apply`` (the same as ``sim.ACTIONS``)
from damon_tui._fast.pagemem import ACTIONS  # noqa: F401

cdef array.array _Q = _pyarray.array("Q")
cdef array.array _D = _pyarray.array("d")


cdef class RecordedMemory(PageMemory):
    """Pages of the recorded address ranges, touched with the record's probabilities."""

    cdef readonly uint64_t seed
    # the regions in force: sorted, non-overlapping
    cdef array.array r_start, r_end, r_q

    def __init__(self, starts, ends, long long mem_pages, seed=0):
        """``starts``/``ends``: the recorded address ranges, sorted, not overlapping."""
        n = len(starts)
        if n == 0 or len(ends) != n:
            raise ValueError("starts and ends must be non-empty and of the same length")
        if mem_pages <= 0:
            raise ValueError("modelled memory must be positive")
        prev = 0
        aligned, npages = [], []
        for i in range(n):
            s = int(starts[i]) & ~(PAGE_SIZE - 1)
            e = (int(ends[i]) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
            if e <= s or s < prev:
                raise ValueError(f"range {i}: ranges must be sorted, non-empty, not overlapping")
            prev = e
            aligned.append(s)
            npages.append((e - s) // PAGE_SIZE)
        self._init_spans(aligned, npages)
        self.mem_pages = mem_pages
        self.seed = <uint64_t>(int(seed) & 0xFFFFFFFFFFFFFFFF)
        self.r_start = array.clone(_Q, 0, zero=False)
        self.r_end = array.clone(_Q, 0, zero=False)
        self.r_q = array.clone(_D, 0, zero=False)

    # ------------------------------------------------------------ regions

    def set_regions(self, array.array starts, array.array ends, array.array q):
        """The regions in force (``'Q'``, ``'Q'``, ``'d'`` arrays, sorted)."""
        if not (len(starts) == len(ends) == len(q)):
            raise ValueError("starts, ends and q must have the same length")
        self.r_start = starts
        self.r_end = ends
        self.r_q = q

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
        cdef int lo
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
                if nr == 0:
                    continue
                lo = last_le(<const uint64_t*>&rs[0], <int>nr, addr)
                if lo < 0 or addr >= re[lo] or rq[lo] <= 0.0:
                    continue
                gp = self._gpage(addr)
                if gp < 0:
                    continue
                out[i] = page_unit(self.seed, <uint64_t>gp, sample_id) < rq[lo]

    # ------------------------------------------------------------ memory

    cdef void _walk(self, int s, int64_t g0, int64_t g1, double p0, double p1,
                    double p_again, uint64_t snap, uint64_t window, double lg, double t0,
                    double sample, double t_mid, double t_end) noexcept nogil:
        """Touch the non-resident pages ``[g0, g1)`` whose first touch in snapshot
        ``snap`` falls in this piece (``p0 <= u < p1``, one ``u`` per page and snapshot,
        so the outcome does not depend on how the snapshot is cut); a page already
        touched earlier in the snapshot but evicted since is touched again with
        probability ``p_again``.  Each page counts as resident from its touch time (the
        ``u``-th quantile of the first-touch time, or ``t_mid``), not the piece's end."""
        cdef int64_t gp
        cdef double u, t
        cdef MissingWalk it
        walk_missing(&it, self.missing, g0, g1)
        while True:
            gp = next_missing(&it)
            if gp < 0:
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
            self._touch(gp, s)

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
        cdef uint64_t a, e
        cdef int64_t p_lo, p_hi
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
                    if self._page_span(s, a, e, False, &p_lo, &p_hi):
                        self._walk(s, self.sp_page0[s] + p_lo, self.sp_page0[s] + p_hi,
                                   p0, p1, p_again, snap, window, lg, t0, sample_us,
                                   t_mid, t_end)
                    s += 1
