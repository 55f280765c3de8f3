# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Report kernels over decoded record arrays: working-set sizes, damo's heatmap guide
(contiguous address ranges and their heat) and the heatmap binning.

The heatmap widget's line kernels (``half_runs``, ``digit_runs``) turn a line's column
values into runs of equally styled cells.

Every report function follows damo 3.4.3's arithmetic (including its inclusive range checks
and Python's int/float conversion order) so that our numbers equal damo's.
"""

from libc.math cimport log10
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc, realloc

from cpython cimport array

import array as _pyarray

ctypedef unsigned long long u64
ctypedef unsigned int u32
ctypedef long long i64


def wss(const u64[::1] starts, const u64[::1] ends, const u32[::1] nr_acc,
        const i64[::1] offsets, Py_ssize_t first, Py_ssize_t last,
        u64 acc_thres, u64 sz_thres):
    """Per snapshot ``first..last-1``: bytes of regions with nr_accesses >= acc_thres and
    size >= sz_thres (damo's working set).  Returns ``array('Q')``."""
    cdef array.array out = _pyarray.array("Q", bytes(8 * max(0, last - first)))
    cdef u64[::1] o = out
    cdef Py_ssize_t s, k
    cdef u64 total, sz
    with nogil:
        for s in range(first, last):
            total = 0
            for k in range(offsets[s], offsets[s + 1]):
                if nr_acc[k] < acc_thres:
                    continue
                sz = ends[k] - starts[k]
                if sz < sz_thres:
                    continue
                total += sz
            o[s - first] = total
    return out


cdef struct Gap:
    u64 a
    u64 b


cdef class GuideScan:
    """damo's record guide of one target gathered snapshot by snapshot (a record read in
    chunks feeds each chunk): the address space cut at the gaps present in every
    snapshot, and the lowest and highest addresses."""
    cdef Gap *g
    cdef Gap *cur
    cdef Py_ssize_t ng, cap_g, cap_c
    cdef u64 lowest, highest
    cdef public Py_ssize_t nr_regions

    def __dealloc__(self):
        free(self.g)
        free(self.cur)

    def feed(self, const u64[::1] starts, const u64[::1] ends, const i64[::1] offsets,
             Py_ssize_t first, Py_ssize_t last):
        """Consume snapshots ``first..last-1`` (regions ``offsets[s]..offsets[s+1]``)."""
        cdef Py_ssize_t s, k, x, y, nc
        cdef u64 last_addr, sa, ea
        cdef Gap r1
        cdef int nomem = 0
        with nogil:
            for s in range(first, last):
                nc = 0
                last_addr = 0
                self.nr_regions += offsets[s + 1] - offsets[s]
                for k in range(offsets[s], offsets[s + 1]):
                    sa = starts[k]
                    ea = ends[k]
                    if self.lowest == 0 or sa < self.lowest:
                        self.lowest = sa
                    if self.highest == 0 or ea > self.highest:
                        self.highest = ea
                    # damo: ``if not last_addr`` (an address of 0 counts as unset)
                    if last_addr == 0:
                        last_addr = ea
                        continue
                    if last_addr != sa:
                        if nc == self.cap_c and self._grow(&self.cur, &self.cap_c,
                                                           nc * 2 + 16) < 0:
                            nomem = 1
                            break
                        self.cur[nc].a = last_addr
                        self.cur[nc].b = sa
                        nc += 1
                    last_addr = ea
                if nomem:
                    break
                if self.ng == 0:
                    if nc > self.cap_g and self._grow(&self.g, &self.cap_g, nc) < 0:
                        nomem = 1
                        break
                    for x in range(nc):
                        self.g[x] = self.cur[x]
                    self.ng = nc
                else:
                    for x in range(self.ng):
                        r1 = self.g[x]
                        for y in range(nc):
                            if r1.b < self.cur[y].a or self.cur[y].b < r1.a:
                                continue
                            r1.a = r1.a if r1.a > self.cur[y].a else self.cur[y].a
                            r1.b = r1.b if r1.b < self.cur[y].b else self.cur[y].b
                        self.g[x] = r1
        if nomem:
            raise MemoryError()

    cdef int _grow(self, Gap **p, Py_ssize_t *cap, Py_ssize_t n) noexcept nogil:
        cdef Gap *q = <Gap *>realloc(p[0], n * sizeof(Gap))
        if q == NULL:
            return -1
        p[0] = q
        cap[0] = n
        return 0

    def ranges(self):
        """``[(start, end), ...]``: the contiguous address ranges so far ([] before any
        region)."""
        cdef Py_ssize_t x
        cdef u64 a0
        if self.nr_regions == 0:
            return []
        out = []
        a0 = self.lowest
        for x in range(self.ng):
            out.append((a0, self.g[x].a))
            a0 = self.g[x].b
        out.append((a0, self.highest))
        return out


cdef class RangeHeats:
    """Per address range, the sum of size x nr_accesses of the regions touching it (damo's
    inclusive check), fed region by region; ``heats()``: None where never accessed."""
    cdef u64 *rs
    cdef u64 *re
    cdef long double *heat
    cdef char *seen
    cdef Py_ssize_t nr

    def __cinit__(self, list ranges):
        cdef Py_ssize_t x, n = len(ranges)
        self.nr = n
        self.rs = <u64 *>malloc(max(1, n) * sizeof(u64))
        self.re = <u64 *>malloc(max(1, n) * sizeof(u64))
        self.heat = <long double *>malloc(max(1, n) * sizeof(long double))
        self.seen = <char *>malloc(max(1, n))
        if not (self.rs and self.re and self.heat and self.seen):
            raise MemoryError()
        for x in range(n):
            self.rs[x] = ranges[x][0]
            self.re[x] = ranges[x][1]
            self.heat[x] = 0
            self.seen[x] = 0

    def __dealloc__(self):
        free(self.rs)
        free(self.re)
        free(self.heat)
        free(self.seen)

    def feed(self, const u64[::1] starts, const u64[::1] ends, const u32[::1] nr_acc,
             Py_ssize_t a, Py_ssize_t b):
        """Consume regions ``a..b-1``."""
        cdef Py_ssize_t k, x
        with nogil:
            for k in range(a, b):
                if nr_acc[k] == 0:
                    continue
                for x in range(self.nr):
                    if ends[k] < self.rs[x] or self.re[x] < starts[k]:
                        continue
                    self.heat[x] += (<long double>(ends[k] - starts[k])) * nr_acc[k]
                    self.seen[x] = 1

    def heats(self):
        cdef Py_ssize_t x
        return [float(self.heat[x]) if self.seen[x] else None for x in range(self.nr)]


def guide(const u64[::1] starts, const u64[::1] ends, const u32[::1] nr_acc,
          const i64[::1] offsets, Py_ssize_t nsnap):
    """damo's record guide for one target: the address space cut at the gaps present in
    every snapshot.  Returns ``(ranges, heats)``: ``[(start, end), ...]`` and per range
    the sum of size x nr_accesses over all snapshots (``None`` if never accessed)."""
    scan = GuideScan()
    scan.feed(starts, ends, offsets, 0, nsnap)
    ranges = scan.ranges()
    if not ranges:
        return [], []
    heats = RangeHeats(ranges)
    heats.feed(starts, ends, nr_acc, offsets[0], offsets[nsnap])
    return ranges, heats.heats()


cdef inline i64 _trunc_div(double num, double den) noexcept nogil:
    return <i64>(num / den)


cdef inline double _sdiff(u64 a, u64 b) noexcept nogil:
    """``a - b`` as Python computes it (exact int), then as a float."""
    if a >= b:
        return <double>(a - b)
    return -<double>(b - a)


cdef class HeatmapBins:
    """damo's heatmap binning, fed snapshot by snapshot (in time order; a record read in
    chunks feeds each chunk).  ``aggr_us`` > 0: heat in Hz and regions back-filled by
    age x aggr; 0: heat in samples.  ``pixels`` (array 'd') and ``touched`` (array 'B')
    are row-major (rows = time, oldest first)."""
    cdef public array.array pixels, touched
    cdef i64 aggr_us, time_start, time_unit, last_end
    cdef Py_ssize_t time_resol, addr_resol
    cdef u64 addr_start, addr_unit
    cdef int has_last

    def __init__(self, i64 aggr_us, i64 time_start, i64 time_unit, Py_ssize_t time_resol,
                 u64 addr_start, u64 addr_unit, Py_ssize_t addr_resol):
        cdef Py_ssize_t npix = time_resol * addr_resol
        self.pixels = _pyarray.array("d", bytes(8 * max(npix, 0)))
        self.touched = _pyarray.array("B", bytes(max(npix, 0)))
        self.aggr_us = aggr_us
        self.time_start = time_start
        self.time_unit = time_unit
        self.time_resol = time_resol
        self.addr_start = addr_start
        self.addr_unit = addr_unit
        self.addr_resol = addr_resol

    def feed(self, const u64[::1] starts, const u64[::1] ends, const u32[::1] nr_acc,
             const u32[::1] ages, const i64[::1] offsets,
             const i64[::1] snap_start, const i64[::1] snap_end,
             Py_ssize_t first, Py_ssize_t last, const i64[::1] snap_aggr_us=None):
        """Consume snapshots ``first..last-1``; ``snap_aggr_us`` (Hz maps only): each
        snapshot's own aggregation interval (auto-tuned records), indexed like
        ``snap_start``, used for its Hz and its age back-fill instead of ``aggr_us``."""
        cdef double[::1] px = self.pixels
        cdef unsigned char[::1] touched = self.touched
        cdef Py_ssize_t s, k, i, j, i0, i1, j0, j1, idx
        cdef Py_ssize_t time_resol = self.time_resol, addr_resol = self.addr_resol
        cdef i64 st_range, st_obs, s_start, s_end, pt, at, aggr_ns
        cdef i64 time_start = self.time_start, time_unit = self.time_unit
        cdef i64 last_end = self.last_end
        cdef int has_last = self.has_last, hz = self.aggr_us > 0
        cdef int per_snap = snap_aggr_us is not None
        cdef u64 rs, re, pa, lo, hi, heat_addr_end
        cdef u64 addr_start = self.addr_start, addr_unit = self.addr_unit
        cdef i64 asz
        cdef double pts = (<double>time_unit) * (<double>addr_unit)
        cdef double hv, h, aggr_s
        cdef long double prod
        if time_unit <= 0 or addr_unit <= 0 or time_resol * addr_resol <= 0:
            return
        if per_snap and snap_aggr_us.shape[0] < last:
            raise ValueError("snap_aggr_us: fewer entries than snapshots")
        aggr_ns = self.aggr_us * 1000
        aggr_s = (<double>self.aggr_us) / 1000000.0
        heat_addr_end = addr_start + addr_unit * <u64>addr_resol
        with nogil:
            for s in range(first, last):
                s_start = snap_start[s]
                s_end = snap_end[s]
                if per_snap and hz:
                    aggr_ns = snap_aggr_us[s] * 1000
                    aggr_s = (<double>snap_aggr_us[s]) / 1000000.0
                for k in range(offsets[s], offsets[s + 1]):
                    rs = starts[k]
                    re = ends[k]
                    if re < addr_start or heat_addr_end < rs:
                        continue
                    st_range = s_start
                    st_obs = s_start
                    if hz:
                        st_range -= <i64>ages[k] * aggr_ns
                        st_obs = st_range
                        if has_last and st_obs < last_end:
                            st_obs = last_end
                    if has_last and st_range < last_end:
                        st_range = last_end
                    i0 = _trunc_div(<double>(st_range - time_start), <double>time_unit)
                    i1 = _trunc_div(<double>(s_end - time_start), <double>time_unit)
                    if i0 < 0:
                        i0 = 0
                    if i1 > time_resol - 1:
                        i1 = time_resol - 1
                    j0 = _trunc_div(_sdiff(rs, addr_start), <double>addr_unit)
                    j1 = _trunc_div(_sdiff(re, addr_start), <double>addr_unit)
                    if j0 < 0:
                        j0 = 0
                    if j1 > addr_resol - 1:
                        j1 = addr_resol - 1
                    if hz:
                        hv = (<double>nr_acc[k]) / aggr_s
                    for i in range(i0, i1 + 1):
                        pt = time_start + i * time_unit
                        at = (s_end if s_end < pt + time_unit else pt + time_unit) - \
                            (st_obs if st_obs > pt else pt)
                        for j in range(j0, j1 + 1):
                            pa = addr_start + <u64>j * addr_unit
                            hi = re if re < pa + addr_unit else pa + addr_unit
                            lo = rs if rs > pa else pa
                            asz = <i64>(hi - lo)
                            if hz:
                                h = (hv * <double>at) * <double>asz
                            else:
                                prod = (<long double>nr_acc[k]) * (<long double>at) \
                                    * (<long double>asz)
                                h = <double>prod
                            idx = i * addr_resol + j
                            if touched[idx]:
                                h = h + px[idx] * pts
                            touched[idx] = 1
                            px[idx] = h / pts
                last_end = s_end
                has_last = 1
        self.last_end = last_end
        self.has_last = has_last


def heatmap(const u64[::1] starts, const u64[::1] ends, const u32[::1] nr_acc,
            const u32[::1] ages, const i64[::1] offsets,
            const i64[::1] snap_start, const i64[::1] snap_end, Py_ssize_t nsnap,
            i64 aggr_us, i64 time_start, i64 time_unit, Py_ssize_t time_resol,
            u64 addr_start, u64 addr_unit, Py_ssize_t addr_resol,
            const i64[::1] snap_aggr_us=None):
    """damo's heatmap binning of a whole target (see ``HeatmapBins``).  Returns
    ``(pixels array('d'), touched array('B'))`` in row-major order."""
    bins = HeatmapBins(aggr_us, time_start, time_unit, time_resol, addr_start, addr_unit,
                       addr_resol)
    bins.feed(starts, ends, nr_acc, ages, offsets, snap_start, snap_end, 0, nsnap,
              snap_aggr_us)
    return bins.pixels, bins.touched


# --------------------------------------------------------------------------- the TUI's view


def bin_ranges(const u64[::1] starts, const u64[::1] ends, const u32[::1] nr_acc,
               const u64[::1] rstart, const u64[::1] rend, const i64[::1] rbin0,
               const i64[::1] rnbins, Py_ssize_t nbins, double nr_samples):
    """The TUI heatmap's fine bins of one snapshot: each address range ``r`` is cut into
    ``rnbins[r]`` equal bins starting at bin ``rbin0[r]``; a bin holds the byte-weighted
    mean of nr_accesses / ``nr_samples`` over it (capped at 1).  Regions sorted by
    address; parts outside every range are ignored.  Returns ``array('f')``."""
    cdef array.array out = _pyarray.array("f", bytes(4 * max(nbins, 0)))
    cdef float[::1] o = out
    cdef Py_ssize_t n = starts.shape[0], nr = rstart.shape[0], k, ri = 0, b, b0, b1, base
    cdef u64 s, e
    cdef double acc_nr, bb, o0, o1, v
    cdef double *acc
    if nbins <= 0 or nr == 0:
        return out
    acc = <double *>malloc(nbins * sizeof(double))
    if acc == NULL:
        raise MemoryError()
    with nogil:
        for b in range(nbins):
            acc[b] = 0.0
        for k in range(n):
            if nr_acc[k] == 0:
                continue
            s = starts[k]
            e = ends[k]
            while ri < nr and rend[ri] <= s:
                ri += 1
            if ri >= nr:
                break
            if s < rstart[ri]:
                s = rstart[ri]
            if e > rend[ri]:
                e = rend[ri]
            if e <= s or rnbins[ri] <= 0:
                continue
            acc_nr = <double>nr_acc[k]
            bb = (<double>(rend[ri] - rstart[ri])) / <double>rnbins[ri]
            o0 = (<double>(s - rstart[ri])) / bb
            o1 = (<double>(e - rstart[ri])) / bb
            b0 = <Py_ssize_t>o0
            b1 = <Py_ssize_t>o1
            if b1 > rnbins[ri] - 1:
                b1 = rnbins[ri] - 1
            if b0 > b1:
                b0 = b1
            base = rbin0[ri]
            if b0 == b1:
                acc[base + b0] += acc_nr * (o1 - o0)
                continue
            acc[base + b0] += acc_nr * (b0 + 1 - o0)
            for b in range(b0 + 1, b1):
                acc[base + b] += acc_nr
            acc[base + b1] += acc_nr * (o1 - b1)
        for b in range(nbins):
            v = acc[b] / nr_samples
            o[b] = <float>(v if v < 1.0 else 1.0)
    free(acc)
    return out


def mean_of(list values):
    """Element-wise mean of equally long ``array('f')`` (rows of one time slot)."""
    cdef Py_ssize_t k, b, m = len(values), n
    if m == 0:
        return _pyarray.array("f")
    n = len(values[0])
    cdef array.array out = _pyarray.array("f", bytes(4 * n))
    cdef float[::1] o = out
    cdef float[::1] v
    cdef float inv = 1.0 / m
    for k in range(m):
        v = values[k]
        if v.shape[0] != n:
            raise ValueError("mean_of: arrays of different lengths")
        with nogil:
            for b in range(n):
                o[b] += v[b]
    with nogil:
        for b in range(n):
            o[b] *= inv
    return out


def merge_mean(const float[::1] mean, Py_ssize_t count, const float[::1] value):
    """``(mean * count + value) / (count + 1)`` element-wise, as a new ``array('f')``."""
    cdef Py_ssize_t b, n = mean.shape[0]
    if value.shape[0] != n:
        raise ValueError("merge_mean: arrays of different lengths")
    cdef array.array out = _pyarray.array("f", bytes(4 * n))
    cdef float[::1] o = out
    cdef double c = <double>count
    with nogil:
        for b in range(n):
            o[b] = <float>((mean[b] * c + value[b]) / (c + 1.0))
    return out


def columns(const float[::1] values, const i64[::1] b0, const i64[::1] b1):
    """Mean of ``values[b0[c]:b1[c]]`` per column ``c``; ``-1`` where ``b1 <= b0`` (no data
    or a separator).  Returns ``array('f')``.

    Called by the UI thread for a few hundred cells: it keeps the GIL on purpose, since
    releasing it would hand the GIL to a busy engine thread and wait a switch interval
    (5 ms) to get it back, for microseconds of work."""
    cdef Py_ssize_t c, b, lo, hi, w = b0.shape[0], n = values.shape[0]
    cdef array.array out = _pyarray.array("f", bytes(4 * w))
    cdef float[::1] o = out
    cdef double s
    for c in range(w):
        lo = b0[c]
        hi = b1[c]
        if lo < 0:
            lo = 0
        if hi > n:
            hi = n
        if hi <= lo:
            o[c] = -1.0
            continue
        s = 0.0
        for b in range(lo, hi):
            s += values[b]
        o[c] = <float>(s / (hi - lo))
    return out


def range_sums(const float[::1] values, const i64[::1] rbin0, const i64[::1] rnbins):
    """Per range, the sum of its bins (``list`` of floats)."""
    cdef Py_ssize_t r, b, nr = rbin0.shape[0], n = values.shape[0]
    cdef double s
    out = []
    for r in range(nr):
        s = 0.0
        with nogil:
            for b in range(rbin0[r], min(rbin0[r] + rnbins[r], n)):
                s += values[b]
        out.append(s)
    return out


def vmax(const float[::1] values):
    """The largest value (0 for an empty array)."""
    cdef Py_ssize_t b
    cdef float m = 0.0
    with nogil:
        for b in range(values.shape[0]):
            if values[b] > m:
                m = values[b]
    return m


def runs(const u64[::1] starts, const u64[::1] ends):
    """The contiguous runs of sorted regions: ``((start, end), ...)`` (a target's space)."""
    cdef Py_ssize_t n = starts.shape[0], i, k = 0
    if n == 0:
        return ()
    cdef Py_ssize_t *cut = <Py_ssize_t *>malloc(n * sizeof(Py_ssize_t))
    if cut == NULL:
        raise MemoryError()
    try:
        with nogil:
            for i in range(1, n):
                if starts[i] != ends[i - 1]:
                    cut[k] = i
                    k += 1
        out = []
        s = 0
        for i in range(k):
            out.append((starts[s], ends[cut[i] - 1]))
            s = cut[i]
        out.append((starts[s], ends[n - 1]))
    finally:
        free(cut)
    return tuple(out)



# --------------------------------------------------------------------------- heatmap lines

cdef extern from "Python.h":
    object PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)
    int PyUnicode_4BYTE_KIND

