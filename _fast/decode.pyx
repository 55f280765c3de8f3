# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Region coding of damon-tui record frames (encode in the writer, decode in the reader).

One target's regions in one frame are coded against the same target's regions in the
previous frame (its *reference*).  Per region, one tag byte::

    bits 0-1  start: 0 = end of the previous region of this frame (contiguous),
              1 = start of the next reference region (boundaries kept),
              2 = explicit gap from the previous end (zigzag varint)
    bit 2     end == end of the reference region containing the start (no size field)
    bits 3-4  age: 0 = ref age + 1, 1 = 0, 2 = explicit varint, 3 = ref age
    bits 5-7  nr_accesses: 0..5 inline, 6 = ref nr_accesses, 7 = explicit varint

then, when not implied: the gap, the size (varint), the age and the nr_accesses
(varints).  Gaps and sizes are in units of ``2**shift`` bytes (the largest power of two
dividing every address of the block).  "Next reference region" is the first one
starting at or after the previous region's end; the reference region of a region is the
one containing its start (forward-only walks, so the decoder finds both exactly as the
encoder did).  Arithmetic wraps modulo 2**64, so any input round-trips; the decoder
never reads past its buffer (returns -1).
"""

from cpython cimport array
from cpython.bytes cimport PyBytes_AS_STRING
from cpython.object cimport Py_SIZE
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t

from varint cimport _pget_varint, _put_varint, u32, u64


cdef inline int _ctz64(u64 v) noexcept nogil:
    cdef int n = 0
    if v == 0:
        return 0
    while (v & 1) == 0:
        v >>= 1
        n += 1
    return n


def address_shift(const u64[::1] starts, const u64[::1] ends, Py_ssize_t off, Py_ssize_t n):
    """The largest power-of-two unit (as a shift) dividing every start and end."""
    cdef u64 acc = 0
    cdef Py_ssize_t i
    with nogil:
        for i in range(off, off + n):
            acc |= starts[i] | ends[i]
    return _ctz64(acc)


def encode_target(
    unsigned char[::1] out,
    Py_ssize_t pos,
    const u64[::1] starts, const u64[::1] ends, const u32[::1] nr_acc, const u32[::1] ages,
    Py_ssize_t off, Py_ssize_t n,
    const u64[::1] pstarts, const u64[::1] pends, const u32[::1] pnr, const u32[::1] pages,
    Py_ssize_t poff, Py_ssize_t pn,
    int shift,
):
    """Encode regions ``[off, off+n)`` against reference ``[poff, poff+pn)`` into ``out``.

    ``out`` must have room for ``n * 31`` bytes from ``pos``; returns the new position.
    """
    cdef Py_ssize_t i, j = poff, q = poff, pend = poff + pn
    cdef u64 s, e, prev_end, ref_end
    cdef u32 ref_age, ref_nr, a, nr
    cdef int has_ref, tag, amode, nmode, smode
    cdef int64_t gap
    with nogil:
        prev_end = 0
        for i in range(off, off + n):
            s = starts[i]
            e = ends[i]
            a = ages[i]
            nr = nr_acc[i]
            while q < pend and pstarts[q] < prev_end:
                q += 1
            if i > off and s == prev_end:
                smode = 0
            elif q < pend and pstarts[q] == s:
                smode = 1
            else:
                smode = 2
            while j < pend and pends[j] <= s:
                j += 1
            has_ref = j < pend and pstarts[j] <= s
            if has_ref:
                ref_end = pends[j]
                ref_age = pages[j]
                ref_nr = pnr[j]
            else:
                ref_end = 0
                ref_age = 0
                ref_nr = 0
            tag = smode
            if has_ref and e == ref_end:
                tag |= 4
            if has_ref and a == ref_age + 1:
                amode = 0
            elif a == 0:
                amode = 1
            elif has_ref and a == ref_age:
                amode = 3
            else:
                amode = 2
            tag |= amode << 3
            if nr <= 5:
                nmode = nr
            elif has_ref and nr == ref_nr:
                nmode = 6
            else:
                nmode = 7
            tag |= nmode << 5
            out[pos] = <unsigned char>tag
            pos += 1
            if smode == 2:
                gap = <int64_t>((s >> shift) - (prev_end >> shift))
                pos = _put_varint(out, pos, <u64>((gap << 1) ^ (gap >> 63)))
            if not (tag & 4):
                pos = _put_varint(out, pos, (e - s) >> shift)
            if amode == 2:
                pos = _put_varint(out, pos, a)
            if nmode == 7:
                pos = _put_varint(out, pos, nr)
            prev_end = e
    return pos


def read_varint(const unsigned char[::1] buf, Py_ssize_t pos, Py_ssize_t end):
    """``(value, new_pos)``; ``new_pos`` is -1 when the buffer ends inside the varint."""
    cdef u64 v = 0
    cdef Py_ssize_t p = -1
    if end > buf.shape[0]:
        end = buf.shape[0]
    if 0 <= pos < end:
        p = _pget_varint(&buf[0], pos, end, &v)
    return v, p


def decode_target(
    bytes buf, Py_ssize_t pos, Py_ssize_t end,
    array.array starts, array.array ends, array.array nr_acc, array.array ages,
    Py_ssize_t off, Py_ssize_t n, Py_ssize_t poff, Py_ssize_t pn, int shift,
):
    """Decode ``n`` regions from ``buf[pos:end]`` into ``[off, off+n)`` of the arrays
    (typecodes Q, Q, I, I).

    The reference snapshot is ``[poff, poff+pn)`` of the same arrays.  Returns the
    position after the regions, or -1 if the data is malformed (never reads past end).
    """
    if starts.ob_descr.typecode != b"Q" or ends.ob_descr.typecode != b"Q" \
            or nr_acc.ob_descr.typecode != b"I" or ages.ob_descr.typecode != b"I":
        raise TypeError("decode_target: arrays must have typecodes Q, Q, I, I")
    if shift < 0 or shift > 63 or n < 0 or off < 0 or poff < 0 or pn < 0:
        return -1
    if off + n > Py_SIZE(starts) or off + n > Py_SIZE(ends) or off + n > Py_SIZE(nr_acc) \
            or off + n > Py_SIZE(ages) or poff + pn > off or end > len(buf):
        return -1
    if n == 0:
        return pos
    if pos < 0 or pos >= end:
        return -1
    cdef const unsigned char *B = <const unsigned char *>PyBytes_AS_STRING(buf)
    with nogil:
        pos = _decode(B, pos, end, starts.data.as_ulonglongs, ends.data.as_ulonglongs,
                      nr_acc.data.as_uints, ages.data.as_uints, off, n, poff, pn, shift)
    return pos


cdef Py_ssize_t _decode(
    const unsigned char *B, Py_ssize_t pos, Py_ssize_t end,
    u64 *S, u64 *E, u32 *N, u32 *A,
    Py_ssize_t off, Py_ssize_t n, Py_ssize_t poff, Py_ssize_t pn, int shift,
) noexcept nogil:
    cdef Py_ssize_t i, j = poff, q = poff, pend = poff + pn
    cdef u64 s, e, prev_end = 0, ref_end, v
    cdef u32 ref_age, ref_nr
    cdef int has_ref, tag, amode, nmode, smode
    for i in range(off, off + n):
        if pos >= end:
            return -1
        tag = B[pos]
        pos += 1
        while q < pend and S[q] < prev_end:
            q += 1
        smode = tag & 3
        if smode == 0:
            s = prev_end
        elif smode == 1:
            if q >= pend:
                return -1
            s = S[q]
        elif smode == 2:
            pos = _pget_varint(B, pos, end, &v)
            if pos < 0:
                return -1
            v = (v >> 1) ^ (<u64>0 - (v & 1))
            s = ((prev_end >> shift) + v) << shift
        else:
            return -1
        while j < pend and E[j] <= s:
            j += 1
        has_ref = j < pend and S[j] <= s
        if has_ref:
            ref_end = E[j]
            ref_age = A[j]
            ref_nr = N[j]
        else:
            ref_end = 0
            ref_age = 0
            ref_nr = 0
        if tag & 4:
            if not has_ref:
                return -1
            e = ref_end
        else:
            pos = _pget_varint(B, pos, end, &v)
            if pos < 0:
                return -1
            e = s + (v << shift)
        amode = (tag >> 3) & 3
        if amode == 0:
            if not has_ref:
                return -1
            A[i] = ref_age + 1
        elif amode == 1:
            A[i] = 0
        elif amode == 3:
            if not has_ref:
                return -1
            A[i] = ref_age
        else:
            pos = _pget_varint(B, pos, end, &v)
            if pos < 0 or v > <u64>0xFFFFFFFFU:
                return -1
            A[i] = <u32>v
        nmode = tag >> 5
        if nmode <= 5:
            N[i] = nmode
        elif nmode == 6:
            if not has_ref:
                return -1
            N[i] = ref_nr
        else:
            pos = _pget_varint(B, pos, end, &v)
            if pos < 0 or v > <u64>0xFFFFFFFFU:
                return -1
            N[i] = <u32>v
        S[i] = s
        E[i] = e
        prev_end = e
    return pos


# ---------------------------------------------------------------------------
# frame walker: many frames of a record decoded per call, for streaming readers.  CRC and
# inflate go to zlib's C library directly and the loop runs without the GIL: no Python
# per frame (only growing the output arrays and extension payloads take the GIL).
# ---------------------------------------------------------------------------

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdlib cimport calloc, free, realloc
from libc.string cimport memmove, memset, strncpy


cdef extern from "zlib.h" nogil:
    ctypedef struct z_stream:
        unsigned char *next_in
        unsigned int avail_in
        unsigned char *next_out
        unsigned int avail_out
        char *msg
        void *zalloc
        void *zfree
        void *opaque
    int inflateInit(z_stream *strm)
    int inflateReset(z_stream *strm)
    int inflate(z_stream *strm, int flush)
    int inflateEnd(z_stream *strm)
    unsigned long crc32(unsigned long crc, const unsigned char *buf, unsigned int len)
    int Z_OK, Z_STREAM_END, Z_NEED_DICT, Z_BUF_ERROR, Z_DATA_ERROR, Z_STREAM_ERROR
    int Z_VERSION_ERROR, Z_SYNC_FLUSH


# Python's zlib module's words for zlib's codes without a message
cdef const char *_Z_VERSION = b"library version mismatch"
cdef const char *_Z_BUF = b"incomplete or truncated stream"
cdef const char *_Z_STREAM = b"inconsistent stream state"
cdef const char *_Z_DATA = b"invalid input data"


cdef inline u64 _crc(const unsigned char *p, Py_ssize_t n) noexcept nogil:
    cdef unsigned long c = 0
    cdef unsigned int part
    while n > 0:
        part = <unsigned int>(n if n < (1 << 30) else (1 << 30))
        c = crc32(c, p, part)
        p += part
        n -= part
    return <u64>c


DEF W_OK = 0          # max_frames decoded
DEF W_MORE = 1        # the buffer ends inside a frame (or at its end): give more data
DEF W_BAD = 2         # damage at pos (message in walker.error)

# damage kinds (the message is made with the GIL, in walk())
DEF E_MARKER = 1
DEF E_TRUNCATED = 2
DEF E_CRC = 3
DEF E_FLAGS = 4
DEF E_ZLIB = 5
DEF E_BOMB = 6
DEF E_EARLY = 7
DEF E_FIRST = 8
DEF E_FIELD = 9
DEF E_BACKWARDS = 10
DEF E_RANGE = 11
DEF E_NTARGETS = 12
DEF E_BLOCK = 13
DEF E_REGIONS = 14
DEF E_LENGTH = 15
DEF E_NOMEM = 16


cdef extern from *:
    """
    /* An array's length and capacity: the walker cuts its arrays to what was decoded
       without giving their memory back, so chunk after chunk reuses it.  The head of
       CPython's array object (Modules/arraymodule.c), as Cython's arrayarray.h and
       its resize_smart() rely on it too. */
    typedef struct { PyObject_VAR_HEAD char *ob_item; Py_ssize_t allocated; }
        __pyx_dtui_array_head;
    static CYTHON_INLINE Py_ssize_t __pyx_dtui_capacity(PyObject *a) {
        return ((__pyx_dtui_array_head *)a)->allocated;
    }
    static CYTHON_INLINE void __pyx_dtui_set_len(PyObject *a, Py_ssize_t n) {
        Py_SET_SIZE((PyVarObject *)a, n);
    }
    """
    Py_ssize_t _capacity "__pyx_dtui_capacity" (object a)
    void _set_len "__pyx_dtui_set_len" (object a, Py_ssize_t n)


cdef inline int _ensure(array.array a, Py_ssize_t n) except -1:
    if Py_SIZE(a) < n:
        if _capacity(a) >= n:
            _set_len(a, _capacity(a))  # the memory kept from an earlier chunk
        else:
            array.resize_smart(a, n + n // 2 + 1024)
    return 0


cdef inline void _cut(array.array a, Py_ssize_t n) noexcept:
    """``del a[n:]`` keeping the memory (``n`` at most the length)."""
    if n < Py_SIZE(a):
        _set_len(a, n)


cdef int _copy_range(array.array dst, array.array src, Py_ssize_t lo,
                     Py_ssize_t hi) except -1:
    """``dst[:] = src[lo:hi]`` keeping ``dst``'s memory (same typecode; ``dst`` may be
    ``src``)."""
    cdef Py_ssize_t size = src.ob_descr.itemsize
    _ensure(dst, hi - lo)
    if hi > lo and (dst is not src or lo):
        memmove(dst.data.as_chars, src.data.as_chars + lo * size, (hi - lo) * size)
    _set_len(dst, hi - lo)
    return 0


cdef class FrameWalker:
    """Decodes consecutive frames of a damon-tui record into growing per-target arrays.

    Per target ``i``: ``starts[i], ends[i], nr[i], ages[i]`` (array Q, Q, I, I) hold the
    reference snapshot (the target's previous one) at ``[0, ref_n[i])`` followed by the
    decoded snapshots; ``offsets[i]`` (array q) their bounds (``offsets[i][0] ==
    ref_n[i]``), ``snap_start[i]``/``snap_end[i]`` (array q) their times.  Per frame:
    ``frame_sample``/``frame_aggr`` (array Q) and ``exts`` ``[(frame, bytes)]``.
    ``restart()`` keeps each target's last snapshot as the next reference and empties
    the rest (bounded memory).  ``max_body`` caps a zlib'd body.
    """
    cdef public list starts, ends, nr, ages, offsets, snap_start, snap_end
    cdef public array.array frame_sample, frame_aggr, counts
    cdef public list exts
    cdef public object error
    cdef public Py_ssize_t nframes, ntargets, max_body, frames_total
    cdef public long long last_end, last_dur
    cdef public unsigned long long last_sample, last_aggr
    cdef public int has_last
    # C views of the arrays above (refreshed whenever an array may have moved)
    cdef u64 **S
    cdef u64 **E
    cdef u32 **N
    cdef u32 **A
    cdef long long **OFF
    cdef long long **SS
    cdef long long **SE
    cdef Py_ssize_t *cap_reg
    cdef Py_ssize_t *cap_off
    cdef Py_ssize_t *cap_snap
    cdef long long *K          # counts
    cdef long long *saved      # counts before the frame being decoded (undo)
    cdef u64 *FS
    cdef u64 *FA
    cdef Py_ssize_t cap_frames
    # inflate state and its output buffer (kept across frames)
    cdef z_stream zs
    cdef int zs_ready
    cdef unsigned char *zbuf
    cdef Py_ssize_t zcap
    # the damage found by _frame: kind, a number, zlib's code and message
    cdef int ekind, zerr
    cdef u64 eval
    cdef char zmsg[201]

    def __cinit__(self, Py_ssize_t ntargets, Py_ssize_t max_body):
        cdef Py_ssize_t n = ntargets if ntargets > 0 else 1
        self.S = <u64 **>calloc(n, sizeof(u64 *))
        self.E = <u64 **>calloc(n, sizeof(u64 *))
        self.N = <u32 **>calloc(n, sizeof(u32 *))
        self.A = <u32 **>calloc(n, sizeof(u32 *))
        self.OFF = <long long **>calloc(n, sizeof(long long *))
        self.SS = <long long **>calloc(n, sizeof(long long *))
        self.SE = <long long **>calloc(n, sizeof(long long *))
        self.cap_reg = <Py_ssize_t *>calloc(n, sizeof(Py_ssize_t))
        self.cap_off = <Py_ssize_t *>calloc(n, sizeof(Py_ssize_t))
        self.cap_snap = <Py_ssize_t *>calloc(n, sizeof(Py_ssize_t))
        self.saved = <long long *>calloc(n, sizeof(long long))
        if not (self.S and self.E and self.N and self.A and self.OFF and self.SS and self.SE
                and self.cap_reg and self.cap_off and self.cap_snap and self.saved):
            raise MemoryError()
        memset(&self.zs, 0, sizeof(z_stream))
        if inflateInit(&self.zs) != Z_OK:
            raise MemoryError()
        self.zs_ready = 1

    def __dealloc__(self):
        free(self.S); free(self.E); free(self.N); free(self.A); free(self.OFF)
        free(self.SS); free(self.SE); free(self.cap_reg); free(self.cap_off)
        free(self.cap_snap); free(self.saved); free(self.zbuf)
        if self.zs_ready:
            inflateEnd(&self.zs)

    def __init__(self, Py_ssize_t ntargets, Py_ssize_t max_body):
        if ntargets > 4096:
            raise ValueError("too many targets")
        self.ntargets = ntargets
        self.max_body = max_body
        self.starts = [array.array("Q") for _ in range(ntargets)]
        self.ends = [array.array("Q") for _ in range(ntargets)]
        self.nr = [array.array("I") for _ in range(ntargets)]
        self.ages = [array.array("I") for _ in range(ntargets)]
        self.offsets = [array.array("q", [0]) for _ in range(ntargets)]
        self.snap_start = [array.array("q") for _ in range(ntargets)]
        self.snap_end = [array.array("q") for _ in range(ntargets)]
        self.counts = array.array("q", [0] * ntargets)  # snapshots per target
        self.frame_sample = array.array("Q")
        self.frame_aggr = array.array("Q")
        self.exts = []
        self.error = None
        self.nframes = 0
        self.frames_total = 0
        self.has_last = 0

    cdef int _refresh(self, Py_ssize_t i) except -1:
        cdef array.array a
        a = self.starts[i]; self.S[i] = a.data.as_ulonglongs; self.cap_reg[i] = Py_SIZE(a)
        a = self.ends[i]; self.E[i] = a.data.as_ulonglongs
        self.cap_reg[i] = min(self.cap_reg[i], Py_SIZE(a))
        a = self.nr[i]; self.N[i] = a.data.as_uints
        self.cap_reg[i] = min(self.cap_reg[i], Py_SIZE(a))
        a = self.ages[i]; self.A[i] = a.data.as_uints
        self.cap_reg[i] = min(self.cap_reg[i], Py_SIZE(a))
        a = self.offsets[i]; self.OFF[i] = a.data.as_longlongs; self.cap_off[i] = Py_SIZE(a)
        a = self.snap_start[i]; self.SS[i] = a.data.as_longlongs
        self.cap_snap[i] = Py_SIZE(a)
        a = self.snap_end[i]; self.SE[i] = a.data.as_longlongs
        if Py_SIZE(a) < self.cap_snap[i]:
            self.cap_snap[i] = Py_SIZE(a)
        return 0

    cdef int _refresh_all(self) except -1:
        cdef Py_ssize_t i
        for i in range(self.ntargets):
            self._refresh(i)
        self.K = self.counts.data.as_longlongs
        self.FS = self.frame_sample.data.as_ulonglongs
        self.FA = self.frame_aggr.data.as_ulonglongs
        self.cap_frames = min(Py_SIZE(self.frame_sample), Py_SIZE(self.frame_aggr))
        return 0

    cdef int _grow_target(self, Py_ssize_t i, Py_ssize_t nreg, Py_ssize_t nsnap) except -1:
        """Room for ``nreg`` regions and ``nsnap`` snapshots in target ``i``'s arrays."""
        for arr in (self.starts[i], self.ends[i], self.nr[i], self.ages[i]):
            _ensure(arr, nreg)
        _ensure(self.offsets[i], nsnap + 1)
        _ensure(self.snap_start[i], nsnap)
        _ensure(self.snap_end[i], nsnap)
        self._refresh(i)
        return 0

    cdef int _grow_frames(self, Py_ssize_t n) except -1:
        _ensure(self.frame_sample, n)
        _ensure(self.frame_aggr, n)
        self.FS = self.frame_sample.data.as_ulonglongs
        self.FA = self.frame_aggr.data.as_ulonglongs
        self.cap_frames = min(Py_SIZE(self.frame_sample), Py_SIZE(self.frame_aggr))
        return 0

    def restart(self):
        """Drop decoded snapshots, keeping each target's last one as its reference."""
        self.follow(self)

    def follow(self, FrameWalker other):
        """Go on where ``other`` stopped: its last snapshot of each target becomes this
        walker's reference and its frame count and last frame carry over; this walker's
        own snapshots are dropped (``other`` may be this walker: ``restart``).  ``other``
        is only read, so a second walker decodes the next chunk while the caller still
        reads ``other``'s."""
        cdef Py_ssize_t i, k, a, b
        cdef array.array off
        if other.ntargets != self.ntargets:
            raise ValueError("follow: walkers of different target counts")
        for i in range(self.ntargets):
            off = other.offsets[i]
            k = other.counts[i]
            a = off.data.as_longlongs[k - 1] if k else 0
            b = off.data.as_longlongs[k]
            _copy_range(self.starts[i], other.starts[i], a, b)
            _copy_range(self.ends[i], other.ends[i], a, b)
            _copy_range(self.nr[i], other.nr[i], a, b)
            _copy_range(self.ages[i], other.ages[i], a, b)
            off = self.offsets[i]
            _set_len(off, 1)
            off.data.as_longlongs[0] = b - a
            _cut(self.snap_start[i], 0)
            _cut(self.snap_end[i], 0)
            self.counts[i] = 0
        _cut(self.frame_sample, 0)
        _cut(self.frame_aggr, 0)
        self.exts = []
        self.nframes = 0
        self.error = None
        self.frames_total = other.frames_total
        self.last_end = other.last_end
        self.last_dur = other.last_dur
        self.last_sample = other.last_sample
        self.last_aggr = other.last_aggr
        self.has_last = other.has_last

    def walk(self, bytes data, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t max_frames):
        """Decode frames from ``data[pos:end]``; returns ``(status, pos)``: 0 = did
        ``max_frames``, 1 = needs more data (``pos`` = the incomplete frame), 2 = damage
        at ``pos`` (``self.error`` says what)."""
        cdef const unsigned char *B = <const unsigned char *>PyBytes_AS_STRING(data)
        cdef int status = W_OK
        cdef Py_ssize_t done = 0, nxt = 0
        if end > len(data):
            end = len(data)
        self._refresh_all()
        with nogil:
            while done < max_frames:
                status = self._frame(B, pos, end, &nxt)
                if status != W_OK:
                    break
                done += 1
                pos = nxt
        if status == W_BAD:
            self.error = self._message()
            return W_BAD, pos
        return status, pos

    cdef str _message(self):
        k = self.ekind
        if k == E_MARKER:
            return "bad frame marker"
        if k == E_TRUNCATED:
            return "truncated frame"
        if k == E_NOMEM:
            raise MemoryError()
        text = {
            E_CRC: "checksum mismatch",
            E_FLAGS: "unknown frame flags",
            E_BOMB: f"body decompresses to more than {self.max_body} bytes",
            E_EARLY: "compressed body ends early",
            E_FIRST: "first frame refers to a previous frame",
            E_FIELD: "frame ends inside a field",
            E_BACKWARDS: "end_time before start_time",
            E_RANGE: "time out of range",
            E_NTARGETS: f"frame names {self.eval} targets, the header {self.ntargets}",
            E_BLOCK: "bad target block",
            E_REGIONS: "undecodable regions",
            E_LENGTH: "frame length does not match its content",
        }.get(k)
        if k == E_ZLIB:
            # worded as Python's zlib module words it (the in-memory reader uses it)
            text = f"Error {self.zerr} while decompressing data"
            zmsg = self.zmsg.decode("utf-8", "replace")
            if zmsg:
                text += f": {zmsg}"
        return f"corrupted frame ({text})"

    cdef int _fail(self, int kind) noexcept nogil:
        self.ekind = kind
        return W_BAD

    cdef int _inflate(self, const unsigned char *src, Py_ssize_t n,
                      Py_ssize_t *out_n) noexcept nogil:
        """Inflate a frame body into ``self.zbuf``; 0, or a damage kind."""
        cdef int err
        cdef Py_ssize_t produced = 0, cap, limit = self.max_body
        cdef const char *m
        if n > <Py_ssize_t>0xFFFFFFFF:
            return E_BOMB
        inflateReset(&self.zs)
        self.zs.next_in = <unsigned char *>src
        self.zs.avail_in = <unsigned int>n
        while True:
            cap = self.zcap if self.zcap < limit else limit
            if produced == cap:
                if cap >= limit:
                    # Python's decompressobj(max_length): output full with input left is
                    # an unconsumed tail; without input left, a body that ends early
                    return E_BOMB if self.zs.avail_in else E_EARLY
                cap = self.zcap * 2 + 65536
                if cap > limit:
                    cap = limit
                if self._grow_zbuf(cap) < 0:
                    return E_NOMEM
            self.zs.next_out = self.zbuf + produced
            self.zs.avail_out = <unsigned int>(cap - produced
                                               if cap - produced < 0x40000000 else 0x40000000)
            err = inflate(&self.zs, Z_SYNC_FLUSH)
            produced = <Py_ssize_t>(self.zs.next_out - self.zbuf)
            if err == Z_STREAM_END:
                out_n[0] = produced
                return 0
            if err != Z_OK and err != Z_BUF_ERROR:
                self.zerr = err
                m = self.zs.msg
                if err == Z_VERSION_ERROR:
                    m = _Z_VERSION
                if m == NULL:
                    if err == Z_BUF_ERROR:
                        m = _Z_BUF
                    elif err == Z_STREAM_ERROR:
                        m = _Z_STREAM
                    elif err == Z_DATA_ERROR:
                        m = _Z_DATA
                self.zmsg[0] = 0
                if m != NULL:
                    strncpy(self.zmsg, m, 200)
                    self.zmsg[200] = 0
                return E_ZLIB
            if self.zs.avail_out != 0:
                return E_EARLY

    cdef int _grow_zbuf(self, Py_ssize_t cap) noexcept nogil:
        cdef unsigned char *b = <unsigned char *>realloc(self.zbuf, cap)
        if b == NULL:
            return -1
        self.zbuf = b
        self.zcap = cap
        return 0

    cdef int _frame(self, const unsigned char *B, Py_ssize_t pos, Py_ssize_t end,
                    Py_ssize_t *next_pos) noexcept nogil:
        """Decode the frame at ``pos``: W_OK (``next_pos`` set), W_MORE or W_BAD."""
        cdef Py_ssize_t p, body_end, bp, frame_end, ti, n, nbytes, idx, body_n
        cdef Py_ssize_t nt, k, out, poff, pn, r
        cdef u64 v, plen, crc, start, sample, aggr
        cdef long long dur
        cdef int flags, shift, kind
        cdef const unsigned char *body
        if pos >= end:
            return W_MORE
        if B[pos] != 0xF5:
            return self._fail(E_MARKER)
        p = _pget_varint(B, pos + 1, end if end < pos + 11 else pos + 11, &plen)
        if p < 0:
            if end - pos < 11:
                return W_MORE
            return self._fail(E_TRUNCATED)
        if p + 4 > end or plen > <u64>(end - p - 4):
            return W_MORE
        frame_end = p + 4 + <Py_ssize_t>plen
        crc = (<u64>B[p]) | (<u64>B[p + 1] << 8) | (<u64>B[p + 2] << 16) | (<u64>B[p + 3] << 24)
        if plen < 1 or _crc(B + p + 4, <Py_ssize_t>plen) != crc:
            return self._fail(E_CRC)
        flags = B[p + 4]
        if flags & ~0x1F:
            return self._fail(E_FLAGS)
        if flags & 1:
            kind = self._inflate(B + p + 5, frame_end - p - 5, &body_n)
            if kind:
                return self._fail(kind)
            body = self.zbuf
            bp = 0
            body_end = body_n
        else:
            body = B
            bp = p + 5
            body_end = frame_end
        if flags & (2 | 4 | 8) and not self.has_last:
            return self._fail(E_FIRST)
        if flags & 2:
            start = <u64>self.last_end
        else:
            bp = _pget_varint(body, bp, body_end, &start)
            if bp < 0:
                return self._fail(E_FIELD)
        if flags & 4:
            dur = self.last_dur
        else:
            bp = _pget_varint(body, bp, body_end, &v)
            if bp < 0:
                return self._fail(E_FIELD)
            dur = <long long>((v >> 1) ^ (<u64>0 - (v & 1)))
        if dur < 0:
            return self._fail(E_BACKWARDS)
        if start >= (<u64>1 << 63) or start + <u64>dur >= (<u64>1 << 63):
            return self._fail(E_RANGE)
        if flags & 8:
            sample = self.last_sample
            aggr = self.last_aggr
        else:
            bp = _pget_varint(body, bp, body_end, &sample)
            if bp >= 0:
                bp = _pget_varint(body, bp, body_end, &aggr)
            if bp < 0:
                return self._fail(E_FIELD)
        bp = _pget_varint(body, bp, body_end, &v)
        if bp < 0:
            return self._fail(E_FIELD)
        if v > <u64>self.ntargets:
            self.eval = v
            return self._fail(E_NTARGETS)
        nt = <Py_ssize_t>v
        # remember the counts to undo a partly decoded frame
        for ti in range(self.ntargets):
            self.saved[ti] = -1
        for ti in range(nt):
            bp = _pget_varint(body, bp, body_end, &v)
            if bp < 0 or v >= <u64>self.ntargets or self.saved[v] != -1:
                return self._undo(E_BLOCK)
            idx = <Py_ssize_t>v
            self.saved[idx] = self.K[idx]
            bp = _pget_varint(body, bp, body_end, &v)
            if bp < 0 or bp >= body_end:
                return self._undo(E_FIELD)
            n = <Py_ssize_t>v if v < <u64>(1 << 40) else -1
            shift = body[bp]
            bp += 1
            bp = _pget_varint(body, bp, body_end, &v)
            if bp < 0 or shift > 63 or n < 0 or v > <u64>(body_end - bp) or <u64>n > v:
                return self._undo(E_BLOCK)
            nbytes = <Py_ssize_t>v
            k = self.K[idx]
            out = self.OFF[idx][k]
            poff = self.OFF[idx][k - 1] if k else 0
            pn = out - poff
            if out + n > self.cap_reg[idx] or k + 2 > self.cap_off[idx] \
                    or k + 1 > self.cap_snap[idx]:
                with gil:
                    try:
                        self._grow_target(idx, out + n, k + 1)
                    except MemoryError:
                        return self._undo(E_NOMEM)
            if n:
                r = _decode(body, bp, bp + nbytes, self.S[idx], self.E[idx], self.N[idx],
                            self.A[idx], out, n, poff, pn, shift)
            else:
                r = bp
            if r != bp + nbytes:
                return self._undo(E_REGIONS)
            bp += nbytes
            self.OFF[idx][k + 1] = out + n
            self.SS[idx][k] = <long long>start
            self.SE[idx][k] = <long long>start + dur
            self.K[idx] = k + 1
        if flags & 0x10:
            bp = _pget_varint(body, bp, body_end, &v)
            if bp < 0 or v > <u64>(body_end - bp):
                return self._undo(E_LENGTH)
            if bp + <Py_ssize_t>v != body_end:
                return self._undo(E_LENGTH)
            with gil:
                self.exts.append((self.frames_total, PyBytes_FromStringAndSize(
                    <const char *>body + bp, <Py_ssize_t>v)))
            bp += <Py_ssize_t>v
        if bp != body_end:
            return self._undo(E_LENGTH)
        if self.nframes >= self.cap_frames:
            with gil:
                try:
                    self._grow_frames(self.nframes + 1)
                except MemoryError:
                    return self._undo(E_NOMEM)
        self.last_end = <long long>start + dur
        self.last_dur = dur
        self.last_sample = sample
        self.last_aggr = aggr
        self.has_last = 1
        self.FS[self.nframes] = sample
        self.FA[self.nframes] = aggr
        self.nframes += 1
        self.frames_total += 1
        next_pos[0] = frame_end
        return W_OK

    cdef int _undo(self, int kind) noexcept nogil:
        cdef Py_ssize_t ti
        for ti in range(self.ntargets):
            if self.saved[ti] >= 0:
                self.K[ti] = self.saved[ti]
        return self._fail(kind)

    def trimmed(self):
        """Cut every array to what was decoded (the arrays grow in steps): per target
        ``snap_start``, ``snap_end``, ``offsets`` and the region arrays; per frame
        ``frame_sample`` and ``frame_aggr``."""
        cdef Py_ssize_t i, k
        for i in range(self.ntargets):
            k = self.counts[i]
            _cut(self.snap_start[i], k)
            _cut(self.snap_end[i], k)
            _cut(self.offsets[i], k + 1)
            n = self.offsets[i][k]
            for arr in (self.starts[i], self.ends[i], self.nr[i], self.ages[i]):
                _cut(arr, n)
        _cut(self.frame_sample, self.nframes)
        _cut(self.frame_aggr, self.nframes)
