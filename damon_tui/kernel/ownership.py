"""Which kdamonds are ours: a state file per kdamond damon-tui started.

``<state_dir>/kdamond-<idx>.json`` holds the sysfs root, the kdamond's index and kernel
pid, the pid of the damon-tui process running it and ``nr_kdamonds`` as found.  A
kdamond is ours only when such a file names it and (when it runs) its pid matches;
everything else is foreign: read, never written.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from damon_tui.kernel.sysfs import KernelLacks, Paths, SysfsIO

#: a note's kdamond pid while damon-tui turns it on (written before ``on``, so a crash
#: between ``on`` and the pid's note still leaves a kdamond known as ours)
PID_PENDING = -1


@dataclass(frozen=True)
class Owner:
    """A state file's content."""

    index: int
    pid: int  # the kdamond's kernel pid when it was turned on (PID_PENDING: turning on)
    owner_pid: int  # the damon-tui process
    sysfs_root: str
    nr_kdamonds_found: int
    path: Path
    #: the last this many schemes are damon-tui's snapshot ``stat`` schemes
    nr_snapshot_schemes: int = 0

    @property
    def owner_alive(self) -> bool:
        try:
            os.kill(self.owner_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


@dataclass(frozen=True)
class KdamondState:
    index: int
    state: str  # "on" / "off"
    pid: int | None
    owner: Owner | None  # set when ours

    @property
    def ours(self) -> bool:
        return self.owner is not None

    @property
    def running(self) -> bool:
        return self.state == "on"

    def describe(self) -> str:
        pid = f"pid {self.pid}" if self.pid else "no pid"
        return f"kdamond {self.index} ({self.state}, {pid})"


def state_file(paths: Paths, idx: int) -> Path:
    return paths.state_dir / f"kdamond-{idx}.json"


def read_owner(paths: Paths, idx: int) -> Owner | None:
    path = state_file(paths, idx)
    try:
        d = json.loads(path.read_text())
        owner = Owner(int(d["index"]), int(d["pid"]), int(d["owner_pid"]), str(d["sysfs_root"]),
                      int(d.get("nr_kdamonds_found", 0)), path,
                      int(d.get("nr_snapshot_schemes", 0)))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if owner.index != idx or Path(owner.sysfs_root) != paths.sysfs_root:
        return None
    return owner


def write_owner(paths: Paths, idx: int, kdamond_pid: int, nr_found: int,
                nr_snapshot_schemes: int = 0) -> Path:
    paths.state_dir.mkdir(parents=True, exist_ok=True)
    path = state_file(paths, idx)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"index": idx, "pid": kdamond_pid, "owner_pid": os.getpid(),
                               "sysfs_root": str(paths.sysfs_root),
                               "nr_kdamonds_found": nr_found,
                               "nr_snapshot_schemes": nr_snapshot_schemes}) + "\n")
    os.replace(tmp, path)
    return path


def renote_pid(paths: Paths, idx: int, kdamond_pid: int) -> None:
    """Our kdamond was turned on again (new kernel pid); the rest of the note is kept."""
    path = state_file(paths, idx)
    d = json.loads(path.read_text())
    d["pid"] = kdamond_pid
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(d) + "\n")
    os.replace(tmp, path)


def remove_owner(paths: Paths, idx: int) -> None:
    try:
        state_file(paths, idx).unlink()
    except FileNotFoundError:
        pass


def nr_kdamonds(io: SysfsIO, paths: Paths) -> int:
    path = paths.kdamonds / "nr_kdamonds"
    if not path.exists():
        raise KernelLacks(f"{paths.admin}: no DAMON sysfs interface here (the kernel lacks "
                          "CONFIG_DAMON_SYSFS, or sysfs is not mounted there)")
    return io.read_int(path)


def kdamond_states(io: SysfsIO, paths: Paths) -> list[KdamondState]:
    """Every kdamond with its state, pid and owner (ours only when the pid matches)."""
    out = []
    for idx in range(nr_kdamonds(io, paths)):
        d = paths.kdamond(idx)
        state = io.read_opt(d / "state") or "?"
        pid_text = io.read_opt(d / "pid")
        try:
            pid = int(pid_text) if pid_text is not None else None
        except ValueError:
            pid = None
        if pid is not None and pid < 0:
            pid = None
        owner = read_owner(paths, idx)
        if owner is not None and state == "on" and owner.pid != PID_PENDING \
                and pid != owner.pid:
            owner = None  # someone else restarted it: no longer ours
        out.append(KdamondState(idx, state, pid, owner))
    return out
