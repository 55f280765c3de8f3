# cython: language_level=3
"""DAMON's region arrays and monitoring loop core (damon-reference §1, §2, era C).

Regions of one target live in five contiguous C arrays (start, end, nr_accesses,
last_nr_accesses, age); no Python object exists per region in the hot path.
``Core`` runs the sampling loop: per sample and target it draws one random address per
region in C, hands the batch to the ops (two Python calls), and adds the results in C.
"""

from cpython cimport array
from cpython.object cimport Py_SIZE
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memmove, memset

from prng cimport splitmix64

import array as _pyarray


cdef extern from *:
    """
    #include <time.h>
    #include <errno.h>
    typedef unsigned __int128 dt_u128;
    static inline unsigned long long dt_mono_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL;
    }
    static inline void dt_sleep_us(unsigned long long us) {
        struct timespec ts;
        ts.tv_sec = us / 1000000ULL;
        ts.tv_nsec = (long)((us % 1000000ULL) * 1000ULL);
        while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
    }
    """
    ctypedef unsigned long long u128 "dt_u128"
    unsigned long long mono_us "dt_mono_us"() nogil
    void sleep_us "dt_sleep_us"(unsigned long long us) nogil


cdef array.array _Q = _pyarray.array("Q")
cdef array.array _I = _pyarray.array("I")
cdef array.array _B = _pyarray.array("B")

#: below this many regions the GIL is kept (releasing it costs more than the loop)
cdef Py_ssize_t NOGIL_MIN = 256
#: longest real sleep while idle (watermarks) before checking for calls or stop (µs)
cdef unsigned long long IDLE_SLICE_US = 50_000


# ---------------------------------------------------------------------------
# PRNG: xoshiro256** seeded with splitmix64 (the kernel's per-ctx PRNG in era C)
# ---------------------------------------------------------------------------

cdef inline uint64_t _rotl(uint64_t x, int k) noexcept nogil:
    return (x << k) | (x >> (64 - k))


cdef class Rng:
    """Seeded xoshiro256** generator; ``rand(l, r)`` is the kernel's ``damon_rand``."""

    cdef uint64_t s[4]

    def __cinit__(self, seed=0):
        cdef uint64_t z = <uint64_t>(int(seed) & 0xFFFFFFFFFFFFFFFF)
        cdef int i
        for i in range(4):
            self.s[i] = splitmix64(&z)

    cdef inline uint64_t next(self) noexcept nogil:
        cdef uint64_t result = _rotl(self.s[1] * 5, 7) * 9
        cdef uint64_t t = self.s[1] << 17
        self.s[2] ^= self.s[0]
        self.s[3] ^= self.s[1]
        self.s[1] ^= self.s[2]
        self.s[0] ^= self.s[3]
        self.s[2] ^= t
        self.s[3] = _rotl(self.s[3], 45)
        return result

    cdef inline uint64_t crand(self, uint64_t l, uint64_t r) noexcept nogil:
        # uniform in [l, r); r > l
        return l + <uint64_t>((<u128>self.next() * <u128>(r - l)) >> 64)

    def rand(self, l, r):
        """A uniform integer in ``[l, r)`` (``damon_rand``)."""
        if r <= l:
            raise ValueError(f"rand: empty range [{l}, {r})")
        return self.crand(l, r)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

cdef inline uint64_t _align_down(uint64_t x, uint64_t a) noexcept nogil:
    return x - x % a


cdef inline uint64_t _align_up(uint64_t x, uint64_t a) noexcept nogil:
    cdef uint64_t rem = x % a
    return x if rem == 0 else x + (a - rem)


cdef inline uint32_t _conv(uint32_t c, uint64_t old_max, uint64_t new_max) noexcept nogil:
    cdef u128 bp = <u128>c * 10000 / old_max
    return <uint32_t>(bp * new_max / 10000)


cdef inline uint32_t _absdiff(uint32_t a, uint32_t b) noexcept nogil:
    return a - b if a > b else b - a


def mvsum(unsigned int nr_accesses, unsigned int last_nr_accesses, unsigned int left_bp):
    """Era C pseudo moving sum of a region's access count (damon-reference §1.6)."""
    if left_bp == 10000:
        return last_nr_accesses
    return nr_accesses + <unsigned long long>last_nr_accesses * left_bp // 10000


