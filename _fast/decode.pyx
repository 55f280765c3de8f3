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


# ---------------------------------------------------------------------------
# damo json: a scanner for the common shape of damo's records (no Python object per
# region).  Anything it does not expect (units in numbers, percent-only accesses, ages
# in usec, bad structure) makes it return None; the caller then falls back to json.loads
# and its exact error messages.
# ---------------------------------------------------------------------------

from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, memcmp


cdef struct Buf:
    char *d
    Py_ssize_t n      # items
    Py_ssize_t cap    # items
    Py_ssize_t item   # bytes per item


cdef int _grow(Buf *b) noexcept nogil:
    cdef Py_ssize_t cap = b.cap * 2 + 1024
    cdef char *d = <char *>realloc(b.d, cap * b.item)
    if d == NULL:
        return -1
    b.d = d
    b.cap = cap
    return 0


cdef inline int _push64(Buf *b, u64 v) noexcept nogil:
    if b.n == b.cap and _grow(b) < 0:
        return -1
    (<u64 *>b.d)[b.n] = v
    b.n += 1
    return 0


cdef inline int _push32(Buf *b, u32 v) noexcept nogil:
    if b.n == b.cap and _grow(b) < 0:
        return -1
    (<u32 *>b.d)[b.n] = v
    b.n += 1
    return 0


cdef array.array _to_array(Buf *b, str code):
    cdef array.array a = array.clone(array.array(code), b.n, False)
    if b.n:
        memcpy(a.data.as_voidptr, b.d, b.n * b.item)
    return a


DEF F_NULL = 1


