# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Streaming reports' inner loops: ``report raw`` lines formatted in C into a reused
buffer, address spans, the frames where the intervals change, the shortest snapshot."""

from cpython.bytes cimport PyBytes_AS_STRING
from libc.string cimport memcpy

ctypedef unsigned long long u64
ctypedef unsigned int u32
ctypedef long long i64

cdef const char *_PAIRS = (b"00010203040506070809101112131415161718192021222324252627282930"
                           b"31323334353637383940414243444546474849505152535455565758596061"
                           b"6263646566676869707172737475767778798081828384858687888990919293"
                           b"949596979899")


cdef inline int _ndigits(u64 v) noexcept nogil:
    cdef int n = 1
    while v >= 10000:
        v //= 10000
        n += 4
    if v >= 1000:
        return n + 3
    if v >= 100:
        return n + 2
    if v >= 10:
        return n + 1
    return n


cdef inline Py_ssize_t _u64(char *out, Py_ssize_t p, u64 v) noexcept nogil:
    """``v`` in decimal at ``out + p``; returns the position after it."""
    cdef int n = _ndigits(v)
    cdef Py_ssize_t q = p + n
    cdef u64 r
    while v >= 100:
        r = (v % 100) * 2
        v //= 100
        q -= 2
        out[q] = _PAIRS[r]
        out[q + 1] = _PAIRS[r + 1]
    if v >= 10:
        out[q - 2] = _PAIRS[v * 2]
        out[q - 1] = _PAIRS[v * 2 + 1]
    else:
        out[q - 1] = <char>(48 + v)
    return p + n


cdef inline Py_ssize_t _i64(char *out, Py_ssize_t p, i64 v) noexcept nogil:
    if v < 0:
        out[p] = 45
        return _u64(out, p + 1, <u64>0 - <u64>v)
    return _u64(out, p, <u64>v)


cdef inline Py_ssize_t _then(char *out, Py_ssize_t p, u64 v, char sep) noexcept nogil:
    """``v`` then ``sep``."""
    p = _u64(out, p, v)
    out[p] = sep
    return p + 1


cdef inline Py_ssize_t _ithen(char *out, Py_ssize_t p, i64 v, char sep) noexcept nogil:
    p = _i64(out, p, v)
    out[p] = sep
    return p + 1


#: bytes of one line at most: target id + 7 numbers of at most 20 digits (21 with a
#: sign) + 7 separators + newline
DEF NUMBERS_MAX = 7 * 21 + 8


cdef class RawLines:
    """``report raw`` lines of one target, formatted in C into one reused buffer:
    ``lines(...)`` returns a memoryview of the buffer (valid until the next call)."""
    cdef bytearray buf
    cdef bytes tid

    def __init__(self, bytes tid):
        self.tid = tid
        self.buf = bytearray()

    def lines(self, Py_ssize_t k0, Py_ssize_t first, Py_ssize_t last,
              const i64[::1] snap_start, const i64[::1] snap_end, const i64[::1] offsets,
              const u64[::1] starts, const u64[::1] ends, const u32[::1] nr_acc,
              const u32[::1] ages):
        """The lines of snapshots ``first..last-1`` (numbered from ``k0 + first``)."""
        cdef Py_ssize_t s, k, p = 0, tl = len(self.tid), pl, n, cap
        cdef const char *T = PyBytes_AS_STRING(self.tid)
        cdef char *out
        cdef char prefix[NUMBERS_MAX + 64]
        cdef char *pre = prefix
        if last <= first:
            return memoryview(b"")
        if tl > 64:
            raise ValueError("target id text too long")
        n = offsets[last] - offsets[first]
        cap = n * (tl + NUMBERS_MAX) + 1
        if len(self.buf) < cap:
            self.buf = bytearray(cap)
        out = self.buf
        with nogil:
            for s in range(first, last):
                # "tid snapshot start end " once per snapshot
                memcpy(pre, T, tl)
                pre[tl] = 32
                pl = _then(pre, tl + 1, <u64>(k0 + s), 32)
                pl = _ithen(pre, pl, snap_start[s], 32)
                pl = _ithen(pre, pl, snap_end[s], 32)
                for k in range(offsets[s], offsets[s + 1]):
                    memcpy(out + p, pre, pl)
                    p = _then(out, p + pl, starts[k], 32)
                    p = _then(out, p, ends[k], 32)
                    p = _then(out, p, nr_acc[k], 32)
                    p = _then(out, p, ages[k], 10)
        return memoryview(self.buf)[:p]


def format_lines(bytes tid, Py_ssize_t k0, Py_ssize_t first, Py_ssize_t last,
                 const i64[::1] snap_start, const i64[::1] snap_end, const i64[::1] offsets,
                 const u64[::1] starts, const u64[::1] ends, const u32[::1] nr_acc,
                 const u32[::1] ages):
    """The lines of snapshots ``first..last-1`` (numbered from ``k0 + first``) as bytes."""
    return bytes(RawLines(tid).lines(k0, first, last, snap_start, snap_end, offsets, starts,
                                     ends, nr_acc, ages))


def span(const u64[::1] starts, const u64[::1] ends, Py_ssize_t a, Py_ssize_t b):
    """``(min(starts[a:b]), max(ends[a:b]))`` (``b > a``)."""
    cdef u64 lo = starts[a], hi = ends[a]
    cdef Py_ssize_t k
    with nogil:
        for k in range(a, b):
            if starts[k] < lo:
                lo = starts[k]
            if ends[k] > hi:
                hi = ends[k]
    return lo, hi


def interval_changes(const u64[::1] samples, const u64[::1] aggrs, Py_ssize_t first,
                     list out):
    """Append ``[frame, sample_us, aggr_us]`` to ``out`` for each frame from ``first`` on
    whose intervals differ from the previous entry of ``out`` (the frames are numbered
    from ``first``)."""
    cdef Py_ssize_t i, n = samples.shape[0], j
    cdef u64 ps = 0, pa = 0
    cdef int have = len(out) > 0
    if have:
        last = out[len(out) - 1]
        ps = last[1]
        pa = last[2]
    i = 0
    while i < n:
        with nogil:
            j = i
            while j < n and have and samples[j] == ps and aggrs[j] == pa:
                j += 1
        if j >= n:
            break
        ps = samples[j]
        pa = aggrs[j]
        have = 1
        out.append([first + j, ps, pa])
        i = j + 1


def shortest(const i64[::1] snap_start, const i64[::1] snap_end, Py_ssize_t first,
             Py_ssize_t last):
    """The shortest duration ``snap_end[k] - snap_start[k]`` for ``first <= k < last``
    (None when the range is empty)."""
    cdef Py_ssize_t k
    cdef i64 m = 0, d
    if last <= first:
        return None
    m = snap_end[first] - snap_start[first]
    with nogil:
        for k in range(first + 1, last):
            d = snap_end[k] - snap_start[k]
            if d < m:
                m = d
    return m