cdef Py_UCS4 _UPPER = 0x2580  # ▀
cdef Py_UCS4 _LOWER = 0x2584  # ▄
cdef Py_UCS4 _SEP = 0x250A  # ┊
cdef Py_UCS4 _CURSOR = 0x25C6  # ◆


cdef inline int _heat_step(double v, double top, bint log_scale, int steps,
                           double decades) noexcept nogil:
    """``models.heat_step`` in C (the same float arithmetic, the same result)."""
    cdef double t, x
    if v < 0:
        return -1
    if v <= 0 or top <= 0:
        return 0
    t = v / top
    if log_scale:
        t = 1 + log10(t) / decades
    x = t * (steps - 1) + 0.5
    if not x >= 1:  # int() truncates toward zero: below 1 (or NaN) is step 0
        return 1
    if x >= steps - 1:
        return steps
    return <int>x + 1


def heat_step(double value, double top, bint log_scale, int steps, double decades):
    """Colour step of a cell: ``-1`` no data, ``0`` idle, ``1..steps`` from cold to ``top``
    (linear in the value, or over ``decades`` decades below ``top``)."""
    return _heat_step(value, top, log_scale, steps, decades)


cdef class _Line:
    """A line's cells being built: a character and a style key per cell."""

    cdef Py_UCS4 *chars
    cdef int *keys
    cdef Py_ssize_t n

    def __cinit__(self, Py_ssize_t n, Py_ssize_t nseps):
        if nseps < n:
            raise ValueError("seps must cover every column of the line")
        self.n = n
        self.chars = <Py_UCS4 *>malloc((n + 1) * sizeof(Py_UCS4))
        self.keys = <int *>malloc((n + 1) * sizeof(int))
        if self.chars == NULL or self.keys == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.chars)
        free(self.keys)

    cdef list runs(self):
        """``[(text, key), ...]``: one entry per run of cells sharing a key."""
        cdef list out = []
        cdef Py_ssize_t i = 0, j
        while i < self.n:
            j = i + 1
            while j < self.n and self.keys[j] == self.keys[i]:
                j += 1
            out.append((PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, &self.chars[i],
                                                  j - i), self.keys[i]))
            i = j
        return out


