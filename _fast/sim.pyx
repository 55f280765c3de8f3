# cython: language_level=3
"""Simulated masim execution in virtual time, with a per-page memory model.

Time is counted in *ticks*: one tick is one access slot at the configured access rate
(accesses per second), so batches of accesses have exact integer time spans and the
conversion ``us -> tick`` is the only rounding.

Execution (masim's): phases run in order; each phase draws a pattern with a weighted
random number per batch of ``batch`` accesses and runs the batch; the phase ends when
its duration has passed (checked after each batch, so it may overrun by one batch);
a phase whose weights are all zero makes no access for its duration.  After the last
phase the whole phase list runs again (the workload loops).  Sequential patterns
access ``offset += stride`` wrapping to 0 at the region end; the offset carries over
between batches of the same pattern within one run of a phase and restarts at 0 when
the phase starts again (the first access is at ``stride``).  Random patterns access
uniformly random bytes of their region.

Every generated batch is kept in a bounded ring (``history`` batches) as
``(pattern, first tick, count, first position)``.  "Was the page at ``addr`` touched in
the window ``[t0, t1)``?" looks only at the batches overlapping the window: a
sequential batch covers a cyclic interval of positions (exact, any stride); a random
batch of ``m`` accesses (``m`` = its part inside the window) touches a page with
probability ``1 - (1 - p)^m`` (``p`` the page's share of the region), decided by a
deterministic hash of (page, batch id) so that every question gets the same answer.

Memory model (``pagemem.PageMemory``, the base class, shared with the replayed record
of ``recorded.pyx``): per page, flags resident / active / hugepage / swapped (paged out).
Pages start non-resident; the first touch is a page fault, touching a swapped page is
a refault.  Faults are found by walking, per batch, only the non-resident pages of the
batch's touched range (a bitmap of non-resident pages, scanned a word at a time), and
only while the region has non-resident pages the pattern can reach.  When resident
pages exceed the modelled machine memory, a CLOCK reclaim evicts inactive pages first
(active pages are deactivated on the first pass): the active / inactive LRU that
``lru_prio`` / ``lru_deprio`` / ``cold`` change.  Accesses to resident pages do not
move them on the LRU (the kernel's referenced-bit promotion is not modelled).
"""

from cpython cimport array
from libc.math cimport expm1, log1p
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint64_t
from libc.stdlib cimport calloc, free, realloc

from damon_tui._fast.pagemem cimport (
    F_ACTIVE, F_HUGE, PAGE_SHIFT, PAGE_SIZE, MissingWalk, PageMemory, next_missing,
    walk_missing)
from prng cimport page_unit, splitmix64

import array as _pyarray

#: action codes for ``Sim.apply``
from damon_tui._fast.pagemem import ACTIONS  # noqa: F401

#: folio size of a page in a huge page (x86-64 PMD)
cdef unsigned long long HUGE_BYTES = 2 * 1024 * 1024

#: ops filter codes for ``Sim.apply``
FILTER_TYPES = {"anon": 0, "active": 1, "young": 2, "hugepage_size": 3, "unmapped": 4}

cdef array.array _H = _pyarray.array("H")


ctypedef struct Batch:
    int64_t t0      # first tick
    int64_t n       # number of accesses (ticks)
    int64_t s0      # sequential: position index of the first access
    uint64_t bid    # global batch id (hash input)
    int pat         # global pattern index


ctypedef struct View:
    # one batch's part inside a query window
    int region
    int random
    int64_t stride
    int64_t L
    int64_t a1s, a1e, a2e   # sequential: positions [a1s, a1e) and [0, a2e)
    int full                # sequential: every position covered
    int dense               # sequential with stride <= page: page intervals below
    int64_t p1s, p1e, p2e   # pages [p1s, p1e) and [0, p2e) touched (dense only)
    double q, q_last        # random: per-page touch probability (full / last page)
    uint64_t bid


ctypedef struct Region:
    # one masim region (a mapping; its pages are span ``r`` of the PageMemory)
    int64_t size
    double lg               # log1p(-4096/size) (0 when the region is one page)
    double lg_last          # same for the partial last page
    int64_t vstamp          # == Sim.vstamp: the region has views in the current window


ctypedef struct Phase:
    int64_t dur             # ticks
    int pat0                # its patterns: pats[pat0 .. pat0 + npat)
    int npat
    int64_t weight          # sum of its patterns' weights


