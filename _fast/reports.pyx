# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Streaming reports' inner loops: ``report raw`` lines formatted in C into a reused
buffer, address spans, the frames where the intervals change, the shortest snapshot."""

from cpython.bytes cimport PyBytes_AS_STRING
from libc.string cimport memcpy

ctypedef unsigned long long u64
ctypedef unsigned int u32
ctypedef long long i64

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    /* Decimal digits of unsigned integers, 8 at a time: an 8-digit group becomes its
       ASCII bytes in one 64-bit word with a few multiplications (SWAR: two 4-digit
       lanes split into four 2-digit lanes, then eight 1-digit lanes; the divisions by
       100 and 10 are exact multiply-shifts for lanes below 10000 and 100).  Stores are
       8 bytes wide: the buffer keeps 8 bytes of slack after its last number. */
    static inline int dtui_digits32(uint32_t v) {
        if (v < 10000) return v < 100 ? (v < 10 ? 1 : 2) : (v < 1000 ? 3 : 4);
        return v < 1000000 ? (v < 100000 ? 5 : 6) : (v < 10000000 ? 7 : 8);
    }
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    static inline uint64_t dtui_ascii8(uint32_t v) {  /* v < 10**8: its 8 digits */
        uint64_t t = (uint64_t)(v / 10000) | ((uint64_t)(v % 10000) << 32);
        uint64_t h = ((t * 10486) >> 20) & 0x0000007F0000007FULL;
        t = h | ((t - h * 100) << 16);
        h = ((t * 103) >> 10) & 0x000F000F000F000FULL;
        t = h | ((t - h * 10) << 8);
        return t + 0x3030303030303030ULL;
    }
    static inline char *dtui_put8(char *out, uint32_t v) {
        uint64_t w = dtui_ascii8(v);
        memcpy(out, &w, 8);
        return out + 8;
    }
    static inline char *dtui_put_short(char *out, uint32_t v) {  /* v < 10**8 */
        int d = dtui_digits32(v);
        uint64_t w = dtui_ascii8(v) >> (8 * (8 - d));
        memcpy(out, &w, 8);
        return out + d;
    }
    #else
    static inline char *dtui_put8(char *out, uint32_t v) {
        for (int i = 7; i >= 0; i--) { out[i] = (char)('0' + v % 10); v /= 10; }
        return out + 8;
    }
    static inline char *dtui_put_short(char *out, uint32_t v) {
        int d = dtui_digits32(v);
        for (int i = d - 1; i >= 0; i--) { out[i] = (char)('0' + v % 10); v /= 10; }
        return out + d;
    }
    #endif
    static inline char *dtui_put_u64(char *out, uint64_t v) {
        if (v < 100000000ULL)
            return dtui_put_short(out, (uint32_t)v);
        if (v < 10000000000000000ULL) {
            uint64_t hi = v / 100000000ULL;
            out = dtui_put_short(out, (uint32_t)hi);
            return dtui_put8(out, (uint32_t)(v - hi * 100000000ULL));
        }
        uint64_t top = v / 10000000000000000ULL, rest = v - top * 10000000000000000ULL;
        uint64_t hi = rest / 100000000ULL;
        out = dtui_put_short(out, (uint32_t)top);
        out = dtui_put8(out, (uint32_t)hi);
        return dtui_put8(out, (uint32_t)(rest - hi * 100000000ULL));
    }
    """
    char *_put_u64 "dtui_put_u64" (char *out, u64 v) noexcept nogil


cdef inline Py_ssize_t _u64(char *out, Py_ssize_t p, u64 v) noexcept nogil:
    """``v`` in decimal at ``out + p``; returns the position after it."""
    return _put_u64(out + p, v) - out


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


cdef inline Py_ssize_t _small_then(char *out, Py_ssize_t p, u32 v, char sep) noexcept nogil:
    """``_then`` with a shortcut for one digit (most counts and ages)."""
    if v < 10:
        out[p] = <char>(48 + v)
        out[p + 1] = sep
        return p + 2
    return _then(out, p, v, sep)


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
        cdef Py_ssize_t s, k, p = 0, tl = len(self.tid), pl, n, cap, ep = 0, el
        cdef const char *T = PyBytes_AS_STRING(self.tid)
        cdef char *out
        cdef char prefix[NUMBERS_MAX + 64 + 16]
        cdef char *pre = prefix
        if last <= first:
            return memoryview(b"")
        if tl > 64:
            raise ValueError("target id text too long")
        n = offsets[last] - offsets[first]
        cap = n * (tl + NUMBERS_MAX) + 16  # + the 8-byte stores' slack
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
                el = 0
                for k in range(offsets[s], offsets[s + 1]):
                    memcpy(out + p, pre, pl)
                    p += pl
                    if el and starts[k] == ends[k - 1]:
                        # contiguous: the start is the previous line's end, as text
                        memcpy(out + p, out + ep, el)
                        p += el
                        out[p] = 32
                        p += 1
                    else:
                        p = _then(out, p, starts[k], 32)
                    ep = p
                    p = _then(out, p, ends[k], 32)
                    el = p - 1 - ep
                    p = _small_then(out, p, nr_acc[k], 32)
                    p = _small_then(out, p, ages[k], 10)
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