cdef class _DamoScan:
    cdef const unsigned char *p
    cdef Py_ssize_t i, n
    cdef Buf starts, ends, nr, ages, sstart, send, offs

    def __cinit__(self):
        self.starts.item = self.ends.item = self.sstart.item = self.send.item = 8
        self.offs.item = 8
        self.nr.item = self.ages.item = 4

    def __dealloc__(self):
        free(self.starts.d)
        free(self.ends.d)
        free(self.nr.d)
        free(self.ages.d)
        free(self.sstart.d)
        free(self.send.d)
        free(self.offs.d)

    cdef void _reset(self) noexcept:
        self.starts.n = self.ends.n = self.nr.n = self.ages.n = 0
        self.sstart.n = self.send.n = self.offs.n = 0

    cdef inline int ws(self) noexcept:
        cdef unsigned char c
        while self.i < self.n:
            c = self.p[self.i]
            if c == 32 or c == 10 or c == 13 or c == 9:
                self.i += 1
            else:
                return c
        return -1

    cdef inline int eat(self, int c) noexcept:
        if self.ws() != c:
            return -1
        self.i += 1
        return 0

    cdef int skip_string(self) noexcept:
        # at '"'
        self.i += 1
        while self.i < self.n:
            if self.p[self.i] == 92:  # backslash
                self.i += 2
                continue
            if self.p[self.i] == 34:
                self.i += 1
                return 0
            self.i += 1
        return -1

    cdef int skip_value(self, int depth) noexcept:
        cdef int c = self.ws()
        if depth > 64 or c < 0:
            return -1
        if c == 34:
            return self.skip_string()
        if c == 123 or c == 91:  # { [
            self.i += 1
            if self.ws() == (125 if c == 123 else 93):
                self.i += 1
                return 0
            while True:
                if c == 123:
                    if self.ws() != 34 or self.skip_string() < 0 or self.eat(58) < 0:
                        return -1
                if self.skip_value(depth + 1) < 0:
                    return -1
                c2 = self.ws()
                if c2 == 44:
                    self.i += 1
                    continue
                if c2 == (125 if c == 123 else 93):
                    self.i += 1
                    return 0
                return -1
        # number or literal
        while self.i < self.n:
            c = self.p[self.i]
            if c == 44 or c == 125 or c == 93 or c == 32 or c == 10 or c == 13 or c == 9:
                return 0
            self.i += 1
        return -1

    cdef int key(self, char *out, int cap) noexcept:
        """Read ``"key":``; returns its length (keys longer than cap: cap + 1)."""
        cdef int k = 0
        cdef unsigned char c
        if self.ws() != 34:
            return -1
        self.i += 1
        while self.i < self.n:
            c = self.p[self.i]
            self.i += 1
            if c == 92:
                return -1
            if c == 34:
                if self.eat(58) < 0:
                    return -1
                return k if k <= cap else cap + 1
            if k < cap:
                out[k] = <char>c
            k += 1
        return -1

    cdef int uint(self, u64 *out, int *flags) noexcept:
        """A non-negative integer: JSON number, "1,234" string, or null (flag)."""
        cdef int c = self.ws()
        cdef int quoted = 0, digits = 0
        cdef u64 v = 0
        flags[0] = 0
        if c == 110:  # null
            if self.i + 4 <= self.n and memcmp(self.p + self.i, b"null", 4) == 0:
                self.i += 4
                flags[0] = F_NULL
                out[0] = 0
                return 0
            return -1
        if c == 34:
            quoted = 1
            self.i += 1
        while self.i < self.n:
            c = self.p[self.i]
            if 48 <= c <= 57:
                if v > (<u64>0xFFFFFFFFFFFFFFFFULL - <u64>(c - 48)) / 10:
                    return -1
                v = v * 10 + <u64>(c - 48)
                digits += 1
            elif c == 44 and quoted:
                pass
            else:
                break
            self.i += 1
        if digits == 0:
            return -1
        if quoted:
            if self.i >= self.n or self.p[self.i] != 34:
                return -1
            self.i += 1
        elif self.i < self.n and (self.p[self.i] == 46 or self.p[self.i] == 101
                                  or self.p[self.i] == 69):
            return -1  # a float
        out[0] = v
        return 0

    cdef int obj_start(self) noexcept:
        if self.eat(123) < 0:
            return -1
        if self.ws() == 125:
            self.i += 1
            return 1  # empty
        return 0

    cdef int obj_next(self) noexcept:
        """After a member: 0 = another member follows, 1 = object closed, -1 error."""
        cdef int c = self.ws()
        if c == 44:
            self.i += 1
            return 0
        if c == 125:
            self.i += 1
            return 1
        return -1

    cdef int count_obj(self, const char *name, int name_len, u64 *value, int *value_null,
                       const char *alt, int alt_len, int *alt_used) noexcept:
        """``{name: N|null, alt: null|anything, ...}``, as damo writes ``nr_accesses``
        (samples / percent) and ``age`` (aggr_intervals / usec).

        ``value_null`` stays 1 unless ``name`` holds a number; ``alt_used`` becomes 1 when
        ``alt`` holds something other than null (the record then needs the slow path).
        Other members are skipped.  Returns 0, or -1 on malformed input.
        """
        cdef char k[24]
        cdef int kl, fl
        cdef u64 tmp
        cdef int r = self.obj_start()
        if r < 0:
            return -1
        while r == 0:
            kl = self.key(k, 24)
            if kl == name_len and memcmp(k, name, name_len) == 0:
                if self.uint(value, &fl) < 0:
                    return -1
                value_null[0] = fl
            elif kl == alt_len and memcmp(k, alt, alt_len) == 0:
                if self.ws() == 110:
                    if self.uint(&tmp, &fl) < 0:
                        return -1
                else:
                    alt_used[0] = 1
                    if self.skip_value(0) < 0:
                        return -1
            elif kl < 0 or self.skip_value(0) < 0:
                return -1
            r = self.obj_next()
        return -1 if r < 0 else 0

    cdef int region(self) noexcept:
        cdef char k[24]
        cdef int kl, r, fl, seen = 0, samples_null = 1, age_null = 1, pct = 0, usec = 0
        cdef u64 s = 0, e = 0, nr = 0, age = 0
        r = self.obj_start()
        if r != 0:
            return -1
        while True:
            kl = self.key(k, 24)
            if kl < 0:
                return -1
            if kl == 5 and memcmp(k, b"start", 5) == 0:
                if self.uint(&s, &fl) < 0 or fl:
                    return -1
                seen |= 1
            elif kl == 3 and memcmp(k, b"end", 3) == 0:
                if self.uint(&e, &fl) < 0 or fl:
                    return -1
                seen |= 2
            elif kl == 11 and memcmp(k, b"nr_accesses", 11) == 0:
                seen |= 4
                if self.count_obj(b"samples", 7, &nr, &samples_null, b"percent", 7, &pct) < 0:
                    return -1
            elif kl == 3 and memcmp(k, b"age", 3) == 0:
                seen |= 8
                if self.count_obj(b"aggr_intervals", 14, &age, &age_null, b"usec", 4,
                                  &usec) < 0:
                    return -1
            elif self.skip_value(0) < 0:
                return -1
            r = self.obj_next()
            if r < 0:
                return -1
            if r == 1:
                break
        if seen != 15 or samples_null or e < s or nr > 0xFFFFFFFFU or age > 0xFFFFFFFFU:
            return -1
        if age_null and usec:
            return -1
        if _push64(&self.starts, s) < 0 or _push64(&self.ends, e) < 0 \
                or _push32(&self.nr, <u32>nr) < 0 or _push32(&self.ages, <u32>age) < 0:
            return -1
        return 0

    cdef int snapshot(self) noexcept:
        cdef char k[24]
        cdef int kl, r, fl, seen = 0
        cdef u64 st = 0, en = 0
        if self.obj_start() != 0:
            return -1
        while True:
            kl = self.key(k, 24)
            if kl < 0:
                return -1
            if kl == 10 and memcmp(k, b"start_time", 10) == 0:
                if self.uint(&st, &fl) < 0 or fl:
                    return -1
                seen |= 1
            elif kl == 8 and memcmp(k, b"end_time", 8) == 0:
                if self.uint(&en, &fl) < 0 or fl:
                    return -1
                seen |= 2
            elif kl == 7 and memcmp(k, b"regions", 7) == 0:
                seen |= 4
                if self.eat(91) < 0:
                    return -1
                if self.ws() == 93:
                    self.i += 1
                else:
                    while True:
                        if self.region() < 0:
                            return -1
                        r = self.ws()
                        if r == 44:
                            self.i += 1
                            continue
                        if r == 93:
                            self.i += 1
                            break
                        return -1
            elif self.skip_value(0) < 0:
                return -1
            r = self.obj_next()
            if r < 0:
                return -1
            if r == 1:
                break
        if seen != 7 or st > 0x7FFFFFFFFFFFFFFFULL or en > 0x7FFFFFFFFFFFFFFFULL:
            return -1
        if _push64(&self.sstart, st) < 0 or _push64(&self.send, en) < 0 \
                or _push64(&self.offs, <u64>self.starts.n) < 0:
            return -1
        return 0

    cdef object intervals(self):
        cdef char k[24]
        cdef int kl, r, fl, seen = 0
        cdef u64 v, sample = 0, aggr = 0, update = 0
        if self.ws() == 110:
            if self.uint(&v, &fl) < 0:
                return False
            return None
        r = self.obj_start()
        if r != 0:
            return False
        while True:
            kl = self.key(k, 24)
            if kl == 9 and memcmp(k, b"sample_us", 9) == 0:
                if self.uint(&sample, &fl) < 0 or fl:
                    return False
                seen |= 1
            elif kl == 7 and memcmp(k, b"aggr_us", 7) == 0:
                if self.uint(&aggr, &fl) < 0 or fl:
                    return False
                seen |= 2
            elif kl == 13 and memcmp(k, b"ops_update_us", 13) == 0:
                if self.uint(&update, &fl) < 0 or fl:
                    return False
                seen |= 4
            elif kl < 0 or self.skip_value(0) < 0:
                return False
            r = self.obj_next()
            if r < 0:
                return False
            if r == 1:
                break
        if seen != 7 or sample == 0 or aggr == 0:
            return False
        return (sample, aggr, update)

    cdef object record(self):
        cdef char k[24]
        cdef int kl, r, fl, seen = 0
        cdef u64 tid = 0
        tid_obj = None
        iv = None
        self._reset()
        if self.obj_start() != 0:
            return None
        if _push64(&self.offs, 0) < 0:
            return None
        while True:
            kl = self.key(k, 24)
            if kl < 0:
                return None
            if kl == 9 and memcmp(k, b"target_id", 9) == 0:
                if self.uint(&tid, &fl) < 0:
                    return None
                tid_obj = None if fl else tid
                seen |= 1
            elif kl == 9 and memcmp(k, b"intervals", 9) == 0:
                iv = self.intervals()
                if iv is False:
                    return None
            elif kl == 9 and memcmp(k, b"snapshots", 9) == 0:
                seen |= 2
                if self.eat(91) < 0:
                    return None
                if self.ws() == 93:
                    self.i += 1
                else:
                    while True:
                        if self.snapshot() < 0:
                            return None
                        r = self.ws()
                        if r == 44:
                            self.i += 1
                            continue
                        if r == 93:
                            self.i += 1
                            break
                        return None
            elif self.skip_value(0) < 0:
                return None
            r = self.obj_next()
            if r < 0:
                return None
            if r == 1:
                break
        if seen != 3:
            return None
        return (tid_obj, iv, _to_array(&self.sstart, "q"), _to_array(&self.send, "q"),
                _to_array(&self.offs, "q"), _to_array(&self.starts, "Q"),
                _to_array(&self.ends, "Q"), _to_array(&self.nr, "I"),
                _to_array(&self.ages, "I"))

    def scan(self, bytes data):
        self.p = <const unsigned char *>PyBytes_AS_STRING(data)
        self.n = len(data)
        self.i = 0
        out = []
        if self.eat(91) < 0:
            return None
        if self.ws() == 93:
            self.i += 1
        else:
            while True:
                rec = self.record()
                if rec is None:
                    return None
                out.append(rec)
                c = self.ws()
                if c == 44:
                    self.i += 1
                    continue
                if c == 93:
                    self.i += 1
                    break
                return None
        if self.ws() != -1:
            return None
        return out


def scan_damo_json(bytes data):
    """Per damo record ``(target_id, (sample_us, aggr_us, update_us) | None, snap_start,
    snap_end, offsets, starts, ends, nr_accesses, ages)``, or None when the document is
    not of the common shape (the caller then parses it generically)."""
    return _DamoScan().scan(data)


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
