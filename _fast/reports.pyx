# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Streaming reports' inner loops: ``report raw`` lines formatted in C, address spans."""

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

ctypedef unsigned long long u64
ctypedef unsigned int u32
ctypedef long long i64


cdef inline Py_ssize_t _u64(char *out, Py_ssize_t p, u64 v) noexcept nogil:
    cdef char tmp[24]
    cdef int n = 0
    if v == 0:
        out[p] = 48
        return p + 1
    while v:
        tmp[n] = <char>(48 + v % 10)
        v //= 10
        n += 1
    while n:
        n -= 1
        out[p] = tmp[n]
        p += 1
    return p


cdef inline Py_ssize_t _i64(char *out, Py_ssize_t p, i64 v) noexcept nogil:
    if v < 0:
        out[p] = 45
        return _u64(out, p + 1, <u64>0 - <u64>v)
    return _u64(out, p, <u64>v)


def format_lines(bytes tid, Py_ssize_t k0, Py_ssize_t first, Py_ssize_t last,
                 const i64[::1] snap_start, const i64[::1] snap_end, const i64[::1] offsets,
                 const u64[::1] starts, const u64[::1] ends, const u32[::1] nr_acc,
                 const u32[::1] ages):
    """The lines of snapshots ``first..last-1`` (numbered from ``k0 + first``)."""
    cdef Py_ssize_t s, k, n = 0, p = 0, tl = len(tid)
    cdef const char *T = tid
    if last <= first:
        return b""
    n = offsets[last] - offsets[first]
    # tid + 7 numbers of at most 20 digits (21 with a sign) + 8 separators
    cdef Py_ssize_t cap = n * (tl + 7 * 21 + 8) + 1
    cdef char *out = <char *>malloc(cap)
    if out == NULL:
        raise MemoryError()
    try:
        with nogil:
            for s in range(first, last):
                for k in range(offsets[s], offsets[s + 1]):
                    memcpy(out + p, T, tl)
                    p += tl
                    out[p] = 32
                    p = _u64(out, p + 1, <u64>(k0 + s))
                    out[p] = 32
                    p = _i64(out, p + 1, snap_start[s])
                    out[p] = 32
                    p = _i64(out, p + 1, snap_end[s])
                    out[p] = 32
                    p = _u64(out, p + 1, starts[k])
                    out[p] = 32
                    p = _u64(out, p + 1, ends[k])
                    out[p] = 32
                    p = _u64(out, p + 1, nr_acc[k])
                    out[p] = 32
                    p = _u64(out, p + 1, ages[k])
                    out[p] = 10
                    p += 1
        return PyBytes_FromStringAndSize(out, p)
    finally:
        free(out)


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
