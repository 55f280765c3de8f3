# cython: language_level=3
"""splitmix64 helpers shared by the simulators (``sim.pyx``, ``recorded.pyx``) and the
engine's PRNG seeding (``regions.pyx``).  Inline only: no module."""

from libc.stdint cimport uint64_t


cdef inline uint64_t mix64(uint64_t z) noexcept nogil:
    """splitmix64's output function (a bijective 64-bit mix)."""
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline uint64_t splitmix64(uint64_t *state) noexcept nogil:
    """The next splitmix64 value: the state moves by the golden gamma, then is mixed."""
    state[0] += <uint64_t>0x9E3779B97F4A7C15ULL
    return mix64(state[0])


cdef inline double page_unit(uint64_t seed, uint64_t page, uint64_t k) noexcept nogil:
    """A uniform double in [0, 1) hashed from (seed, page, k): the simulators' per-page
    draw, the same for the same inputs in any order."""
    cdef uint64_t h = mix64(seed ^ (page * <uint64_t>0x9E3779B97F4A7C15ULL)
                            ^ (k * <uint64_t>0xC2B2AE3D27D4EB4FULL))
    return <double>(h >> 11) * (1.0 / 9007199254740992.0)
