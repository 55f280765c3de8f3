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

ctypedef unsigned long long u64
ctypedef unsigned int u32


cdef inline Py_ssize_t _put_varint(unsigned char[::1] out, Py_ssize_t pos, u64 v) noexcept nogil:
    while v >= 0x80:
        out[pos] = <unsigned char>((v & 0x7F) | 0x80)
        v >>= 7
        pos += 1
    out[pos] = <unsigned char>v
    return pos + 1


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


cdef inline Py_ssize_t _get_varint(const unsigned char[::1] buf, Py_ssize_t pos, Py_ssize_t end,
                                   u64 *v) noexcept nogil:
    cdef u64 r = 0
    cdef int sh = 0
    cdef unsigned char b
    while True:
        if pos >= end or sh > 63:
            return -1
        b = buf[pos]
        pos += 1
        r |= (<u64>(b & 0x7F)) << sh
        if b < 0x80:
            v[0] = r
            return pos
        sh += 7


cdef inline Py_ssize_t _pget_varint(const unsigned char *buf, Py_ssize_t pos,
                                    Py_ssize_t end, u64 *v) noexcept nogil:
    cdef u64 r
    cdef int sh
    cdef unsigned char b
    if pos < end and buf[pos] < 0x80:
        v[0] = buf[pos]
        return pos + 1
    r = 0
    sh = 0
    while True:
        if pos >= end or sh > 63:
            return -1
        b = buf[pos]
        pos += 1
        r |= (<u64>(b & 0x7F)) << sh
        if b < 0x80:
            v[0] = r
            return pos
        sh += 7


def read_varint(const unsigned char[::1] buf, Py_ssize_t pos, Py_ssize_t end):
    """``(value, new_pos)``; ``new_pos`` is -1 when the buffer ends inside the varint."""
    cdef u64 v = 0
    cdef Py_ssize_t p = _get_varint(buf, pos, end, &v)
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
