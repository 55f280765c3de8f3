"""File access to the kernel's DAMON sysfs tree and module parameters (injectable).

Every path hangs off :class:`Paths` (``--sysfs-root``, ``--module-root``,
``--state-dir``).  Writes go through :class:`SysfsIO`, whose ``writer`` tests replace
with a fake kernel; a failed write becomes :class:`KernelError`, one sentence naming
the file and what the kernel's errno means there.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from damon_tui.errors import UserError

DEFAULT_SYSFS_ROOT = "/sys"
DEFAULT_STATE_DIR = "/run/damon-tui"
ADMIN = "kernel/mm/damon/admin"
MODULES = ("damon_reclaim", "damon_lru_sort")


class KernelError(UserError):
    """The kernel refused a write or a file is missing: one sentence naming the file."""

    def __init__(self, message: str, errno_: int | None = None, path: str | None = None):
        super().__init__(message)
        self.errno = errno_
        self.path = path


class KernelLacks(UserError):
    """The running kernel has no such feature (a file or directory is absent)."""


@dataclass(frozen=True)
class Paths:
    """Where the kernel's files are (all injectable for tests and VMs)."""

    sysfs_root: Path = Path(DEFAULT_SYSFS_ROOT)
    module_root: Path | None = None  # default: <sysfs_root>/module
    state_dir: Path = Path(DEFAULT_STATE_DIR)
    proc_root: Path = Path("/")

    @property
    def admin(self) -> Path:
        return self.sysfs_root / ADMIN

    @property
    def kdamonds(self) -> Path:
        return self.admin / "kdamonds"

    def kdamond(self, idx: int) -> Path:
        return self.kdamonds / str(idx)

    def module_params(self, module: str) -> Path:
        root = self.module_root if self.module_root is not None else self.sysfs_root / "module"
        return Path(root) / module / "parameters"

    @property
    def tracefs(self) -> Path:
        return self.sysfs_root / "kernel" / "tracing"


def _meaning(err: int, name: str, value: str) -> str:
    """What an errno means when writing ``value`` to sysfs file ``name``."""
    if err == errno.EBUSY:
        if name == "nr_kdamonds":
            return "the kernel refuses to change nr_kdamonds while a kdamond runs (EBUSY)"
        if name == "state" and value.strip() == "on":
            return ("busy (EBUSY): DAMON_RECLAIM or DAMON_LRU_SORT runs and excludes sysfs "
                    "kdamonds on this kernel, or the kdamond is already on")
        if name == "enabled":
            return ("busy (EBUSY): sysfs kdamonds run and exclude the DAMON modules on this "
                    "kernel; stop them first")
        return f"the kernel is busy and refused {value.strip()!r} (EBUSY)"
    if err == errno.EINVAL:
        return f"the kernel refused {value.strip()!r} as invalid (EINVAL)"
    if err == errno.ENOENT:
        return "no such file (ENOENT): this kernel lacks it"
    if err in (errno.EACCES, errno.EPERM):
        return "permission denied: run as root"
    if err == errno.ENOMEM:
        return "out of memory (ENOMEM)"
    if err == errno.ESRCH:
        return f"no such process {value.strip()!r} (ESRCH)"
    return os.strerror(err)


def default_writer(path: Path, text: str) -> None:
    """Write ``text`` to an existing file (never creates one), like ``echo >``."""
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def default_reader(path: Path) -> str:
    return Path(path).read_text()


T = TypeVar("T")
Writer = Callable[[Path, str], None]
Reader = Callable[[Path], str]

#: how long a read or write of the DAMON sysfs tree waits out EBUSY: ``state``, ``pid``,
#: ``nr_*`` and the ``state`` commands take DAMON's sysfs lock with a trylock (6.12) and
#: answer EBUSY while another writer holds it, e.g. during an
#: ``update_schemes_tried_regions`` that lasts an aggregation interval or two
BUSY_READ_WAIT_S = 10.0
#: ... except where EBUSY is also the kernel's lasting answer (``nr_kdamonds`` while a
#: kdamond runs, ``on`` while a DAMON module runs): a short wait, then the refusal
BUSY_AMBIGUOUS_WAIT_S = 0.5


