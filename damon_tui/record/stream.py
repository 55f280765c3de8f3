"""Streaming reader of damon-tui records: the frames decoded a chunk at a time, so a
day-long record is reported in bounded memory.

``RecordStream(path)`` reads the header; ``chunks()`` yields ``Chunk``s of up to
``frames_per_chunk`` frames, each with one ``TargetData`` per header target holding only
those frames' snapshots (their region arrays start with the target's previous snapshot,
the delta-coding reference: use ``offsets``, not ``0``, as the first region).  Damage
ends the iteration with a warning in ``warnings``, as ``open_record`` does.  A thread
decodes the next chunk while the report reads the current one (``prefetch``).
"""

from __future__ import annotations

import os
import queue
import threading
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from damon_tui._fast.decode import FrameWalker
from damon_tui.errors import UserError
from damon_tui.record import read_regular_file
from damon_tui.record.model import Intervals, TargetData
from damon_tui.record.ours import (
    MAGIC,
    MAX_FRAME_BODY,
    HeaderDamage,
    _resync,
    header_intervals,
    read_header,
)

#: bytes read from the file at a time
BLOCK = 4 << 20
#: frames decoded per chunk at most
FRAMES_PER_CHUNK = 8192
#: regions decoded per chunk (about: a chunk ends at the first frame past it); the
#: walker's arrays keep their memory from chunk to chunk, ~24 bytes per region
REGIONS_PER_CHUNK = 1 << 19
#: a damaged header is resynchronised within this many bytes of the file's start
RESYNC_WINDOW = 64 << 20


@dataclass
class Chunk:
    first_frame: int
    targets: list[TargetData]
    frame_sample: array  # array('Q') per frame of the chunk
    frame_aggr: array
    extensions: list[tuple[int, bytes]]

    @property
    def nr_frames(self) -> int:
        return len(self.frame_sample)


def is_ours(path: str) -> bool:
    """True when ``path`` is a regular file starting with our magic."""
    if not os.path.isfile(path):  # never open a FIFO or a device here
        return False
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


