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
# frame walker: many frames of a record decoded per call (no Python per frame except
# zlib for compressed bodies and the CRC), for streaming readers
# ---------------------------------------------------------------------------

from cpython.bytes cimport PyBytes_FromStringAndSize

import zlib as _zlib

cdef object _crc32 = _zlib.crc32

DEF W_OK = 0          # max_frames decoded
DEF W_MORE = 1        # the buffer ends inside a frame (or at its end): give more data
DEF W_BAD = 2         # damage at pos (message in walker.error)


cdef inline int _ensure(array.array a, Py_ssize_t n) except -1:
    if Py_SIZE(a) < n:
        array.resize_smart(a, n + n // 2 + 1024)
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

    def __init__(self, Py_ssize_t ntargets, Py_ssize_t max_body):
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

    def restart(self):
        """Drop decoded snapshots, keeping each target's last one as its reference."""
        cdef Py_ssize_t i, k, a, b, n
        cdef array.array off
        for i in range(self.ntargets):
            off = self.offsets[i]
            k = self.counts[i]
            a = off.data.as_longlongs[k - 1] if k else 0
            b = off.data.as_longlongs[k]
            n = b - a
            for arr in (self.starts[i], self.ends[i], self.nr[i], self.ages[i]):
                del arr[b:]
                del arr[:a]
            del off[:]
            off.append(n)
            del self.snap_start[i][:]
            del self.snap_end[i][:]
            self.counts[i] = 0
        del self.frame_sample[:]
        del self.frame_aggr[:]
        self.exts = []
        self.nframes = 0

    def walk(self, bytes data, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t max_frames):
        """Decode frames from ``data[pos:end]``; returns ``(status, pos)``: 0 = did
        ``max_frames``, 1 = needs more data (``pos`` = the incomplete frame), 2 = damage
        at ``pos`` (``self.error`` says what)."""
        cdef const unsigned char *B = <const unsigned char *>PyBytes_AS_STRING(data)
        cdef Py_ssize_t p, plen_end, body_end, bp, frame_end, ti, n, nbytes, idx
        cdef Py_ssize_t nt, k, out, poff, pn, r, done = 0
        cdef u64 v, plen, crc, start, sample, aggr
        cdef long long dur
        cdef int flags, shift
        cdef const unsigned char *body
        cdef object body_obj
        cdef array.array S, E, N, A, off
        cdef long long saved[4096]
        if end > len(data):
            end = len(data)
        if self.ntargets > 4096:
            raise ValueError("too many targets")
        while done < max_frames:
            if pos >= end:
                return W_MORE, pos
            if B[pos] != 0xF5:
                self.error = "bad frame marker"
                return W_BAD, pos
            p = _pget_varint(B, pos + 1, end if end < pos + 11 else pos + 11, &plen)
            if p < 0:
                if end - pos < 11:
                    return W_MORE, pos
                self.error = "truncated frame"
                return W_BAD, pos
            if plen > <u64>(end - p - 4) or p + 4 > end:
                return W_MORE, pos
            frame_end = p + 4 + <Py_ssize_t>plen
            crc = (<u64>B[p]) | (<u64>B[p + 1] << 8) | (<u64>B[p + 2] << 16) | (<u64>B[p + 3] << 24)
            if plen < 1 or <u64>_crc32(memoryview(data)[p + 4:frame_end]) != crc:
                self.error = "corrupted frame (checksum mismatch)"
                return W_BAD, pos
            flags = B[p + 4]
            if flags & ~0x1F:
                self.error = "corrupted frame (unknown frame flags)"
                return W_BAD, pos
            if flags & 1:
                d = _zlib.decompressobj()
                try:
                    body_obj = d.decompress(memoryview(data)[p + 5:frame_end], self.max_body)
                except _zlib.error as e:
                    self.error = f"corrupted frame ({e})"
                    return W_BAD, pos
                if d.unconsumed_tail:
                    self.error = f"corrupted frame (body decompresses to more than {self.max_body} bytes)"
                    return W_BAD, pos
                if not d.eof:
                    self.error = "corrupted frame (compressed body ends early)"
                    return W_BAD, pos
                body = <const unsigned char *>PyBytes_AS_STRING(body_obj)
                bp = 0
                body_end = len(body_obj)
            else:
                body_obj = data
                body = B
                bp = p + 5
                body_end = frame_end
            if flags & (2 | 4 | 8) and not self.has_last:
                self.error = "corrupted frame (first frame refers to a previous frame)"
                return W_BAD, pos
            if flags & 2:
                start = <u64>self.last_end
            else:
                bp = _pget_varint(body, bp, body_end, &start)
                if bp < 0:
                    self.error = "corrupted frame (frame ends inside a field)"
                    return W_BAD, pos
            if flags & 4:
                dur = self.last_dur
            else:
                bp = _pget_varint(body, bp, body_end, &v)
                if bp < 0:
                    self.error = "corrupted frame (frame ends inside a field)"
                    return W_BAD, pos
                dur = <long long>((v >> 1) ^ (<u64>0 - (v & 1)))
            if dur < 0 or start >= (<u64>1 << 63) or start + <u64>dur >= (<u64>1 << 63):
                self.error = ("corrupted frame (end_time before start_time)" if dur < 0
                              else "corrupted frame (time out of range)")
                return W_BAD, pos
            if flags & 8:
                sample = self.last_sample
                aggr = self.last_aggr
            else:
                bp = _pget_varint(body, bp, body_end, &sample)
                if bp >= 0:
                    bp = _pget_varint(body, bp, body_end, &aggr)
                if bp < 0:
                    self.error = "corrupted frame (frame ends inside a field)"
                    return W_BAD, pos
            bp = _pget_varint(body, bp, body_end, &v)
            if bp < 0 or v > <u64>self.ntargets:
                self.error = ("corrupted frame (frame ends inside a field)" if bp < 0 else
                              f"corrupted frame (frame names {v} targets, the header {self.ntargets})")
                return W_BAD, pos
            nt = <Py_ssize_t>v
            # remember the counts to undo a partly decoded frame
            for ti in range(self.ntargets):
                saved[ti] = -1
            for ti in range(nt):
                bp = _pget_varint(body, bp, body_end, &v)
                if bp < 0 or v >= <u64>self.ntargets or saved[v] != -1:
                    self._undo(saved)
                    self.error = "corrupted frame (bad target block)"
                    return W_BAD, pos
                idx = <Py_ssize_t>v
                saved[idx] = self.counts[idx]
                bp = _pget_varint(body, bp, body_end, &v)
                if bp < 0 or bp >= body_end:
                    self._undo(saved)
                    self.error = "corrupted frame (frame ends inside a field)"
                    return W_BAD, pos
                n = <Py_ssize_t>v if v < <u64>(1 << 40) else -1
                shift = body[bp]
                bp += 1
                bp = _pget_varint(body, bp, body_end, &v)
                if bp < 0 or shift > 63 or n < 0 or v > <u64>(body_end - bp) or <u64>n > v:
                    self._undo(saved)
                    self.error = "corrupted frame (bad target block)"
                    return W_BAD, pos
                nbytes = <Py_ssize_t>v
                S = self.starts[idx]; E = self.ends[idx]; N = self.nr[idx]; A = self.ages[idx]
                off = self.offsets[idx]
                k = self.counts[idx]
                out = off.data.as_longlongs[k]
                poff = off.data.as_longlongs[k - 1] if k else 0
                pn = out - poff
                _ensure(S, out + n); _ensure(E, out + n); _ensure(N, out + n); _ensure(A, out + n)
                if n:
                    r = _decode(body, bp, bp + nbytes, S.data.as_ulonglongs, E.data.as_ulonglongs,
                                N.data.as_uints, A.data.as_uints, out, n, poff, pn, shift)
                else:
                    r = bp
                if r != bp + nbytes:
                    self._undo(saved)
                    self.error = "corrupted frame (undecodable regions)"
                    return W_BAD, pos
                bp += nbytes
                _ensure(off, k + 2)
                off.data.as_longlongs[k + 1] = out + n
                _ensure(self.snap_start[idx], k + 1)
                _ensure(self.snap_end[idx], k + 1)
                (<array.array>self.snap_start[idx]).data.as_longlongs[k] = <long long>start
                (<array.array>self.snap_end[idx]).data.as_longlongs[k] = <long long>start + dur
                self.counts[idx] = k + 1
            if flags & 0x10:
                bp = _pget_varint(body, bp, body_end, &v)
                if bp < 0 or v > <u64>(body_end - bp):
                    self._undo(saved)
                    self.error = "corrupted frame (frame length does not match its content)"
                    return W_BAD, pos
                self.exts.append((self.frames_total, PyBytes_FromStringAndSize(
                    <const char *>body + bp, <Py_ssize_t>v)))
                bp += <Py_ssize_t>v
            if bp != body_end:
                self._undo(saved)
                if flags & 0x10:
                    self.exts.pop()
                self.error = "corrupted frame (frame length does not match its content)"
                return W_BAD, pos
            self.last_end = <long long>start + dur
            self.last_dur = dur
            self.last_sample = sample
            self.last_aggr = aggr
            self.has_last = 1
            self.frame_sample.append(sample)
            self.frame_aggr.append(aggr)
            self.nframes += 1
            self.frames_total += 1
            done += 1
            pos = frame_end
        return W_OK, pos

    cdef void _undo(self, long long *saved):
        cdef Py_ssize_t ti
        for ti in range(self.ntargets):
            if saved[ti] >= 0:
                self.counts[ti] = saved[ti]

    def trimmed(self):
        """Per target ``(snap_start, snap_end, offsets)`` cut to the decoded snapshots
        (the arrays grow in steps); region arrays are cut to the last offset."""
        cdef Py_ssize_t i, k
        for i in range(self.ntargets):
            k = self.counts[i]
            del self.snap_start[i][k:]
            del self.snap_end[i][k:]
            del self.offsets[i][k + 1:]
            n = self.offsets[i][k]
            for arr in (self.starts[i], self.ends[i], self.nr[i], self.ages[i]):
                del arr[n:]
