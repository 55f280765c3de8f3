"""Records: our crash-safe format, damo's json / json_compressed and perf script text.

``open_record(path)`` reads any of them (detected by content, never by name) into
decoded arrays (``Record``); ``RecordWriter`` appends snapshots in our format;
``write_damo`` writes damo's json_compressed.
"""

from __future__ import annotations

import os
import stat

from damon_tui.errors import UserError
from damon_tui.record.damo import read_damo
from damon_tui.record.damo import write_damo as _write
from damon_tui.record.model import Intervals, Record, TargetData
from damon_tui.record.ours import MAGIC, RecordWriter, make_header, read_ours, write_record
from damon_tui.record.perf import read_perf_script

__all__ = [
    "FORMATS",
    "Intervals",
    "Record",
    "RecordWriter",
    "TargetData",
    "detect_format",
    "make_header",
    "open_record",
    "write_damo",
    "write_record",
]

#: formats ``open_record`` understands
FORMATS = ("damon-tui", "damo-json-compressed", "damo-json", "perf-script")


def detect_format(data: bytes) -> str | None:
    """The record format of ``data`` judged by content, or None."""
    if data.startswith(MAGIC) or (0 < len(data) < len(MAGIC) and MAGIC.startswith(data)):
        return "damon-tui"
    if len(data) >= 2 and data[0] & 0x0F == 8 and data[0] >> 4 <= 7 \
            and ((data[0] << 8) | data[1]) % 31 == 0:
        return "damo-json-compressed"
    head = data[:4096].lstrip()
    if head[:1] in (b"[", b"{"):
        return "damo-json"
    if b"damon_aggregated" in data[:1 << 20] or b"damos_before_apply" in data[:1 << 20]:
        return "perf-script"
    return None


def open_record(path: str | os.PathLike) -> Record:
    """Read a record of any supported format; raise ``UserError`` naming the problem.

    A damaged damon-tui record yields the snapshots before the damage and a warning in
    ``Record.warnings``.
    """
    path = os.fspath(path)
    data = read_regular_file(path)
    if not data:
        raise UserError(f"{path}: empty file, not a record")
    fmt = detect_format(data)
    if fmt == "damon-tui":
        return read_ours(path, data)
    if fmt in ("damo-json-compressed", "damo-json"):
        return read_damo(path, data, compressed=fmt == "damo-json-compressed")
    if fmt == "perf-script":
        return read_perf_script(path, data)
    raise UserError(f"{path}: not a record: unrecognised content (expected a damon-tui "
                    "record, damo json / json_compressed or perf script text)")


def read_regular_file(path: str) -> bytes:
    """The bytes of a regular file; devices, FIFOs and sockets are refused (reading
    ``/dev/zero`` never ends, a FIFO without a writer blocks forever)."""
    try:
        # O_NONBLOCK: opening a FIFO that has no writer must not block
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a record") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise UserError(f"{path}: is a directory, not a record")
        if not stat.S_ISREG(st.st_mode):
            raise UserError(f"{path}: not a regular file ({_file_kind(st.st_mode)}); "
                            "records are read from regular files only")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError as e:
        raise UserError(f"{path}: cannot read: {e.strerror}") from None
    finally:
        os.close(fd)


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def write_damo(path: str | os.PathLike, record: Record, compressed: bool = True) -> int:
    """Write ``record`` as damo json_compressed (or json); returns bytes written."""
    return _write(os.fspath(path), record, compressed)
