from array import array

def address_shift(starts: array, ends: array, off: int, n: int) -> int: ...
def encode_target(
    out: bytearray, pos: int,
    starts: array, ends: array, nr_acc: array, ages: array, off: int, n: int,
    pstarts: array, pends: array, pnr: array, pages: array, poff: int, pn: int,
    shift: int,
) -> int: ...
def read_varint(buf: bytes | bytearray | memoryview, pos: int, end: int) -> tuple[int, int]: ...
def decode_target(
    buf: bytes, pos: int, end: int,
    starts: array, ends: array, nr_acc: array, ages: array,
    off: int, n: int, poff: int, pn: int, shift: int,
) -> int: ...
class FrameWalker:
    starts: list[array]
    ends: list[array]
    nr: list[array]
    ages: list[array]
    offsets: list[array]
    snap_start: list[array]
    snap_end: list[array]
    counts: array
    frame_sample: array
    frame_aggr: array
    exts: list[tuple[int, bytes]]
    error: str | None
    nframes: int
    frames_total: int
    ntargets: int
    max_body: int
    def __init__(self, ntargets: int, max_body: int) -> None: ...
    def restart(self) -> None: ...
    def follow(self, other: FrameWalker) -> None: ...
    def walk(self, data: bytes, pos: int, end: int, max_frames: int) -> tuple[int, int]: ...
    def trimmed(self) -> None: ...