def half_runs(const float[::1] upper, const float[::1] lower, double top, bint log_scale,
              int steps, double decades, const unsigned char[::1] seps, Py_ssize_t cur_col):
    """One half-block heatmap line (``upper``: the older row, ``lower``: the newer; a
    value < 0 is no data) as runs ``[(text, key), ...]`` of cells that share a style.

    With ``K = steps + 2`` and a colour step ``s`` in ``-1..steps``: key
    ``(a + 1) * K + (b + 1)`` is ``half_block_style(a, b)`` (``▀`` or ``▄``), ``K * K`` an
    empty cell, ``K * K + 1`` a separator (``seps[c]`` non-zero) and ``K * K + 2 + s + 1``
    the cursor (column ``cur_col``, ``◆``) on step ``s``."""
    cdef Py_ssize_t c
    cdef int k = steps + 2, u, lo
    cdef _Line line = _Line(upper.shape[0], seps.shape[0])
    cdef Py_UCS4 *chars = line.chars
    cdef int *keys = line.keys
    if lower.shape[0] < line.n:
        raise ValueError("half_runs: lower must cover every column of upper")
    with nogil:
        for c in range(line.n):
            if seps[c]:
                chars[c] = _SEP
                keys[c] = k * k + 1
                continue
            u = _heat_step(upper[c], top, log_scale, steps, decades)
            lo = _heat_step(lower[c], top, log_scale, steps, decades)
            if u >= 0:
                chars[c] = _UPPER
                keys[c] = (u + 1) * k + lo + 1
            elif lo >= 0:
                chars[c] = _LOWER
                keys[c] = (lo + 1) * k
            else:
                chars[c] = 0x20
                keys[c] = k * k
            if c == cur_col:
                chars[c] = _CURSOR
                keys[c] = k * k + 2 + (lo if lo > u else u) + 1
    return line.runs()


def digit_runs(const float[::1] cells, int levels, const unsigned char[::1] seps,
               Py_ssize_t cur_col):
    """One line of damo's digits (a value < 0 is no data) as runs ``[(text, key), ...]``:
    key ``0..levels-1`` a level, ``levels`` an empty cell, ``levels + 1`` a separator
    (``seps[c]`` non-zero) and ``levels + 2 + level + 1`` the cursor (column ``cur_col``)
    on ``level`` (``-1``: an empty cell or a separator)."""
    cdef _Line line = _Line(cells.shape[0], seps.shape[0])
    cdef Py_UCS4 *chars = line.chars
    cdef int *keys = line.keys
    cdef Py_ssize_t c
    cdef int lvl
    cdef double v
    with nogil:
        for c in range(line.n):
            v = cells[c]
            if seps[c]:
                lvl = -1
                chars[c] = _SEP
                keys[c] = levels + 1
            elif v < 0:
                lvl = -1
                chars[c] = 0x20
                keys[c] = levels
            else:
                v = v * levels
                lvl = levels - 1 if v >= levels - 1 else <int>v
                chars[c] = 0x30 + lvl
                keys[c] = lvl
            if c == cur_col:
                keys[c] = levels + 2 + lvl + 1
    return line.runs()