def busy_is_transient(path: Path, text: str | None = None) -> tuple[bool, bool]:
    """(may EBUSY here be the sysfs lock taken by someone else, is it also a lasting
    refusal).  Only the ``kernel/mm/damon/admin`` tree has that lock; module
    parameters' EBUSY is the modules' answer."""
    parts = Path(path).parts
    if tuple(ADMIN.split("/")) not in {parts[i:i + 4] for i in range(len(parts))}:
        return False, False
    name = Path(path).name
    lasting = name == "nr_kdamonds" or (name == "state" and (text or "").strip() == "on")
    return True, lasting


def _wait_out_busy(fn: Callable[[], T], wait_s: float) -> T:
    """``fn()``, retried every 10 ms while it raises EBUSY, for up to ``wait_s``."""
    deadline: float | None = None
    while True:
        try:
            return fn()
        except OSError as e:
            if e.errno != errno.EBUSY:
                raise
            now = time.monotonic()
            deadline = deadline if deadline is not None else now + wait_s
            if now >= deadline:
                raise
            time.sleep(0.01)


class SysfsIO:
    """Reads and writes sysfs files; ``writer`` and ``reader`` are injectable."""

    def __init__(self, writer: Writer | None = None, reader: Reader | None = None,
                 busy_wait_s: float = BUSY_READ_WAIT_S,
                 busy_ambiguous_wait_s: float = BUSY_AMBIGUOUS_WAIT_S) -> None:
        self.writer = writer or default_writer
        self.reader = reader or default_reader
        self.busy_wait_s = busy_wait_s
        self.busy_ambiguous_wait_s = busy_ambiguous_wait_s
        #: every successful write, in order (path, text): status proves it wrote nothing
        self.log: list[tuple[Path, str]] = []

    def _read_text(self, path: Path) -> str:
        """The file's text, waiting out a transient EBUSY (the sysfs lock is taken)."""
        return _wait_out_busy(lambda: self.reader(Path(path)).strip(), self.busy_wait_s)

    def read(self, path: Path) -> str:
        try:
            return self._read_text(path)
        except FileNotFoundError:
            raise KernelLacks(f"{path}: no such file: this kernel lacks it") from None
        except OSError as e:
            raise KernelError(f"{path}: cannot read: {_meaning(e.errno or 0, Path(path).name, '')}",
                              e.errno, str(path)) from None

    def read_opt(self, path: Path) -> str | None:
        """The file's content, or None when it does not exist (feature absent)."""
        try:
            return self._read_text(path)
        except FileNotFoundError:
            return None
        except OSError:
            return None

    def read_int(self, path: Path) -> int:
        text = self.read(path)
        try:
            return int(text)
        except ValueError:
            raise KernelError(f"{path}: expected an integer, read {text!r}") from None

    def write(self, path: Path, value: object) -> None:
        text = str(value)
        path = Path(path)
        transient, lasting = busy_is_transient(path, text)
        wait_s = (0.0 if not transient else
                  self.busy_ambiguous_wait_s if lasting else self.busy_wait_s)
        try:
            _wait_out_busy(lambda: self.writer(path, text), wait_s)
        except FileNotFoundError:
            raise KernelLacks(f"{path}: no such file: this kernel lacks it") from None
        except OSError as e:
            raise KernelError(f"{path}: {_meaning(e.errno or 0, path.name, text)}",
                              e.errno, str(path)) from None
        self.log.append((path, text))

    @staticmethod
    def exists(path: Path) -> bool:
        return Path(path).exists()


#: what makes the ``SysfsIO`` of commands: tests and VMs inject a fake kernel's writer here
IO_FACTORY: Callable[[], SysfsIO] = SysfsIO


def new_io() -> SysfsIO:
    return IO_FACTORY()
