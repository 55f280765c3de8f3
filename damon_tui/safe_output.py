"""Create output files safely: never through a planted symlink, never half-written.

Every output file (records, damo files, SVGs, profiles, exported schemes) is written to a
new temporary file created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` in the destination's
directory, then renamed over the destination.  ``rename(2)`` replaces a symlink at the
destination instead of following it, and ``O_EXCL`` refuses a name someone planted, so a
link in a sticky world-writable directory (``/tmp``) cannot redirect the write, and a
reader never sees a partial file.  Streams (/dev/null, a FIFO, /dev/stdout) are
written in place: they are never replaced.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from typing import IO, Any

from damon_tui.errors import UserError


def is_stream(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a stream to write through (a character device such as
    /dev/null, a FIFO, a socket, or a link to one such as /dev/stdout): True; a new or
    regular file (or a link to one, or a dangling link), to replace: False.  Directories
    and block devices are refused."""
    path = os.fspath(path)
    try:
        st = os.stat(path)  # follows a link: what would a write reach?
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise UserError(f"{path}: cannot write: {e.strerror}") from None
    if st is None or stat.S_ISREG(st.st_mode):
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise UserError(f"{path}: cannot write: directory {parent} does not exist")
        return False
    if stat.S_ISDIR(st.st_mode):
        raise UserError(f"{path}: cannot write: Is a directory")
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode) or stat.S_ISSOCK(st.st_mode):
        return True
    raise UserError(f"{path}: cannot write: not a regular file, a character device or a FIFO")


def temp_name(path: str | os.PathLike) -> str:
    """A free hidden name beside ``path`` (created empty with ``O_EXCL``, then removed)."""
    fd, tmp = _create(os.fspath(path))
    os.close(fd)
    discard(tmp)
    return tmp


def _create(path: str) -> tuple[int, str]:
    directory, base = os.path.split(os.path.abspath(path))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(16):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
        except OSError as e:
            raise UserError(f"{path}: cannot write: {e.strerror}") from None
    raise UserError(f"{path}: cannot write: could not create a temporary file in {directory}")


def create_temp(path: str | os.PathLike) -> tuple[int, str | None]:
    """``(fd, temp_path)`` to write ``path`` safely.

    For a new or regular file: a new hidden file beside ``path`` (mode 0o666 & ~umask,
    random name, ``O_EXCL | O_NOFOLLOW``: the creation fails rather than open anything
    already there), to :func:`publish` over ``path``.  For a stream (/dev/null, a FIFO,
    /dev/stdout): ``path`` itself, opened for writing, and ``temp_path`` None.
    """
    path = os.fspath(path)
    if is_stream(path):
        try:
            return os.open(path, os.O_WRONLY | os.O_CLOEXEC), None
        except OSError as e:
            raise UserError(f"{path}: cannot write: {e.strerror}") from None
    return _create(path)


def publish(tmp: str | None, path: str | os.PathLike) -> None:
    """Rename ``tmp`` over ``path`` (replacing a symlink there, never following it)."""
    if tmp is None:
        return
    try:
        os.replace(tmp, path)
    except OSError as e:
        discard(tmp)
        raise UserError(f"{os.fspath(path)}: cannot write: {e.strerror}") from None


def discard(tmp: str | None) -> None:
    """Remove a temporary file that will not be published."""
    if tmp is None:
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


@contextlib.contextmanager
def safe_output(path: str | os.PathLike, mode: str = "wb",
                **kw: Any) -> Iterator[IO[Any]]:
    """Write a whole file: a temp file that replaces ``path`` when the block succeeds.

    On an exception (or a write error, reported as ``UserError``) the temp file is
    removed and ``path`` is left as it was.
    """
    fd, tmp = create_temp(path)
    try:
        try:
            f = os.fdopen(fd, mode, **kw)
        except BaseException:
            os.close(fd)
            raise
        with f:
            yield f
    except OSError as e:
        discard(tmp)
        raise UserError(f"{os.fspath(path)}: cannot write: {e.strerror}") from None
    except BaseException:
        discard(tmp)
        raise
    publish(tmp, path)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether ``a`` and ``b`` name the same existing file (links, ``..``, hard links)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
