from array import array

def format_lines(
    tid: bytes, k0: int, first: int, last: int,
    snap_start: array, snap_end: array, offsets: array,
    starts: array, ends: array, nr_acc: array, ages: array,
) -> bytes: ...
def span(starts: array, ends: array, a: int, b: int) -> tuple[int, int]: ...
