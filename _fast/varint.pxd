# cython: language_level=3
"""Varints of damon-tui records (LEB128: 7 bits a byte, low first), shared by the frame
codec (``decode.pyx``) and the streaming report kernels.  Inline only: no module."""

ctypedef unsigned long long u64
ctypedef unsigned int u32


cdef inline Py_ssize_t _put_varint(unsigned char[::1] out, Py_ssize_t pos, u64 v) noexcept nogil:
    while v >= 0x80:
        out[pos] = <unsigned char>((v & 0x7F) | 0x80)
        v >>= 7
        pos += 1
    out[pos] = <unsigned char>v
    return pos + 1


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
