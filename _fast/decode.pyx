# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Region coding of damon-tui record frames (encode in the writer, decode in the reader).

One target's regions in one frame are coded against the same target's regions in the
previous frame (its *reference*).  Per region, one tag byte::

    bit 0     start == end of the previous region of this frame (no gap field)
    bit 1     end == end of the reference region (no size field)
    bits 2-3  age: 0 = ref age + 1, 1 = 0, 2 = explicit varint, 3 = ref age
    bits 4-7  nr_accesses: 0..13 inline, 14 = ref nr_accesses, 15 = explicit varint

then, when not implied: the gap (zigzag varint, in units of 2**shift; the first region's
gap is relative to the reference snapshot's first start), the size (varint, units of
2**shift), the age and the nr_accesses (varints).  The reference region of a region is
the region of the previous snapshot that contains its start (a forward-only walk), so
the decoder finds it exactly as the encoder did.  All arithmetic wraps modulo 2**64,
so any input round-trips; the decoder never reads past its buffer (returns -1).
"""

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
    cdef Py_ssize_t i, j = poff, pend = poff + pn
    cdef u64 s, e, prev_end, base, ref_end
    cdef u32 ref_age, ref_nr, a, nr
    cdef int has_ref, tag, amode, nmode
    cdef int64_t gap
    cdef Py_ssize_t tag_pos
    with nogil:
        prev_end = 0
        for i in range(off, off + n):
            s = starts[i]
            e = ends[i]
            a = ages[i]
            nr = nr_acc[i]
            while j < pend and pends[j] <= s:
                j += 1
            has_ref = j < pend and pstarts[j] <= s
            if has_ref:
                ref_end = pends[j]
                ref_age = pages[j]
                ref_nr = pnr[j]
            else:
                ref_end = 0
                ref_age = 0xFFFFFFFF
                ref_nr = 0
            tag = 0
            if i == off:
                base = pstarts[poff] if pn > 0 else 0
                gap = <int64_t>((s >> shift) - (base >> shift))
            else:
                gap = <int64_t>((s >> shift) - (prev_end >> shift))
                if gap == 0:
                    tag |= 1
            if has_ref and e == ref_end:
                tag |= 2
            if has_ref and a == ref_age + 1:
                amode = 0
            elif a == 0:
                amode = 1
            elif has_ref and a == ref_age:
                amode = 3
            else:
                amode = 2
            tag |= amode << 2
            if nr <= 13:
                nmode = nr
            elif has_ref and nr == ref_nr:
                nmode = 14
            else:
                nmode = 15
            tag |= nmode << 4
            tag_pos = pos
            out[pos] = <unsigned char>tag
            pos += 1
            if not (tag & 1):
                pos = _put_varint(out, pos, <u64>((gap << 1) ^ (gap >> 63)))
            if not (tag & 2):
                pos = _put_varint(out, pos, (e - s) >> shift)
            if amode == 2:
                pos = _put_varint(out, pos, a)
            if nmode == 15:
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


def read_varint(const unsigned char[::1] buf, Py_ssize_t pos, Py_ssize_t end):
    """``(value, new_pos)``; ``new_pos`` is -1 when the buffer ends inside the varint."""
    cdef u64 v = 0
    cdef Py_ssize_t p = _get_varint(buf, pos, end, &v)
    return v, p


def decode_target(
    const unsigned char[::1] buf, Py_ssize_t pos, Py_ssize_t end,
    u64[::1] starts, u64[::1] ends, u32[::1] nr_acc, u32[::1] ages,
    Py_ssize_t off, Py_ssize_t n, Py_ssize_t poff, Py_ssize_t pn, int shift,
):
    """Decode ``n`` regions from ``buf[pos:end]`` into ``[off, off+n)`` of the arrays.

    The reference snapshot is ``[poff, poff+pn)`` of the same arrays.  Returns the
    position after the regions, or -1 if the data is malformed (never reads past end).
    """
    if shift < 0 or shift > 63 or n < 0 or off < 0 or poff < 0 or pn < 0:
        return -1
    if off + n > starts.shape[0] or off + n > ends.shape[0] or off + n > nr_acc.shape[0] \
            or off + n > ages.shape[0] or poff + pn > off or end > buf.shape[0]:
        return -1
    with nogil:
        pos = _decode(buf, pos, end, starts, ends, nr_acc, ages, off, n, poff, pn, shift)
    return pos


cdef Py_ssize_t _decode(
    const unsigned char[::1] buf, Py_ssize_t pos, Py_ssize_t end,
    u64[::1] starts, u64[::1] ends, u32[::1] nr_acc, u32[::1] ages,
    Py_ssize_t off, Py_ssize_t n, Py_ssize_t poff, Py_ssize_t pn, int shift,
) noexcept nogil:
    cdef Py_ssize_t i, j = poff, pend = poff + pn
    cdef u64 s, e, prev_end = 0, base, ref_end, v
    cdef u32 ref_age, ref_nr
    cdef int has_ref, tag, amode, nmode
    for i in range(off, off + n):
        if pos >= end:
            return -1
        tag = buf[pos]
        pos += 1
        if tag & 1:
            s = prev_end
        else:
            pos = _get_varint(buf, pos, end, &v)
            if pos < 0:
                return -1
            v = (v >> 1) ^ (<u64>0 - (v & 1))
            if i == off:
                base = starts[poff] if pn > 0 else 0
                s = ((base >> shift) + v) << shift
            else:
                s = ((prev_end >> shift) + v) << shift
        while j < pend and ends[j] <= s:
            j += 1
        has_ref = j < pend and starts[j] <= s
        if has_ref:
            ref_end = ends[j]
            ref_age = ages[j]
            ref_nr = nr_acc[j]
        else:
            ref_end = 0
            ref_age = 0xFFFFFFFF
            ref_nr = 0
        if tag & 2:
            if not has_ref:
                return -1
            e = ref_end
        else:
            pos = _get_varint(buf, pos, end, &v)
            if pos < 0:
                return -1
            e = s + (v << shift)
        amode = (tag >> 2) & 3
        if amode == 0:
            if not has_ref:
                return -1
            ages[i] = ref_age + 1
        elif amode == 1:
            ages[i] = 0
        elif amode == 3:
            if not has_ref:
                return -1
            ages[i] = ref_age
        else:
            pos = _get_varint(buf, pos, end, &v)
            if pos < 0 or v > <u64>0xFFFFFFFFU:
                return -1
            ages[i] = <u32>v
        nmode = tag >> 4
        if nmode <= 13:
            nr_acc[i] = nmode
        elif nmode == 14:
            if not has_ref:
                return -1
            nr_acc[i] = ref_nr
        else:
            pos = _get_varint(buf, pos, end, &v)
            if pos < 0 or v > <u64>0xFFFFFFFFU:
                return -1
            nr_acc[i] = <u32>v
        starts[i] = s
        ends[i] = e
        prev_end = e
    return pos
