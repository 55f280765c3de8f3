# cython: language_level=3
"""The real workload runner's access loops (masim semantics), run with the GIL released.

``run_phase`` executes one masim phase on real memory: until ``duration_us`` of wall
clock time has passed (checked after each batch, so a phase can overrun by one batch),
pick a pattern by weight and run one batch of ``batch`` accesses on its region.  Each
access touches one byte: random = a uniformly random byte of the region; sequential =
offset += stride, wrapping to 0 at the region end, the offset carrying over between
batches of the same pattern within the phase.  ``ro`` reads, ``wo`` writes, ``rw``
reads and writes.  A phase whose weights are all zero sleeps (masim busy-waits).
"""

from libc.stdint cimport uint8_t, uint64_t
from libc.stdlib cimport free, malloc
from posix.unistd cimport useconds_t, usleep

cdef extern from *:
    """
    #include <time.h>
    static inline unsigned long long acc_mono_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL;
    }
    typedef unsigned __int128 acc_u128;
    static volatile unsigned char acc_sink;
    static inline void acc_read(const unsigned char *p) { acc_sink = *(const volatile unsigned char *)p; }
    """
    ctypedef unsigned long long u128 "acc_u128"
    unsigned long long mono_us "acc_mono_us"() nogil
    void acc_read(const uint8_t *p) nogil


cdef enum:
    RO = 0
    WO = 1
    RW = 2


cdef inline uint64_t _next(uint64_t *s) noexcept nogil:
    # xorshift64*
    cdef uint64_t x = s[0]
    x ^= x >> 12
    x ^= x << 25
    x ^= x >> 27
    s[0] = x
    return x * 0x2545F4914F6CDD1DULL


cdef inline uint64_t _below(uint64_t *s, uint64_t n) noexcept nogil:
    return <uint64_t>((<u128>_next(s) * n) >> 64)


def run_phase(list buffers, list patterns, unsigned long long duration_us,
              unsigned long long batch=131072, unsigned long long seed=1):
    """Run one phase; return ``(nr_accesses, elapsed_us)``.

    ``buffers``: one writable buffer (an ``mmap``) per region.  ``patterns``: tuples
    ``(region_index, random, stride, probability, mode)`` with mode 0=ro, 1=wo, 2=rw.
    """
    cdef Py_ssize_t nb = len(buffers), npat = len(patterns), i
    cdef uint8_t **bases = <uint8_t **>malloc(max(nb, 1) * sizeof(uint8_t *))
    cdef uint64_t *sizes = <uint64_t *>malloc(max(nb, 1) * sizeof(uint64_t))
    cdef uint64_t *p_region = <uint64_t *>malloc(max(npat, 1) * sizeof(uint64_t))
    cdef uint64_t *p_random = <uint64_t *>malloc(max(npat, 1) * sizeof(uint64_t))
    cdef uint64_t *p_stride = <uint64_t *>malloc(max(npat, 1) * sizeof(uint64_t))
    cdef uint64_t *p_cumw = <uint64_t *>malloc(max(npat, 1) * sizeof(uint64_t))
    cdef uint64_t *p_mode = <uint64_t *>malloc(max(npat, 1) * sizeof(uint64_t))
    cdef uint64_t *p_off = <uint64_t *>malloc(max(npat, 1) * sizeof(uint64_t))
    cdef uint8_t[::1] view
    cdef uint64_t total_w = 0, rng = seed * 0x9E3779B97F4A7C15ULL + 1
    cdef unsigned long long start, now, accesses = 0
    cdef uint64_t r, j, k, off, size, stride
    cdef uint8_t *base
    views = []
    try:
        for i in range(nb):
            view = buffers[i]
            views.append(view)
            bases[i] = &view[0]
            sizes[i] = view.shape[0]
        for i in range(npat):
            region, random, stride_, prob, mode = patterns[i]
            if not 0 <= region < nb:
                raise ValueError(f"pattern {i}: region index {region} out of range")
            p_region[i] = region
            p_random[i] = 1 if random else 0
            p_stride[i] = stride_
            total_w += prob
            p_cumw[i] = total_w
            p_mode[i] = mode
            p_off[i] = 0
        with nogil:
            start = mono_us()
            now = start
            while now - start < duration_us:
                if total_w == 0:
                    # no access to make: sleep out the phase (masim busy-waits; a
                    # target that burns a core would distort the monitor's figures)
                    usleep(<useconds_t>min(duration_us - (now - start), 100000ULL))
                    now = mono_us()
                    continue
                r = _below(&rng, total_w)
                k = 0
                while p_cumw[k] <= r:
                    k += 1
                base = bases[p_region[k]]
                size = sizes[p_region[k]]
                if size == 0:
                    now = mono_us()
                    continue
                if p_random[k]:
                    for j in range(batch):
                        off = _below(&rng, size)
                        if p_mode[k] == RO:
                            acc_read(base + off)
                        elif p_mode[k] == WO:
                            base[off] = <uint8_t>j
                        else:
                            base[off] = base[off] + 1  # read and write
                else:
                    off = p_off[k]
                    stride = p_stride[k]
                    for j in range(batch):
                        off += stride
                        if off >= size:
                            off = 0
                        if p_mode[k] == RO:
                            acc_read(base + off)
                        elif p_mode[k] == WO:
                            base[off] = <uint8_t>j
                        else:
                            base[off] = base[off] + 1  # read and write
                    p_off[k] = off
                accesses += batch
                now = mono_us()
    finally:
        free(bases); free(sizes); free(p_region); free(p_random); free(p_stride)
        free(p_cumw); free(p_mode); free(p_off)
    return accesses, now - start