ctypedef struct Pattern:
    int region
    int random
    int64_t stride
    int64_t L
    int64_t weight
    int64_t pos             # sequential position (index of the last access)
    int64_t covered         # positions walked since epoch
    int64_t epoch           # region epoch when covered started
    int clean               # walked a full cycle at epoch: nothing to fault


cdef inline double _touch_prob(double lg, int64_t m) noexcept nogil:
    """1 - (1 - p)^m given lg = log1p(-p); lg == 0 marks p == 1."""
    if m <= 0:
        return 0.0
    if lg == 0.0:
        return 1.0
    return -expm1(<double>m * lg)


cdef class Sim(PageMemory):
    """One simulated masim process: execution, access queries and memory state (the
    ``PageMemory`` base class: region ``r`` is span ``r``)."""

    # configuration
    cdef readonly int64_t rate, batch
    cdef readonly uint64_t seed
    cdef readonly int nr_regions, nr_phases, nr_patterns
    cdef Region *regs
    cdef Phase *phases
    cdef Pattern *pats

    # execution state
    cdef uint64_t rng
    cdef readonly int64_t gen_tick          # ticks generated so far
    cdef readonly int phase                 # current phase index
    cdef int64_t phase_elapsed
    cdef int64_t cycle_start
    cdef readonly int64_t nr_cycles         # completed passes over the phase list
    cdef readonly int64_t nr_accesses       # accesses generated
    cdef Batch *ring
    cdef int64_t cap, mask
    cdef readonly int64_t nb                # batches generated (next batch id)
    cdef readonly int64_t lost_until        # windows starting before this tick are gone

    # memory state (the rest is PageMemory's; ``_account`` integrates over ticks)
    cdef readonly int64_t now_tick          # latest tick queried

    cdef View *views
    cdef int64_t views_cap
    cdef int64_t vstamp

    # the ops filters of the ``apply`` under way (see ``_passes``)
    cdef int nf
    cdef const int *ftypes
    cdef const unsigned char *fmatching
    cdef const unsigned char *fallow
    cdef const unsigned long long *fmin
    cdef const unsigned long long *fmax
    cdef int64_t fnv
    cdef bint default_reject

    def __cinit__(self, *args, **kwargs):
        self.regs = NULL
        self.phases = NULL
        self.pats = NULL
        self.ring = NULL
        self.views = NULL

    def __init__(self, bases, sizes, phases, long long rate, long long batch=131072,
                 seed=0, long long history=65536, mem_pages=None):
        """``phases``: ``[(duration_ms, [(region_idx, random, stride, weight), ...])]``."""
        cdef int i, j, k
        if rate <= 0:
            raise ValueError("access rate must be positive")
        if batch <= 0:
            raise ValueError("batch size must be positive")
        if len(bases) != len(sizes) or not sizes:
            raise ValueError("bases and sizes must be non-empty and of the same length")
        if not phases:
            raise ValueError("a workload needs at least one phase")
        self.rate = rate
        self.batch = batch
        self.seed = <uint64_t>(int(seed) & 0xFFFFFFFFFFFFFFFF)
        self.rng = self.seed
        self.rng = splitmix64(&self.rng)
        self.nr_regions = len(sizes)
        self.nr_phases = len(phases)
        self.nr_patterns = sum(len(p[1]) for p in phases)
        n = self.nr_regions
        self.regs = <Region*>calloc(n, sizeof(Region))
        self.phases = <Phase*>calloc(self.nr_phases, sizeof(Phase))
        self.pats = <Pattern*>calloc(max(self.nr_patterns, 1), sizeof(Pattern))
        cap = 1
        while cap < max(history, 16):
            cap <<= 1
        self.cap = cap
        self.mask = cap - 1
        self.ring = <Batch*>calloc(cap, sizeof(Batch))
        self.views_cap = 64
        self.views = <View*>calloc(self.views_cap, sizeof(View))
        if (not self.regs or not self.phases or not self.pats or not self.ring
                or not self.views):
            raise MemoryError()

        prev_end = 0
        aligned, npages_of = [], []
        for i in range(n):
            base = int(bases[i])
            size = int(sizes[i])
            if size <= 0:
                raise ValueError(f"region {i}: size must be positive")
            if base % PAGE_SIZE:
                raise ValueError(f"region {i}: base {base:#x} is not page aligned")
            if base < prev_end:
                raise ValueError(f"region {i}: regions must be sorted and not overlap")
            npages = (size + PAGE_SIZE - 1) // PAGE_SIZE
            prev_end = base + npages * PAGE_SIZE
            aligned.append(base)
            npages_of.append(npages)
            self.regs[i].size = size
            if npages == 1:
                self.regs[i].lg = 0.0
                self.regs[i].lg_last = 0.0
            else:
                self.regs[i].lg = log1p(-<double>PAGE_SIZE / <double>size)
                self.regs[i].lg_last = log1p(
                    -<double>(size - (npages - 1) * PAGE_SIZE) / <double>size)
        self._init_spans(aligned, npages_of)

        k = 0
        for i in range(self.nr_phases):
            duration_ms, patterns = phases[i]
            self.phases[i].dur = (int(duration_ms) * rate) // 1000
            self.phases[i].pat0 = k
            self.phases[i].npat = len(patterns)
            total = 0
            for region_idx, random, stride, weight in patterns:
                if not 0 <= region_idx < n:
                    raise ValueError(f"phase {i}: region index {region_idx} out of range")
                if weight < 0:
                    raise ValueError(f"phase {i}: negative weight")
                if not random and stride <= 0:
                    raise ValueError(f"phase {i}: sequential stride must be positive")
                self.pats[k].region = region_idx
                self.pats[k].random = 1 if random else 0
                self.pats[k].stride = stride
                self.pats[k].L = ((sizes[region_idx] - 1) // stride + 1) if not random else 1
                self.pats[k].weight = weight
                total += weight
                k += 1
            self.phases[i].weight = total

        self.mem_pages = self.total_pages * 3 // 2 if mem_pages is None else int(mem_pages)
        if self.mem_pages <= 0:
            raise ValueError("modelled memory must be positive")
        self.phase = 0
        self._enter_phase(0)

    def __dealloc__(self):
        free(self.regs); free(self.phases); free(self.pats)
        free(self.ring); free(self.views)

    # ------------------------------------------------------------------ time

    cdef inline int64_t _tick(self, long long us) noexcept nogil:
        if us <= 0:
            return 0
        return (us // 1000000) * self.rate + ((us % 1000000) * self.rate) // 1000000

    def tick(self, long long us):
        """The tick at ``us`` microseconds of virtual time."""
        return self._tick(us)

    def us(self, int64_t tick):
        """Microseconds of virtual time at ``tick``."""
        return <double>tick * 1e6 / <double>self.rate

    # ------------------------------------------------------------- execution

    cdef void _enter_phase(self, int ph) noexcept nogil:
        cdef int k
        self.phase = ph
        self.phase_elapsed = 0
        for k in range(self.phases[ph].pat0, self.phases[ph].pat0 + self.phases[ph].npat):
            self.pats[k].pos = 0
            self.pats[k].covered = 0
            self.pats[k].epoch = -1
            self.pats[k].clean = 0

    cdef void _next_phase(self) noexcept nogil:
        cdef int ph = self.phase + 1
        if ph >= self.nr_phases:
            ph = 0
            self.nr_cycles += 1
            if self.gen_tick == self.cycle_start:
                # a whole pass makes no progress (only zero-length idle phases): idle
                self.gen_tick = <int64_t>1 << 62
            self.cycle_start = self.gen_tick
        self._enter_phase(ph)

    cdef inline uint64_t _rand(self) noexcept nogil:
        return splitmix64(&self.rng)

    cdef void _advance(self, int64_t target) noexcept nogil:
        cdef int ph, k, kk
        cdef int64_t r, acc, L, n
        cdef Batch *b
        while self.gen_tick < target:
            ph = self.phase
            if self.phases[ph].weight == 0:
                # busy-wait phase: no access for its duration
                self.gen_tick += self.phases[ph].dur - self.phase_elapsed
                self._account(self.gen_tick)
                self._next_phase()
                continue
            r = <int64_t>(self._rand() % <uint64_t>self.phases[ph].weight)
            k = self.phases[ph].pat0
            acc = 0
            for kk in range(self.phases[ph].pat0, self.phases[ph].pat0 + self.phases[ph].npat):
                acc += self.pats[kk].weight
                if r < acc:
                    k = kk
                    break
            n = self.batch
            if self.nb >= self.cap:
                b = &self.ring[self.nb & self.mask]
                self.lost_until = b.t0 + b.n
            b = &self.ring[self.nb & self.mask]
            b.t0 = self.gen_tick
            b.n = n
            b.bid = <uint64_t>self.nb
            b.pat = k
            if self.pats[k].random:
                b.s0 = 0
            else:
                L = self.pats[k].L
                b.s0 = (self.pats[k].pos + 1) % L
                self.pats[k].pos = (self.pats[k].pos + n) % L
            self.nb += 1
            self._account(self.gen_tick)
            self._fault_walk(b)
            self.gen_tick += n
            self.nr_accesses += n
            self.phase_elapsed += n
            if self.phase_elapsed >= self.phases[ph].dur:
                self._next_phase()

    def advance(self, long long now_us):
        """Run the simulated execution up to ``now_us``."""
        cdef int64_t t = self._tick(now_us)
        with nogil:
            self._advance(t)
            if t > self.now_tick:
                self.now_tick = t
            self._account(t)

    # ----------------------------------------------------------- memory model

    cdef void _walk_seq_span(self, int r, int64_t a, int64_t e, int64_t stride) noexcept nogil:
        """Fault in the non-resident pages touched by positions [a, e)."""
        cdef int64_t p0 = (a * stride) >> PAGE_SHIFT
        cdef int64_t p1 = ((e - 1) * stride) >> PAGE_SHIFT   # inclusive
        cdef int64_t base = self.sp_page0[r]
        cdef int64_t gp, p, jlo, jhi
        cdef MissingWalk it
        walk_missing(&it, self.missing, base + p0, base + p1 + 1)
        while True:
            gp = next_missing(&it)
            if gp < 0:
                break
            if stride > PAGE_SIZE:
                p = gp - base
                jlo = ((p << PAGE_SHIFT) + stride - 1) // stride
                jhi = (((p + 1) << PAGE_SHIFT) + stride - 1) // stride
                if jlo >= jhi or jlo >= e or jhi <= a:
                    continue
            self._touch(gp, r)

    cdef void _fault_walk(self, Batch *b) noexcept nogil:
        cdef int k = b.pat
        cdef int r = self.pats[k].region
        cdef int64_t L, e, base, gp, npages
        cdef double q, q_last, u
        cdef MissingWalk it
        if self.sp_missing[r] == 0:
            return
        if self.pats[k].random:
            npages = self.sp_npages[r]
            q = _touch_prob(self.regs[r].lg, b.n)
            q_last = _touch_prob(self.regs[r].lg_last, b.n)
            base = self.sp_page0[r]
            walk_missing(&it, self.missing, base, base + npages)
            while True:
                gp = next_missing(&it)
                if gp < 0:
                    break
                u = page_unit(self.seed, <uint64_t>gp, b.bid)
                if u < (q_last if gp - base == npages - 1 else q):
                    self._touch(gp, r)
            return
        if self.pats[k].clean and self.pats[k].epoch == self.sp_epoch[r]:
            return
        if self.pats[k].epoch != self.sp_epoch[r]:
            self.pats[k].epoch = self.sp_epoch[r]
            self.pats[k].covered = 0
        L = self.pats[k].L
        if b.n >= L:
            self._walk_seq_span(r, 0, L, self.pats[k].stride)
        else:
            e = b.s0 + b.n
            if e <= L:
                self._walk_seq_span(r, b.s0, e, self.pats[k].stride)
            else:
                self._walk_seq_span(r, b.s0, L, self.pats[k].stride)
                self._walk_seq_span(r, 0, e - L, self.pats[k].stride)
        if self.pats[k].epoch == self.sp_epoch[r]:
            self.pats[k].covered += b.n
            if self.pats[k].covered >= L:
                self.pats[k].clean = 1
        else:
            # evictions during the walk (reclaim under pressure): start over
            self.pats[k].epoch = self.sp_epoch[r]
            self.pats[k].covered = 0

    def apply(self, int action, unsigned long long start, unsigned long long end,
              const int[::1] ftypes=None, const unsigned char[::1] fmatching=None,
              const unsigned char[::1] fallow=None, const unsigned long long[::1] fmin=None,
              const unsigned long long[::1] fmax=None, bint default_reject=False,
              long long young_t0_us=0, long long young_t1_us=0):
        """Apply action ``action`` (a code of ``ACTIONS``) to ``[start, end)``.

        Returns the bytes applied: paged out (pageout), resident bytes moved on the LRU
        (cold, lru_deprio, lru_prio), or mapped bytes of the range (willneed,
        hugepage, nohugepage, collapse); 0 for stat.

        With ops filters (``ftypes`` codes of ``FILTER_TYPES``, per filter ``fmatching``,
        ``fallow``, and the ``hugepage_size`` bounds ``fmin``/``fmax``) each resident
        page is judged like ``damos_pa_filter_out``: the first filter whose match equals
        ``fmatching`` decides (allow: pass), none: ``default_reject``.  Only passed
        pages are acted on; ``last_passed`` counts them.  Every sim page is anonymous
        and mapped; a page is young when touched in ``[young_t0_us, young_t1_us)``;
        its folio is 2 MiB when it is in a huge page, else 4 KiB.
        """
        cdef int k, nf = 0 if ftypes is None else ftypes.shape[0]
        cdef int64_t applied, ya, ye
        cdef bint need_young = False
        self.last_mapped = 0
        self.last_passed = 0
        if end <= start or (action == 0 and nf == 0):
            return 0
        self.fnv = 0
        for k in range(nf):
            if ftypes[k] == 2:
                need_young = True
        if need_young:
            ya, ye = self._tick(young_t0_us), self._tick(young_t1_us)
            with nogil:
                self._advance(ye)
            self.fnv = self._build_views(ya, ye)
        self.nf = nf
        if nf:
            self.ftypes = &ftypes[0]
            self.fmatching = &fmatching[0]
            self.fallow = &fallow[0]
            self.fmin = &fmin[0]
            self.fmax = &fmax[0]
        self.default_reject = default_reject
        with nogil:
            applied = self._apply(action, start, end, nf != 0)
        self.nf = 0
        return applied

    cdef bint _passes(self, int r, int64_t p, uint8_t f) noexcept nogil:
        """``damos_pa_filter_out`` for resident page ``p`` of region ``r`` (flags ``f``)
        under the filters of the ``apply`` under way."""
        cdef int k
        cdef bint m
        cdef unsigned long long fsz
        for k in range(self.nf):
            if self.ftypes[k] == 0:      # anon
                m = True
            elif self.ftypes[k] == 1:    # active
                m = (f & F_ACTIVE) != 0
            elif self.ftypes[k] == 2:    # young
                m = self.fnv > 0 and self._page_touched(r, p, self.views, self.fnv)
            elif self.ftypes[k] == 3:    # hugepage_size
                fsz = HUGE_BYTES if f & F_HUGE else PAGE_SIZE
                m = self.fmin[k] <= fsz <= self.fmax[k]
            else:                        # unmapped
                m = False
            if m == (self.fmatching[k] != 0):
                return self.fallow[k] != 0
        return not self.default_reject

    def avg_rss_pages(self):
        """Time-averaged resident pages since the start."""
        self._account(self.now_tick)
        return PageMemory.avg_rss_pages(self)

    # --------------------------------------------------------------- queries

    cdef int64_t _first_batch(self, int64_t a) noexcept nogil:
        """Id of the first kept batch ending after tick ``a``."""
        cdef int64_t lo = self.nb - self.cap if self.nb > self.cap else 0
        cdef int64_t hi = self.nb, mid
        cdef Batch *b
        while lo < hi:
            mid = (lo + hi) >> 1
            b = &self.ring[mid & self.mask]
            if b.t0 + b.n > a:
                hi = mid
            else:
                lo = mid + 1
        return lo

    cdef int _views_reserve(self, int64_t want) except -1:
        cdef void *p
        if want <= self.views_cap:
            return 0
        p = realloc(self.views, want * 2 * sizeof(View))
        if p == NULL:
            raise MemoryError()
        self.views = <View*>p
        self.views_cap = want * 2
        return 0

    cdef int64_t _build_views(self, int64_t a, int64_t e) except -1:
        """Views of the batches overlapping ticks [a, e); returns how many."""
        cdef int64_t first, id_, nv = 0, os, oe, k, m, L, x
        cdef Batch *b
        cdef View *v
        cdef int pat, r
        if a < self.lost_until:
            raise ValueError("the query window starts before the kept batch history "
                             "(raise history=)")
        first = self._first_batch(a)
        id_ = first
        while id_ < self.nb:
            b = &self.ring[id_ & self.mask]
            if b.t0 >= e:
                break
            id_ += 1
        self._views_reserve(id_ - first + 1)
        self.vstamp += 1
        id_ = first
        while id_ < self.nb:
            b = &self.ring[id_ & self.mask]
            if b.t0 >= e:
                break
            id_ += 1
            os = a if a > b.t0 else b.t0
            oe = e if e < b.t0 + b.n else b.t0 + b.n
            if oe <= os:
                continue
            m = oe - os
            pat = b.pat
            r = self.pats[pat].region
            v = &self.views[nv]
            nv += 1
            self.regs[r].vstamp = self.vstamp
            v.region = r
            v.random = self.pats[pat].random
            v.bid = b.bid
            if v.random:
                v.q = _touch_prob(self.regs[r].lg, m)
                v.q_last = _touch_prob(self.regs[r].lg_last, m)
                continue
            L = self.pats[pat].L
            v.stride = self.pats[pat].stride
            v.L = L
            if m >= L:
                v.full = 1
                v.a1s = 0
                v.a1e = L
                v.a2e = 0
            else:
                v.full = 0
                x = (b.s0 + (os - b.t0)) % L
                v.a1s = x
                if x + m <= L:
                    v.a1e = x + m
                    v.a2e = 0
                else:
                    v.a1e = L
                    v.a2e = x + m - L
            v.dense = v.stride <= PAGE_SIZE
            if v.dense:
                v.p1s = (v.a1s * v.stride) >> PAGE_SHIFT
                v.p1e = (((v.a1e - 1) * v.stride) >> PAGE_SHIFT) + 1
                v.p2e = ((((v.a2e - 1) * v.stride) >> PAGE_SHIFT) + 1) if v.a2e > 0 else 0
        return nv

    cdef inline bint _page_touched(self, int r, int64_t p, View *views,
                                   int64_t nv) noexcept nogil:
        cdef int64_t i, jlo, jhi, npages
        cdef View *v
        for i in range(nv):
            v = &views[i]
            if v.region != r:
                continue
            if v.random:
                npages = self.sp_npages[r]
                if page_unit(self.seed, <uint64_t>(self.sp_page0[r] + p), v.bid) < (
                        v.q_last if p == npages - 1 else v.q):
                    return True
                continue
            if v.dense:
                if (p >= v.p1s and p < v.p1e) or p < v.p2e:
                    return True
                continue
            jlo = ((p << PAGE_SHIFT) + v.stride - 1) // v.stride
            jhi = (((p + 1) << PAGE_SHIFT) + v.stride - 1) // v.stride
            if jhi > v.L:
                jhi = v.L
            if jlo >= jhi:
                continue
            if v.full:
                return True
            if jlo < v.a1e and jhi > v.a1s:
                return True
            if v.a2e > 0 and jlo < v.a2e:
                return True
        return False

    cdef inline int _find_region(self, uint64_t addr) noexcept nogil:
        """The region mapping ``addr`` (-1: none)."""
        cdef int r = self._span_of(addr)
        if r < 0 or addr >= self.sp_end[r]:
            return -1
        return r

    def check(self, const unsigned long long[::1] addrs, unsigned char[::1] out,
              long long t0_us, long long t1_us):
        """``out[i] = 1`` if the page of ``addrs[i]`` was touched in ``[t0_us, t1_us)``."""
        cdef int64_t a = self._tick(t0_us), e = self._tick(t1_us)
        cdef int64_t nv, i, n = addrs.shape[0]
        cdef int r, rr
        cdef uint64_t addr
        if out.shape[0] < n:
            raise ValueError("out is shorter than addrs")
        with nogil:
            self._advance(e)
            if e > self.now_tick:
                self.now_tick = e
        nv = self._build_views(a, e)
        r = 0
        with nogil:
            for i in range(n):
                addr = addrs[i]
                # addresses usually come sorted (one per DAMON region): a cursor first
                if addr < self.sp_start[r] or addr >= self.sp_end[r]:
                    if (r + 1 < self.nr_regions and addr >= self.sp_start[r + 1]
                            and addr < self.sp_end[r + 1]):
                        r += 1
                    else:
                        rr = self._find_region(addr)
                        if rr < 0:
                            out[i] = 0
                            continue
                        r = rr
                if self.regs[r].vstamp != self.vstamp:
                    out[i] = 0
                    continue
                out[i] = self._page_touched(
                    r, <int64_t>((addr - self.sp_start[r]) >> PAGE_SHIFT), self.views, nv)

    def touched_pages(self, unsigned long long start, unsigned long long end,
                      long long t0_us, long long t1_us):
        """(touched, mapped): pages of ``[start, end)`` touched in ``[t0_us, t1_us)``."""
        cdef int64_t a = self._tick(t0_us), e = self._tick(t1_us)
        cdef int64_t nv, p, p_lo, p_hi, touched = 0, mapped = 0
        cdef int r
        with nogil:
            self._advance(e)
        nv = self._build_views(a, e)
        with nogil:
            for r in range(self.nr_regions):
                if not self._page_span(r, start, end, False, &p_lo, &p_hi):
                    continue
                mapped += p_hi - p_lo
                if nv == 0:
                    continue
                for p in range(p_lo, p_hi):
                    touched += self._page_touched(r, p, self.views, nv)
        return touched, mapped

    def page_counts(self, unsigned long long start, unsigned long long end,
                    long long t0_us, long long t1_us, long long step_us):
        """Per page of ``[start, end)`` (page aligned down): in how many of the windows
        ``[t0 + k*step, t0 + (k+1)*step)`` up to ``t1`` it was touched (``array('H')``);
        unmapped pages count 0."""
        cdef int64_t npg, nv, p, p_lo, p_hi, off, a, e
        cdef long long w0, w1
        cdef int r
        cdef uint64_t rs, astart
        cdef array.array counts
        cdef uint16_t *c
        if step_us <= 0:
            raise ValueError("step_us must be positive")
        astart = start & ~(<unsigned long long>PAGE_SIZE - 1)
        npg = <int64_t>((end - astart + PAGE_SIZE - 1) >> PAGE_SHIFT) if end > astart else 0
        counts = array.clone(_H, npg, zero=True)
        c = <uint16_t*>counts.data.as_voidptr
        with nogil:
            self._advance(self._tick(t1_us))
        w0 = t0_us
        while w0 < t1_us:
            w1 = w0 + step_us
            if w1 > t1_us:
                w1 = t1_us
            a = self._tick(w0)
            e = self._tick(w1)
            nv = self._build_views(a, e)
            w0 = w1
            if nv == 0:
                continue
            with nogil:
                for r in range(self.nr_regions):
                    if not self._page_span(r, astart, end, False, &p_lo, &p_hi):
                        continue
                    rs = self.sp_start[r]
                    off = <int64_t>((rs - astart) >> PAGE_SHIFT) if rs > astart else \
                        -<int64_t>((astart - rs) >> PAGE_SHIFT)
                    for p in range(p_lo, p_hi):
                        if self._page_touched(r, p, self.views, nv):
                            c[p + off] += 1
        return counts

    def freq_abs_error(self, starts, ends, est, long long t0_us, long long t1_us,
                       long long step_us):
        """Sum over mapped pages of ``|est[i] - true frequency|`` and the page count.

        ``starts``/``ends``/``est`` describe sorted, non-overlapping regions (as the
        engine reports them) with an estimated access frequency in [0, 1]; the true
        frequency of a page is the share of the windows ``[t0 + k*step, ...)`` (up to
        ``t1``) in which it was touched.
        """
        cdef double err = 0.0, f, nwin
        cdef int64_t pages = 0, i, j, j0, j1, n = len(starts)
        cdef uint16_t *c
        cdef uint64_t lo, hi, s, e
        cdef array.array counts
        if n == 0:
            return 0.0, 0
        nwin = <double>((t1_us - t0_us + step_us - 1) // step_us)
        if nwin <= 0:
            return 0.0, 0
        lo = min(starts) & ~(<unsigned long long>PAGE_SIZE - 1)
        hi = max(ends)
        counts = self.page_counts(lo, hi, t0_us, t1_us, step_us)
        c = <uint16_t*>counts.data.as_voidptr
        for i in range(n):
            s = starts[i]
            e = ends[i]
            f = est[i]
            j0 = <int64_t>((s - lo) >> PAGE_SHIFT)
            j1 = <int64_t>((e - lo + PAGE_SIZE - 1) >> PAGE_SHIFT)
            for j in range(j0, j1):
                if self._find_region(lo + <uint64_t>(j << PAGE_SHIFT)) < 0:
                    continue
                pages += 1
                err += abs(f - c[j] / nwin)
        return err, pages

    def region_span(self, int r):
        """(start, end) of region ``r``'s mapping (page aligned)."""
        return (self.sp_start[r], self.sp_end[r])

    def region_missing(self, int r):
        return self.sp_missing[r]