def nr_accesses_mvsum(passed, next_aggr, nr_samples, nr_accesses, last_nr_accesses):
    """``mvsum`` of a region at sample ``passed`` of a window ending at ``next_aggr``."""
    w = max(1, nr_samples)
    left = 0 if passed >= next_aggr else next_aggr - passed
    return mvsum(nr_accesses, last_nr_accesses, left * 10000 // w)


# ---------------------------------------------------------------------------
# RegionList
# ---------------------------------------------------------------------------

cdef class RegionList:
    """One target's regions, ``[start, end)`` in address order, in C arrays."""

    cdef Py_ssize_t n, cap
    cdef uint64_t *start
    cdef uint64_t *end
    cdef uint32_t *nr
    cdef uint32_t *last
    cdef uint32_t *age

    def __cinit__(self, regions=()):
        self.n = 0
        self.cap = 0
        self.start = NULL
        self.end = NULL
        self.nr = NULL
        self.last = NULL
        self.age = NULL
        self._reserve(16)

    def __init__(self, regions=()):
        cdef Py_ssize_t i = 0
        items = list(regions)
        self._reserve(len(items))
        for item in items:
            if len(item) == 4:
                s, e, nr, age = item
                last = 0
            elif len(item) == 5:
                s, e, nr, last, age = item
            else:
                raise ValueError(f"region {i}: expected (start, end, nr_accesses, age), got {item!r}")
            if not s < e:
                raise ValueError(f"region {i}: start {s} must be below end {e}")
            if i and s < self.end[i - 1]:
                raise ValueError(f"region {i}: starts at {s}, inside or before region {i - 1}")
            self.start[i] = s
            self.end[i] = e
            self.nr[i] = nr
            self.last[i] = last
            self.age[i] = age
            i += 1
            self.n = i

    def __dealloc__(self):
        free(self.start)
        free(self.end)
        free(self.nr)
        free(self.last)
        free(self.age)

    cdef int _reserve(self, Py_ssize_t want) except -1:
        if want <= self.cap:
            return 0
        cdef Py_ssize_t cap = max(want, 2 * self.cap, 16)
        cdef void *p
        p = realloc(self.start, cap * sizeof(uint64_t))
        if p == NULL:
            raise MemoryError()
        self.start = <uint64_t *>p
        p = realloc(self.end, cap * sizeof(uint64_t))
        if p == NULL:
            raise MemoryError()
        self.end = <uint64_t *>p
        p = realloc(self.nr, cap * sizeof(uint32_t))
        if p == NULL:
            raise MemoryError()
        self.nr = <uint32_t *>p
        p = realloc(self.last, cap * sizeof(uint32_t))
        if p == NULL:
            raise MemoryError()
        self.last = <uint32_t *>p
        p = realloc(self.age, cap * sizeof(uint32_t))
        if p == NULL:
            raise MemoryError()
        self.age = <uint32_t *>p
        self.cap = cap
        return 0

    cdef int _insert_gap(self, Py_ssize_t idx, Py_ssize_t count) except -1:
        """Open ``count`` uninitialised slots at ``idx`` (shifting the tail right)."""
        self._reserve(self.n + count)
        cdef Py_ssize_t tail = self.n - idx
        if tail > 0:
            memmove_arrays(self, idx, idx + count, tail)
        self.n += count
        return 0

    cdef void _delete(self, Py_ssize_t idx) noexcept:
        cdef Py_ssize_t tail = self.n - idx - 1
        if tail > 0:
            memmove_arrays(self, idx + 1, idx, tail)
        self.n -= 1

    def __len__(self):
        return self.n

    def __repr__(self):
        return f"RegionList({self.tolist()!r})"

    def tolist(self):
        """The regions as ``(start, end, nr_accesses, age)`` tuples."""
        cdef Py_ssize_t i
        return [(self.start[i], self.end[i], self.nr[i], self.age[i]) for i in range(self.n)]

    def ranges(self):
        """The regions as ``(start, end)`` tuples."""
        cdef Py_ssize_t i
        return [(self.start[i], self.end[i]) for i in range(self.n)]

    cdef inline int _check(self, Py_ssize_t index) except -1:
        if index < 0 or index >= self.n:
            raise IndexError(f"region index {index} out of range (0..{self.n - 1})")
        return 0

    def get(self, Py_ssize_t index):
        """Region ``index`` as ``(start, end, nr_accesses, last_nr_accesses, age)``."""
        self._check(index)
        return (self.start[index], self.end[index], self.nr[index], self.last[index],
                self.age[index])

    def set_age(self, Py_ssize_t index, unsigned int age):
        """Set region ``index``'s age (DAMOS resets it to 0 after a non-stat action)."""
        self._check(index)
        self.age[index] = age

    def set_nr_accesses(self, Py_ssize_t index, unsigned int nr_accesses):
        """Set region ``index``'s current-window access count."""
        self._check(index)
        self.nr[index] = nr_accesses

    def total_bytes(self):
        """Sum of the region sizes."""
        cdef Py_ssize_t i
        cdef uint64_t total = 0
        for i in range(self.n):
            total += self.end[i] - self.start[i]
        return total

    def split_at(self, Py_ssize_t index, unsigned long long size):
        """Split region ``index`` into ``[start, start+size)`` and the rest (§1.4).

        The new right piece copies nr_accesses, last_nr_accesses and age.
        """
        self._check(index)
        if size == 0 or size >= self.end[index] - self.start[index]:
            raise ValueError(f"split_at: size {size} must be inside region {index} "
                             f"[{self.start[index]}, {self.end[index]})")
        self._split_at(index, size)

    cdef int _split_at(self, Py_ssize_t index, uint64_t size) except -1:
        self._insert_gap(index + 1, 1)
        self.start[index + 1] = self.start[index] + size
        self.end[index + 1] = self.end[index]
        self.nr[index + 1] = self.nr[index]
        self.last[index + 1] = self.last[index]
        self.age[index + 1] = self.age[index]
        self.end[index] = self.start[index] + size
        return 0

    def merge_two(self, Py_ssize_t index):
        """Merge region ``index + 1`` into region ``index`` (``damon_merge_two_regions``).

        nr_accesses and age become size-weighted averages (truncated); the left
        region's last_nr_accesses is kept.  Also DAMOS's merge-back.
        """
        self._check(index)
        self._check(index + 1)
        self._merge_two(index)

    cdef void _merge_two(self, Py_ssize_t index) noexcept:
        cdef Py_ssize_t j = index + 1
        cdef uint64_t szl = self.end[index] - self.start[index]
        cdef uint64_t szr = self.end[j] - self.start[j]
        cdef u128 tot = <u128>szl + szr
        self.nr[index] = <uint32_t>((<u128>self.nr[index] * szl + <u128>self.nr[j] * szr) / tot)
        self.age[index] = <uint32_t>((<u128>self.age[index] * szl + <u128>self.age[j] * szr) / tot)
        self.end[index] = self.end[j]
        self._delete(j)

    def merge_regions(self, unsigned int thres, unsigned long long sz_limit,
                      bint update_age=True):
        """One ``damon_merge_regions_of`` pass (§1.3); returns the new region count.

        ``update_age``: do the age update (era C does it on the first pass only).
        """
        self._merge(thres, sz_limit, update_age)
        return self.n

    cdef void _merge(self, uint32_t thres, uint64_t sz_limit, bint update_age) noexcept nogil:
        cdef Py_ssize_t i, j = -1, n = self.n
        cdef uint64_t s, e, szp, szr
        cdef uint32_t nr, last, age
        cdef u128 tot
        for i in range(n):
            s = self.start[i]
            e = self.end[i]
            nr = self.nr[i]
            last = self.last[i]
            age = self.age[i]
            if update_age:
                if _absdiff(nr, last) > thres:
                    age = 0
                elif (nr == 0) != (last == 0):
                    age = 0
                else:
                    age += 1
            if j >= 0 and self.end[j] == s and _absdiff(self.nr[j], nr) <= thres:
                szp = self.end[j] - self.start[j]
                szr = e - s
                tot = <u128>szp + szr
                if tot <= sz_limit:
                    self.nr[j] = <uint32_t>((<u128>self.nr[j] * szp + <u128>nr * szr) / tot)
                    self.age[j] = <uint32_t>((<u128>self.age[j] * szp + <u128>age * szr) / tot)
                    self.end[j] = e
                    continue
            j += 1
            self.start[j] = s
            self.end[j] = e
            self.nr[j] = nr
            self.last[j] = last
            self.age[j] = age
        self.n = j + 1

    def reset_aggregated(self):
        """``last_nr_accesses = nr_accesses; nr_accesses = 0`` for every region."""
        self._reset()

    cdef void _reset(self) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(self.n):
            self.last[i] = self.nr[i]
            self.nr[i] = 0

    cdef uint32_t _max_nr(self) noexcept nogil:
        cdef Py_ssize_t i
        cdef uint32_t m = 0
        for i in range(self.n):
            if self.nr[i] > m:
                m = self.nr[i]
        return m

    def split_regions(self, int nr_subs, unsigned long long min_region_sz=4096, seed=0):
        """``damon_split_regions_of`` (§1.4): each region into up to ``nr_subs`` pieces.

        ``seed`` may be an int or an ``Rng`` (to continue a generator's stream).
        """
        if min_region_sz == 0:
            raise ValueError("min_region_sz must be positive")
        rng = seed if isinstance(seed, Rng) else Rng(seed)
        self._split(nr_subs, min_region_sz, <Rng>rng)

    cdef int _split(self, int nr_subs, uint64_t min_sz, Rng rng) except -1:
        if nr_subs < 2 or self.n == 0:
            return 0
        cdef Py_ssize_t n = self.n, i, k, o = 0, npieces
        cdef uint64_t sz, sub
        cdef uint64_t cuts[64]
        cdef int it
        if nr_subs > 64:
            nr_subs = 64
        cdef RegionList out = RegionList.__new__(RegionList)
        out._reserve(n * nr_subs)
        with nogil:
            for i in range(n):
                sz = self.end[i] - self.start[i]
                npieces = 0
                it = 0
                while it < nr_subs - 1 and sz > 2 * min_sz:
                    sub = _align_down(rng.crand(1, 10) * sz // 10, min_sz)
                    it += 1
                    if sub == 0 or sub >= sz:
                        continue
                    cuts[npieces] = sub  # descending: each cut is inside the previous
                    npieces += 1
                    sz = sub
                # pieces: [s, s+cuts[last]), ..., [s+cuts[0], e)
                k = npieces
                while True:
                    out.start[o] = self.start[i] if k == npieces else self.start[i] + cuts[k]
                    out.end[o] = self.end[i] if k == 0 else self.start[i] + cuts[k - 1]
                    out.nr[o] = self.nr[i]
                    out.last[o] = self.last[i]
                    out.age[o] = self.age[i]
                    o += 1
                    if k == 0:
                        break
                    k -= 1
        out.n = o
        self._take(out)
        return 0

    cdef void _take(self, RegionList other) noexcept:
        """Steal ``other``'s arrays (``other`` becomes empty)."""
        free(self.start)
        free(self.end)
        free(self.nr)
        free(self.last)
        free(self.age)
        self.start, self.end, self.nr, self.last, self.age = (
            other.start, other.end, other.nr, other.last, other.age)
        self.n, self.cap = other.n, other.cap
        other.start = other.end = NULL
        other.nr = other.last = other.age = NULL
        other.n = other.cap = 0

    cdef int _split_some(self, Py_ssize_t *gidx, Py_ssize_t step, Py_ssize_t offset,
                         uint64_t min_sz, Rng rng) except -1:
        """Split regions whose global index is ``offset`` mod ``step`` once (era C)."""
        cdef Py_ssize_t n = self.n, i, o = 0
        cdef uint64_t sz, sub
        cdef RegionList out = RegionList.__new__(RegionList)
        out._reserve(2 * n)
        for i in range(n):
            out.start[o] = self.start[i]
            out.end[o] = self.end[i]
            out.nr[o] = self.nr[i]
            out.last[o] = self.last[i]
            out.age[o] = self.age[i]
            o += 1
            sz = self.end[i] - self.start[i]
            if gidx[0] % step == offset and sz >= 2 * min_sz:
                sub = _align_down(rng.crand(1, 10) * sz // 10, min_sz)
                if sub != 0 and sub < sz:
                    out.end[o - 1] = self.start[i] + sub
                    out.start[o] = self.start[i] + sub
                    out.end[o] = self.end[i]
                    out.nr[o] = self.nr[i]
                    out.last[o] = self.last[i]
                    out.age[o] = self.age[i]
                    o += 1
            gidx[0] += 1
        out.n = o
        self._take(out)
        return 0

    def apply_min_nr_regions(self, unsigned long long max_sz):
        """Split every region larger than ``max_sz`` into ``max_sz`` chunks (§1.5)."""
        if max_sz == 0:
            raise ValueError("max_sz must be positive")
        self._chunk(max_sz)
        return self.n

    cdef int _chunk(self, uint64_t max_sz) except -1:
        cdef Py_ssize_t i, extra = 0, o
        cdef uint64_t sz, p
        for i in range(self.n):
            sz = self.end[i] - self.start[i]
            if sz > max_sz:
                extra += (sz + max_sz - 1) // max_sz - 1
        if extra == 0:
            return 0
        cdef RegionList out = RegionList.__new__(RegionList)
        out._reserve(self.n + extra)
        o = 0
        for i in range(self.n):
            p = self.start[i]
            while True:
                out.start[o] = p
                out.end[o] = p + max_sz if self.end[i] - p > max_sz else self.end[i]
                out.nr[o] = self.nr[i]
                out.last[o] = self.last[i]
                out.age[o] = self.age[i]
                p = out.end[o]
                o += 1
                if p >= self.end[i]:
                    break
        out.n = o
        self._take(out)
        return 0

    def set_regions(self, ranges, unsigned long long min_region_sz=4096):
        """``damon_set_regions`` (§2): fit the regions to ``ranges`` (sorted, disjoint).

        Regions intersecting no range are removed; the first and last regions
        intersecting each range are stretched to it (aligned to ``min_region_sz``) and
        holes are filled with fresh regions; ranges touching no region get a new one.
        Raises ``ValueError`` (EINVAL) for unsorted, overlapping or empty ranges.
        """
        cdef uint64_t a = min_region_sz
        if a == 0:
            raise ValueError("min_region_sz must be positive")
        rs = [(int(s), int(e)) for s, e in ranges]
        prev_end = None
        for k, (s, e) in enumerate(rs):
            if not _align_down(s, a) < _align_up(e, a) or s > e:
                raise ValueError(f"set_regions: range {k} [{s}, {e}) is empty")
            if prev_end is not None and s < prev_end:
                raise ValueError(f"set_regions: range {k} [{s}, {e}) is unsorted or overlaps")
            prev_end = e
        # 1. delete regions that intersect none of the ranges
        cdef Py_ssize_t i = 0, first, last, j
        cdef uint64_t rs_s, rs_e
        while i < self.n:
            keep = False
            for s, e in rs:
                if not (self.end[i] <= s or e <= self.start[i]):
                    keep = True
                    break
            if keep:
                i += 1
            else:
                self._delete(i)
        # 2. no region left: one per range
        if self.n == 0:
            self._reserve(len(rs))
            for s, e in rs:
                self._append(_align_down(s, a), _align_up(e, a))
            return
        # 3. stretch / insert / fill holes
        for s, e in rs:
            rs_s = s
            rs_e = e
            first = last = -1
            i = 0
            while i < self.n:
                if not (self.end[i] <= rs_s or rs_e <= self.start[i]):
                    if first < 0:
                        first = i
                    last = i
                if self.start[i] >= rs_e:
                    break
                i += 1
            if first < 0:
                self._insert_gap(i, 1)
                self._fill(i, _align_down(rs_s, a), _align_up(rs_e, a))
                continue
            self.start[first] = _align_down(rs_s, a)
            self.end[last] = _align_up(rs_e, a)
            j = first
            while j < last:
                if self.end[j] < self.start[j + 1]:
                    self._insert_gap(j + 1, 1)
                    self._fill(j + 1, self.end[j], self.start[j + 2])
                    last += 1
                    j += 1
                j += 1

    cdef void _fill(self, Py_ssize_t i, uint64_t s, uint64_t e) noexcept:
        self.start[i] = s
        self.end[i] = e
        self.nr[i] = 0
        self.last[i] = 0
        self.age[i] = 0

    cdef int _append(self, uint64_t s, uint64_t e) except -1:
        self._reserve(self.n + 1)
        self._fill(self.n, s, e)
        self.n += 1
        return 0

    def update_monitoring_result(self, unsigned long long old_max_nr,
                                 unsigned long long new_max_nr,
                                 unsigned long long old_aggr_us,
                                 unsigned long long new_aggr_us, bint aggregating):
        """Rescale counts and ages to new attrs (``damon_update_monitoring_result``, era C).

        Counts go through basis points of the old maximum; last_nr_accesses is always
        converted; nr_accesses is converted when not ``aggregating``, else zeroed.
        ``age' = age * old_aggr / new_aggr``.
        """
        if old_max_nr == 0 or new_max_nr == 0 or new_aggr_us == 0:
            return
        cdef Py_ssize_t i
        for i in range(self.n):
            self.last[i] = _conv(self.last[i], old_max_nr, new_max_nr)
            self.nr[i] = 0 if aggregating else _conv(self.nr[i], old_max_nr, new_max_nr)
            self.age[i] = <uint32_t>(<u128>self.age[i] * old_aggr_us / new_aggr_us)

    def snapshot_arrays(self):
        """Copies of (starts 'Q', ends 'Q', nr_accesses 'I', ages 'I') arrays."""
        cdef Py_ssize_t n = self.n
        cdef array.array starts = array.clone(_Q, n, False)
        cdef array.array ends = array.clone(_Q, n, False)
        cdef array.array nrs = array.clone(_I, n, False)
        cdef array.array ages = array.clone(_I, n, False)
        if n:
            memcpy(starts.data.as_voidptr, self.start, n * sizeof(uint64_t))
            memcpy(ends.data.as_voidptr, self.end, n * sizeof(uint64_t))
            memcpy(nrs.data.as_voidptr, self.nr, n * sizeof(uint32_t))
            memcpy(ages.data.as_voidptr, self.age, n * sizeof(uint32_t))
        return starts, ends, nrs, ages

    def last_nr_accesses(self):
        """A copy of the last_nr_accesses array ('I')."""
        cdef array.array out = array.clone(_I, self.n, False)
        if self.n:
            memcpy(out.data.as_voidptr, self.last, self.n * sizeof(uint32_t))
        return out


cdef void memmove_arrays(RegionList rl, Py_ssize_t src, Py_ssize_t dst, Py_ssize_t count) noexcept:
    memmove(&rl.start[dst], &rl.start[src], count * sizeof(uint64_t))
    memmove(&rl.end[dst], &rl.end[src], count * sizeof(uint64_t))
    memmove(&rl.nr[dst], &rl.nr[src], count * sizeof(uint32_t))
    memmove(&rl.last[dst], &rl.last[src], count * sizeof(uint32_t))
    memmove(&rl.age[dst], &rl.age[src], count * sizeof(uint32_t))


# ---------------------------------------------------------------------------
# Core: the kdamond loop's state and its C parts
# ---------------------------------------------------------------------------

#: ``Core.run_samples`` result flags
AGGREGATE = 1
UPDATE = 2
LIMIT = 4
STOPPED = 8
CALL = 16
#: returned with CALL or LIMIT from a watermarks wait: no sample was taken
WAITED = 32


cdef inline void _fill_addrs(Rng rng, const uint64_t *s, const uint64_t *e, uint64_t *out,
                             Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = rng.crand(s[i], e[i])


cdef inline void _count(uint32_t *nr, const uint8_t *hit, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        nr[i] += hit[i] != 0


cdef class Core:
    """State and hot loop of one monitoring context (a kdamond).

    ``run_samples`` runs sample intervals until one needs Python (aggregation, ops
    update, the time limit or ``stop``); ``aggregate`` merges, ``reset_and_split`` ends a
    window.  Python (``damon_tui.engine.Monitor``) sequences them and takes snapshots.
    """

    cdef public list region_lists
    cdef readonly Rng rng
    cdef public unsigned long long passed, next_aggr, next_update, now_us
    cdef public unsigned long long sample_us, aggr_samples, update_samples
    cdef public unsigned long long min_nr_regions, max_nr_regions, min_region_sz, sz_limit
    cdef public bint stopping
    #: set from any thread to make ``run_samples`` return CALL after the current sample
    cdef public bint interrupt
    #: regions sampled so far (sum over samples and targets), for benchmarks
    cdef public unsigned long long region_samples
    cdef unsigned long long last_nr_split, rot
    cdef object prepare, check
    cdef list addrs, outs
    cdef bint wall
    cdef double speed
    cdef unsigned long long t0_real, v0, deadline
    cdef bint fake_clock
    cdef readonly unsigned long long clock_us, slept_us

    def __init__(self, ops, Py_ssize_t nr_targets, unsigned long long sample_us,
                 unsigned long long aggr_us, unsigned long long update_us,
                 unsigned long long min_nr_regions, unsigned long long max_nr_regions,
                 unsigned long long min_region_sz, seed=0):
        self.region_lists = [RegionList() for _ in range(nr_targets)]
        self.rng = Rng(seed)
        self.sample_us = sample_us
        self.aggr_samples = max(1, aggr_us // max(1, sample_us))
        self.update_samples = max(1, update_us // max(1, sample_us))
        self.passed = 0
        self.next_aggr = self.aggr_samples
        self.next_update = self.update_samples
        self.now_us = 0
        self.min_nr_regions = min_nr_regions
        self.max_nr_regions = max_nr_regions
        self.min_region_sz = max(1, min_region_sz)
        self.sz_limit = self.min_region_sz
        self.stopping = False
        self.interrupt = False
        self.region_samples = 0
        self.last_nr_split = 0
        self.rot = 0
        self.prepare = ops.prepare_access_checks
        self.check = ops.check_accesses
        self.addrs = [array.clone(_Q, 0, False) for _ in range(nr_targets)]
        self.outs = [array.clone(_B, 0, True) for _ in range(nr_targets)]
        self.wall = ops.clock == "wall"
        self.speed = 0.0
        self.t0_real = 0
        self.v0 = 0
        self.deadline = 0
        self.fake_clock = False
        self.clock_us = 0
        self.slept_us = 0

    @property
    def nr_regions(self):
        cdef Py_ssize_t total = 0
        for rl in self.region_lists:
            total += (<RegionList>rl).n
        return total

    def use_fake_clock(self, unsigned long long start_us=0):
        """Tests: a deterministic clock that only sleeps move (by exactly the time
        asked), so pacing is checked without wall-clock races; ``clock_us`` reads it."""
        self.fake_clock = True
        self.clock_us = start_us

    cdef inline unsigned long long _mono(self) noexcept nogil:
        if self.fake_clock:
            return self.clock_us
        return mono_us()

    cdef inline void _sleep(self, unsigned long long us) noexcept nogil:
        """Sleep ``us``; ``slept_us`` adds up every sleep (real or fake)."""
        self.slept_us += us
        if self.fake_clock:
            self.clock_us += us
        else:
            sleep_us(us)

    def start_clock(self, speed=None):
        """Start pacing: wall-clock ops, or virtual ops at ``speed`` x real time."""
        self.speed = float(speed) if speed else 0.0
        if self.speed < 0:
            raise ValueError("speed must be positive")
        self.t0_real = self._mono() - (self.now_us if self.wall else 0)
        self.v0 = self.now_us
        self.deadline = self._mono()

    cdef void _advance(self) noexcept nogil:
        cdef unsigned long long real, target
        if self.wall:
            self.deadline += self.sample_us
            real = self._mono()
            if real + self.sample_us < self.deadline or real > self.deadline + self.sample_us:
                self.deadline = real + self.sample_us  # clock jump or fell behind: rebase
            real = self._mono()
            if self.deadline > real:
                self._sleep(self.deadline - real)
            self.now_us = self._mono() - self.t0_real
            return
        self.now_us += self.sample_us
        if self.speed > 0:
            target = self.t0_real + <unsigned long long>((self.now_us - self.v0) / self.speed)
            real = self._mono()
            if target > real:
                self._sleep(target - real)
            elif real > target + 1000000:
                self.t0_real = real - <unsigned long long>((self.now_us - self.v0) / self.speed)

    def idle(self, unsigned long long wait_us):
        """Suspend monitoring for ``wait_us`` (watermarks): no sampling, ``passed`` frozen.

        Real sleeps are cut into slices so that ``interrupt`` (a pending call) or
        ``stopping`` ends the wait early; the virtual clock still advances by
        ``wait_us`` (the kernel serves calls after its wait, ours come sooner).
        """
        cdef unsigned long long left, step, start
        if self.wall:
            start = self._mono()
            left = wait_us
            while left > 0 and not (self.interrupt or self.stopping):
                step = min(left, IDLE_SLICE_US)
                with nogil:
                    self._sleep(step)
                left = wait_us - min(wait_us, self._mono() - start)
            self.now_us = self._mono() - self.t0_real
        else:
            self.now_us += wait_us
            if self.speed > 0:
                left = <unsigned long long>(wait_us / self.speed)
                while left > 0 and not (self.interrupt or self.stopping):
                    step = min(left, IDLE_SLICE_US)
                    with nogil:
                        self._sleep(step)
                    left -= step

    def run_samples(self, unsigned long long limit_us, wait_cb=None, apply_cb=None):
        """Run sample intervals; return flags (AGGREGATE|UPDATE|LIMIT|STOPPED|CALL|WAITED).

        ``wait_cb()`` (watermarks) runs before each sample and returns µs to stay idle;
        ``apply_cb(passed)`` (DAMOS) runs after each sample that returns no flag.
        Both are skipped when None.
        """
        cdef Py_ssize_t t, i, n, nt = len(self.region_lists)
        cdef RegionList rl
        cdef array.array addrs, out
        cdef uint64_t *ap
        cdef uint8_t *op
        cdef int flags
        cdef Rng rng = self.rng
        cdef unsigned long long w
        prepare = self.prepare
        check = self.check
        while True:
            if self.stopping:
                return STOPPED
            if wait_cb is not None:
                w = wait_cb()
                if w > 0:
                    self.idle(w)
                    flags = WAITED
                    if self.now_us >= limit_us:
                        flags |= LIMIT
                    if self.interrupt:  # kdamond_call in kdamond_wait_activation
                        self.interrupt = False
                        flags |= CALL
                    if flags != WAITED:
                        return flags
                    continue
            for t in range(nt):
                rl = <RegionList>self.region_lists[t]
                n = rl.n
                if n == 0:
                    continue
                addrs = <array.array>self.addrs[t]
                if Py_SIZE(addrs) != n:
                    array.resize(addrs, n)
                    array.resize(<array.array>self.outs[t], n)
                ap = <uint64_t *>addrs.data.as_voidptr
                self.region_samples += n
                if n >= NOGIL_MIN:
                    with nogil:
                        _fill_addrs(rng, rl.start, rl.end, ap, n)
                else:
                    _fill_addrs(rng, rl.start, rl.end, ap, n)
                prepare(t, addrs, self.now_us)
            with nogil:
                self._advance()
            self.passed += 1
            for t in range(nt):
                rl = <RegionList>self.region_lists[t]
                n = rl.n
                if n == 0:
                    continue
                out = <array.array>self.outs[t]
                op = <uint8_t *>out.data.as_voidptr
                memset(op, 0, n)
                check(t, self.addrs[t], out, self.now_us)
                if rl.n != n:
                    raise RuntimeError("ops changed the region count during a sample")
                if n >= NOGIL_MIN:
                    with nogil:
                        _count(rl.nr, op, n)
                else:
                    _count(rl.nr, op, n)
            flags = 0
            if self.passed >= self.next_aggr:
                flags |= AGGREGATE
            if self.passed >= self.next_update:
                flags |= UPDATE
            if self.now_us >= limit_us:
                flags |= LIMIT
            if self.stopping:
                flags |= STOPPED
            if self.interrupt:
                self.interrupt = False
                flags |= CALL
            if flags:
                return flags
            if apply_cb is not None:
                apply_cb(self.passed)

    def region_sz_limit(self):
        """``max(min_region_sz, total size / min_nr_regions)`` over all targets."""
        cdef unsigned long long total = 0
        for rl in self.region_lists:
            total += (<RegionList>rl).total_bytes()
        return max(self.min_region_sz, total // max(1, self.min_nr_regions))

    def apply_min_nr_regions(self):
        """Split regions above ``ALIGN_UP(region_sz_limit)`` (§1.5); sets ``sz_limit``."""
        cdef uint64_t max_sz = _align_up(self.region_sz_limit(), self.min_region_sz)
        for rl in self.region_lists:
            (<RegionList>rl)._chunk(max_sz)
        self.sz_limit = max_sz
        return max_sz

    def aggregate(self):
        """Merge with threshold doubling (§1.3), then ``apply_min_nr_regions``."""
        cdef uint32_t max_nr = 0, m
        cdef unsigned long long thres, max_thres = self.aggr_samples, nr
        cdef bint first = True
        cdef RegionList rl
        for r in self.region_lists:
            m = (<RegionList>r)._max_nr()
            if m > max_nr:
                max_nr = m
        thres = max_nr // 10
        while True:
            nr = 0
            for r in self.region_lists:
                rl = <RegionList>r
                rl._merge(<uint32_t>min(thres, 0xFFFFFFFF), self.sz_limit, first)
                nr += rl.n
            first = False
            thres = max(1, thres * 2)
            if not (nr > self.max_nr_regions and thres // 2 < max_thres):
                break
        self.apply_min_nr_regions()

    def reset_and_split(self):
        """End the window: ``next_aggr`` advances, counts reset, regions split (§1.4)."""
        self.next_aggr += self.aggr_samples
        for r in self.region_lists:
            (<RegionList>r)._reset()
        self.split_regions()

    def split_regions(self):
        """``kdamond_split_regions`` (era C), over all targets."""
        cdef unsigned long long n = self.nr_regions, mx = self.max_nr_regions, step, offset
        cdef Py_ssize_t gidx = 0
        cdef int nr_subs
        if n >= mx:
            pass
        elif n > mx // 2:
            step = mx // (mx - n)
            offset = self.rot % step
            self.rot += 1
            for r in self.region_lists:
                (<RegionList>r)._split_some(&gidx, step, offset, self.min_region_sz, self.rng)
        else:
            nr_subs = 3 if (self.last_nr_split == n and n < mx // 3) else 2
            for r in self.region_lists:
                (<RegionList>r)._split(nr_subs, self.min_region_sz, self.rng)
        self.last_nr_split = n


def stripes_check(array.array addrs, array.array out, unsigned int shift):
    """Benchmark/test helper: ``out[i] = (addrs[i] >> shift) & 1`` (a C-cheap ops check)."""
    cdef Py_ssize_t i, n = min(Py_SIZE(addrs), Py_SIZE(out))
    cdef uint64_t *a = <uint64_t *>addrs.data.as_voidptr
    cdef uint8_t *o = <uint8_t *>out.data.as_voidptr
    with nogil:
        for i in range(n):
            o[i] = (a[i] >> shift) & 1
