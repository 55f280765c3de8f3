# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""damo's json records scanned without a Python object per region.

The scanner reads the common shape of damo's records (``damo record``'s json and the
text of its json_compressed).  Anything it does not expect (units in numbers,
percent-only accesses, ages in usec, bad structure) makes it return None; the caller
then falls back to ``json.loads`` and its exact error messages.
"""

from cpython cimport array
from cpython.bytes cimport PyBytes_AS_STRING
from libc.stdlib cimport free, realloc
from libc.string cimport memcmp, memcpy

ctypedef unsigned long long u64
ctypedef unsigned int u32


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
    """The buffer's items as an array; the buffer's memory goes (cut to its items
    first: the copy then needs twice the items, not their capacity plus them)."""
    cdef char *d
    if b.n and b.cap > b.n:
        d = <char *>realloc(b.d, b.n * b.item)
        if d != NULL:
            b.d = d
            b.cap = b.n
    cdef array.array a = array.clone(array.array(code), b.n, False)
    if b.n:
        memcpy(a.data.as_voidptr, b.d, b.n * b.item)
    free(b.d)
    b.d = NULL
    b.n = b.cap = 0
    return a



# The fast path of a region: damo's member order and keys as written (any whitespace),
# parsed with local cursors; anything else (or the piece's end) sends the region to the
# generic path, which decides.

cdef inline Py_ssize_t _ws(const unsigned char *p, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    cdef unsigned char c
    while i < n:
        c = p[i]
        # JSON's whitespace is below 33: one test for the usual token
        if c > 32 or not (c == 32 or c == 10 or c == 13 or c == 9):
            break
        i += 1
    return i


cdef inline Py_ssize_t _lit(const unsigned char *p, Py_ssize_t i, Py_ssize_t n,
                            const char *s, Py_ssize_t ln) noexcept nogil:
    """Whitespace, then the bytes ``s``: the index after them, or -1."""
    if i < 0:
        return -1
    i = _ws(p, i, n)
    if i + ln > n or memcmp(p + i, s, ln) != 0:
        return -1
    return i + ln


cdef inline Py_ssize_t _key(const unsigned char *p, Py_ssize_t i, Py_ssize_t n,
                            const char *s, Py_ssize_t ln) noexcept nogil:
    """Whitespace, the quoted key ``s`` (quotes included), whitespace, ``:``."""
    i = _lit(p, i, n, s, ln)
    if i < 0:
        return -1
    i = _ws(p, i, n)
    if i >= n or p[i] != 58:
        return -1
    return i + 1


cdef inline Py_ssize_t _num(const unsigned char *p, Py_ssize_t i, Py_ssize_t n,
                            u64 *out) noexcept nogil:
    """Whitespace, then a JSON integer or a quoted "1,234" (at most 19 digits, so no
    overflow check per digit) followed by a delimiter within the piece; or -1."""
    cdef int quoted = 0, digits = 0
    cdef u64 v = 0
    cdef unsigned char c
    cdef Py_ssize_t start
    if i < 0:
        return -1
    i = _ws(p, i, n)
    start = i
    if i < n and p[i] == 34:
        quoted = 1
        i += 1
        while i < n:
            c = p[i]
            if <unsigned char>(c - 48) < 10:
                v = v * 10 + <u64>(c - 48)
                digits += 1
            elif c != 44:
                break
            i += 1
    else:
        while i < n:
            c = p[i]
            if <unsigned char>(c - 48) >= 10:
                break
            v = v * 10 + <u64>(c - 48)
            i += 1
        digits = <int>(i - start) if i > start else 0
    if i >= n or digits == 0 or digits > 19:
        return -1
    if quoted:
        if p[i] != 34:
            return -1
        i += 1
    elif p[i] == 46 or p[i] == 101 or p[i] == 69:
        return -1
    out[0] = v
    return i


cdef inline Py_ssize_t _null(const unsigned char *p, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    return _lit(p, i, n, b"null", 4)


DEF F_NULL = 1

# where the scanner is in the document (its place between pieces)
DEF S_TOP = 0         # expect the list's '['
DEF S_FIRST = 1       # after '[': ']' or a record
DEF S_REC = 2         # a record's '{'
DEF S_MEMBER = 3      # a record's member (its key, then its value)
DEF S_MEMBER_NEXT = 4 # after a member: ',' or '}'
DEF S_NEXT = 5        # after a record: ',' or ']'
DEF S_END = 6         # after the list: only whitespace
DEF S_SNAP_FIRST = 7  # after "snapshots": [ : ']' or a snapshot
DEF S_SNAP = 8        # a snapshot
DEF S_SNAP_NEXT = 9   # after a snapshot: ',' or ']'
DEF S_DONE = 10
DEF S_FAILED = 11


cdef class DamoScan:
    """damo's json fed piece by piece (``feed``): the scanner keeps its place between
    pieces (at the last complete snapshot, record member or record) and holds only the
    text after it, so a decompressing reader keeps a bounded window of the document."""
    cdef const unsigned char *p
    cdef Py_ssize_t i, n
    cdef Buf starts, ends, nr, ages, sstart, send, offs
    cdef bytes data      # the text from the last safe place on
    cdef int hit         # the step ran into the end of ``data``
    cdef int final       # ``data`` ends the document
    cdef int state, r_seen
    cdef Py_ssize_t safe_i
    cdef Py_ssize_t safe_n[3]
    cdef object r_tid, r_iv
    cdef list out

    def __cinit__(self):
        self.data = b""
        self.out = []
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

    cdef void _reset(self) noexcept nogil:
        self.starts.n = self.ends.n = self.nr.n = self.ages.n = 0
        self.sstart.n = self.send.n = self.offs.n = 0

    cdef inline int ws(self) noexcept nogil:
        cdef unsigned char c
        while self.i < self.n:
            c = self.p[self.i]
            if c == 32 or c == 10 or c == 13 or c == 9:
                self.i += 1
            else:
                return c
        self.hit = 1
        return -1

    cdef inline int eat(self, int c) noexcept nogil:
        if self.ws() != c:
            return -1
        self.i += 1
        return 0

    cdef int skip_string(self) noexcept nogil:
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
        self.hit = 1
        return -1

    cdef int skip_value(self, int depth) noexcept nogil:
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
        self.hit = 1
        return -1

    cdef int key(self, char *out, int cap) noexcept nogil:
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
        self.hit = 1
        return -1

    cdef int uint(self, u64 *out, int *flags) noexcept nogil:
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
            if self.i + 4 > self.n:
                self.hit = 1
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
        if self.i >= self.n:
            # the number may go on in the next piece
            self.hit = 1
            if not self.final:
                return -1
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

    cdef int obj_start(self) noexcept nogil:
        if self.eat(123) < 0:
            return -1
        if self.ws() == 125:
            self.i += 1
            return 1  # empty
        return 0

    cdef int obj_next(self) noexcept nogil:
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
                       const char *alt, int alt_len, int *alt_used) noexcept nogil:
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

    cdef int region_fast(self) noexcept nogil:
        """One region as damo writes it: 0; 1 when it is not (nothing consumed: the
        generic ``region`` then reads it); -1 out of memory."""
        cdef const unsigned char *p = self.p
        cdef Py_ssize_t n = self.n
        cdef Py_ssize_t i = self.i
        cdef u64 s = 0, e = 0, nr = 0, age = 0, passed = 0
        i = _lit(p, i, n, b"{", 1)
        i = _num(p, _key(p, i, n, b'"start"', 7), n, &s)
        i = _lit(p, i, n, b",", 1)
        i = _num(p, _key(p, i, n, b'"end"', 5), n, &e)
        i = _lit(p, i, n, b",", 1)
        i = _lit(p, _key(p, i, n, b'"nr_accesses"', 13), n, b"{", 1)
        i = _num(p, _key(p, i, n, b'"samples"', 9), n, &nr)
        i = _lit(p, i, n, b",", 1)
        i = _null(p, _key(p, i, n, b'"percent"', 9), n)
        i = _lit(p, i, n, b"}", 1)
        i = _lit(p, i, n, b",", 1)
        i = _lit(p, _key(p, i, n, b'"age"', 5), n, b"{", 1)
        i = _null(p, _key(p, i, n, b'"usec"', 6), n)
        i = _lit(p, i, n, b",", 1)
        i = _key(p, i, n, b'"aggr_intervals"', 16)
        if i < 0:
            return 1
        i = _ws(p, i, n)
        if i < n and p[i] == 110:
            i = _null(p, i, n)
        else:
            i = _num(p, i, n, &age)
        i = _lit(p, i, n, b"}", 1)
        if i < 0:
            return 1
        i = _ws(p, i, n)
        if i < n and p[i] == 44:  # damo 3.4.3's two more members
            i = _lit(p, _key(p, i + 1, n, b'"probe_hits"', 12), n, b"[", 1)
            i = _lit(p, i, n, b"]", 1)
            i = _lit(p, i, n, b",", 1)
            i = _num(p, _key(p, i, n, b'"sz_filter_passed"', 18), n, &passed)
        i = _lit(p, i, n, b"}", 1)
        if i < 0 or e < s or nr > 0xFFFFFFFFU or age > 0xFFFFFFFFU:
            return 1
        if _push64(&self.starts, s) < 0 or _push64(&self.ends, e) < 0 \
                or _push32(&self.nr, <u32>nr) < 0 or _push32(&self.ages, <u32>age) < 0:
            return -1
        self.i = i
        return 0

    cdef int region(self) noexcept nogil:
        cdef char k[24]
        cdef int kl, r, fl, seen = 0, samples_null = 1, age_null = 1, pct = 0, usec = 0
        cdef u64 s = 0, e = 0, nr = 0, age = 0
        r = self.region_fast()
        if r <= 0:
            return r
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

    cdef int snapshot(self) noexcept nogil:
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

    cdef int snapshots(self) noexcept nogil:
        """The steps inside a ``snapshots`` list, without the GIL (one step is one
        snapshot or one separator): 0 when it leaves the list, -1 on failure."""
        cdef int c
        while True:
            self.save()
            if self.state == S_SNAP_FIRST:
                if self.ws() == 93:
                    self.i += 1
                    self.state = S_MEMBER_NEXT
                    return 0
                if self.hit:
                    return -1
                self.state = S_SNAP
            elif self.state == S_SNAP:
                if self.snapshot() < 0:
                    return -1
                self.state = S_SNAP_NEXT
            else:
                c = self.ws()
                if c == 44:
                    self.i += 1
                    self.state = S_SNAP
                elif c == 93:
                    self.i += 1
                    self.state = S_MEMBER_NEXT
                    return 0
                else:
                    return -1

    cdef void save(self) noexcept nogil:
        """Mark a safe place: a failure that ran into the end goes back here."""
        self.safe_i = self.i
        self.safe_n[0] = self.starts.n
        self.safe_n[1] = self.sstart.n
        self.safe_n[2] = self.offs.n
        self.hit = 0

    cdef void back(self) noexcept nogil:
        self.i = self.safe_i
        self.starts.n = self.ends.n = self.nr.n = self.ages.n = self.safe_n[0]
        self.sstart.n = self.send.n = self.safe_n[1]
        self.offs.n = self.safe_n[2]

    cdef int step(self):
        """One step of the document outside the snapshots lists: 0, or -1."""
        cdef char k[24]
        cdef int kl, r, fl, c
        cdef u64 tid = 0
        st = self.state
        if st == S_TOP:
            if self.eat(91) < 0:
                return -1
            self.state = S_FIRST
        elif st == S_FIRST:
            if self.ws() == 93:
                self.i += 1
                self.state = S_END
            elif self.hit:
                return -1
            else:
                self.state = S_REC
        elif st == S_REC:
            if self.obj_start() != 0:
                return -1
            self._reset()
            if _push64(&self.offs, 0) < 0:
                return -1
            self.r_seen = 0
            self.r_tid = None
            self.r_iv = None
            self.state = S_MEMBER
        elif st == S_MEMBER:
            kl = self.key(k, 24)
            if kl < 0:
                return -1
            if kl == 9 and memcmp(k, b"target_id", 9) == 0:
                if self.uint(&tid, &fl) < 0:
                    return -1
                self.r_tid = None if fl else tid
                self.r_seen |= 1
                self.state = S_MEMBER_NEXT
            elif kl == 9 and memcmp(k, b"intervals", 9) == 0:
                iv = self.intervals()
                if iv is False:
                    return -1
                self.r_iv = iv
                self.state = S_MEMBER_NEXT
            elif kl == 9 and memcmp(k, b"snapshots", 9) == 0:
                if self.eat(91) < 0:
                    return -1
                self.r_seen |= 2
                self.state = S_SNAP_FIRST
            elif self.skip_value(0) < 0:
                return -1
            else:
                self.state = S_MEMBER_NEXT
        elif st == S_MEMBER_NEXT:
            r = self.obj_next()
            if r < 0:
                return -1
            if r == 0:
                self.state = S_MEMBER
            else:
                if self.r_seen != 3:
                    return -1
                self.out.append((
                    self.r_tid, self.r_iv, _to_array(&self.sstart, "q"),
                    _to_array(&self.send, "q"), _to_array(&self.offs, "q"),
                    _to_array(&self.starts, "Q"), _to_array(&self.ends, "Q"),
                    _to_array(&self.nr, "I"), _to_array(&self.ages, "I")))
                self.state = S_NEXT
        elif st == S_NEXT:
            c = self.ws()
            if c == 44:
                self.i += 1
                self.state = S_REC
            elif c == 93:
                self.i += 1
                self.state = S_END
            else:
                return -1
        else:  # S_END: only whitespace may follow
            if self.ws() != -1:
                return -1
            if not self.final:
                return -1  # hit: the next piece may hold more
            self.state = S_DONE
        return 0

    def feed(self, bytes piece, bint final=False):
        """Scan the next piece of the document (``final``: it is the last).  True: give
        more; a list: the document's records (after the final piece); None: not of the
        common shape (use the generic parser)."""
        cdef int r
        if self.state == S_FAILED:
            return None
        self.data = self.data[self.i:] + piece if self.i < len(self.data) else piece
        self.p = <const unsigned char *>PyBytes_AS_STRING(self.data)
        self.n = len(self.data)
        self.i = 0
        self.final = final
        while self.state != S_DONE:
            if S_SNAP_FIRST <= self.state <= S_SNAP_NEXT:
                with nogil:
                    r = self.snapshots()
            else:
                self.save()
                r = self.step()
            if r < 0:
                if self.hit and not final:
                    self.back()
                    return True
                self.state = S_FAILED
                self.data = b""
                return None
        if not final:
            return True
        out, self.out = self.out, []
        return out




def scan_damo_json(bytes data):
    """Per damo record ``(target_id, (sample_us, aggr_us, update_us) | None, snap_start,
    snap_end, offsets, starts, ends, nr_accesses, ages)``, or None when the document is
    not of the common shape (the caller then parses it generically)."""
    return DamoScan().feed(data, True)