class RecordStream:
    """A damon-tui record read frame chunk by frame chunk."""

    format = "damon-tui"

    def __init__(self, path: str | os.PathLike, frames_per_chunk: int | None = None,
                 prefetch: bool = True):
        self.path = os.fspath(path)
        # read at run time: tests shrink FRAMES_PER_CHUNK to cut records mid-way
        self.frames_per_chunk = frames_per_chunk or FRAMES_PER_CHUNK
        self.warnings: list[str] = []
        head = _read_head(self.path)
        try:
            self.header, self._pos = read_header(self.path, head)
        except HeaderDamage as e:
            self.header, self._pos = _resync(self.path, head, e)
            self.warnings.append(f"{e}; resynchronised on the frames after it (target "
                                 "ids, descriptions, ops and schemes were in the header "
                                 "and are lost)")
        self.intervals: Intervals | None = header_intervals(self.header)
        self.nr_frames = 0
        self.prefetch = prefetch

    @property
    def target_ids(self) -> list:
        return [t.get("target_id", i) if isinstance(t, dict) else i
                for i, t in enumerate(self.header["targets"])]

    def _target(self, i: int) -> TargetData:
        t = self.header["targets"][i]
        t = t if isinstance(t, dict) else {}
        return TargetData(t.get("target_id", i), str(t.get("description", "")),
                          self.intervals)

    def chunks(self) -> Iterator[Chunk]:
        """The record's frames, ``frames_per_chunk`` at a time (re-iterable).  A chunk
        is valid until the next one is asked for.  With ``prefetch`` a second thread
        decodes the next chunk meanwhile (into a second walker: the decoder and the
        report's kernels both run without the GIL, so on two cores a report goes at
        the slower of the two instead of their sum)."""
        nt = len(self.header["targets"])
        if not self.prefetch:
            for chunk, _ in self._decode(FrameWalker(nt, MAX_FRAME_BODY), _restarted):
                yield chunk
            return
        free: queue.SimpleQueue[FrameWalker | None] = queue.SimpleQueue()
        free.put(FrameWalker(nt, MAX_FRAME_BODY))
        out: queue.SimpleQueue[tuple[Chunk, FrameWalker] | BaseException | None] = \
            queue.SimpleQueue()

        def take(done: FrameWalker) -> FrameWalker:
            nxt = free.get()  # the walker whose chunk the reader has finished
            if nxt is None:
                raise _Stopped
            nxt.follow(done)
            return nxt

        def produce() -> None:
            try:
                w = FrameWalker(nt, MAX_FRAME_BODY)
                for chunk, walker in self._decode(w, take):
                    out.put((chunk, walker))
                out.put(None)
            except _Stopped:
                pass
            except BaseException as e:  # noqa: BLE001 - handed to the reader, raised there
                out.put(e)

        decoder = threading.Thread(target=produce, name="record-decoder", daemon=True)
        decoder.start()
        try:
            while True:
                item = out.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                chunk, walker = item
                yield chunk
                free.put(walker)  # asked for the next chunk: done with this one
        finally:
            free.put(None)
            decoder.join()

    def _decode(self, w: FrameWalker, turn: Callable[[FrameWalker], FrameWalker]
                        ) -> Iterator[tuple[Chunk, FrameWalker]]:
        """Chunks decoded by ``w``, each with the walker holding it; ``turn(w)`` gives
        the walker of the next chunk, going on from ``w``."""
        warned = set(self.warnings)
        try:
            f: BinaryIO = open(self.path, "rb")  # noqa: SIM115
        except OSError as e:
            raise UserError(f"{self.path}: cannot read: {e.strerror}") from None
        with f:
            f.seek(self._pos)
            buf = b""
            pos = 0
            base = self._pos  # file offset of buf[0]
            eof = False
            while True:
                status, pos = w.walk(buf, pos, len(buf), self._step(w))
                if status == 1 and not eof:
                    more = f.read(BLOCK)
                    if not more:
                        eof = True
                    base += pos
                    buf = buf[pos:] + more
                    pos = 0
                    if not eof:
                        continue
                    # eof: one more walk decides between a complete and a cut frame
                    status, pos = w.walk(buf, pos, len(buf), self._step(w))
                error = w.error  # the damage that stopped this walker (status 2)
                if w.nframes and (status != 0 or self._full(w)):
                    yield self._chunk(w), w
                    w = turn(w)
                if status == 0:
                    continue
                if status == 1:
                    if pos < len(buf):
                        self._warn(f"truncated frame at byte {base + pos}", w, warned)
                    break
                self._warn(f"{error} at byte {base + pos}", w, warned)
                break
        self.nr_frames = w.frames_total

    @staticmethod
    def _held(w: FrameWalker) -> int:
        """Regions decoded into the chunk so far."""
        return sum(off[k] - off[0] for off, k in zip(w.offsets, w.counts, strict=True))

    def _full(self, w: FrameWalker) -> bool:
        return w.nframes >= self.frames_per_chunk or self._held(w) >= REGIONS_PER_CHUNK

    def _step(self, w: FrameWalker) -> int:
        """Frames to decode next: what the chunk may still take by its frame budget,
        and half of what it may take by its region budget at the regions per frame
        seen so far (halving, the chunk ends at most one frame past it)."""
        left = self.frames_per_chunk - w.nframes
        if not w.nframes:
            return min(left, 16)
        held = self._held(w)
        per = max(1, held // w.nframes)
        return max(1, min(left, (REGIONS_PER_CHUNK - held) // per // 2))

    def _warn(self, damage: str, w: FrameWalker, warned: set) -> None:
        good = w.frames_total
        msg = (f"{self.path}: {damage}; recovered {good} snapshot"
               f"{'s' if good != 1 else ''} before it")
        if msg not in warned:
            warned.add(msg)
            self.warnings.append(msg)

    def _chunk(self, w: FrameWalker) -> Chunk:
        w.trimmed()
        targets = []
        for i in range(len(self.header["targets"])):
            td = self._target(i)
            td.starts, td.ends = w.starts[i], w.ends[i]
            td.nr_accesses, td.ages = w.nr[i], w.ages[i]
            td.offsets = w.offsets[i]
            td.snap_start, td.snap_end = w.snap_start[i], w.snap_end[i]
            targets.append(td)
        first = w.frames_total - w.nframes
        return Chunk(first, targets, w.frame_sample, w.frame_aggr, list(w.exts))


class _Stopped(Exception):
    """The reader stopped asking for chunks: the decoder thread ends."""


def _restarted(w: FrameWalker) -> FrameWalker:
    """One walker for every chunk: the next chunk reuses its memory."""
    w.restart()
    return w


def _read_head(path: str) -> bytes:
    """The file's first bytes (enough for the header, or a resync window)."""
    read_regular_file_check(path)
    with open(path, "rb") as f:
        return f.read(RESYNC_WINDOW)


def read_regular_file_check(path: str) -> None:
    """Refuse what ``read_regular_file`` refuses, without reading the file."""
    if not os.path.isfile(path):
        read_regular_file(path)  # raises the right one-line error
