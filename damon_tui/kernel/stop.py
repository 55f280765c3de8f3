"""Turn off our kdamonds (a crashed run's included) and remove them when we can."""

from __future__ import annotations

from damon_tui.kernel import ownership
from damon_tui.kernel.session import _wait_off
from damon_tui.kernel.sysfs import Paths, SysfsIO


def stop_ours(io: SysfsIO, paths: Paths) -> list[str]:
    """Lines saying what was done; foreign kdamonds are only mentioned."""
    lines = []
    states = ownership.kdamond_states(io, paths)
    for st in states:
        if not st.ours:
            lines.append(f"{st.describe()}: not started by damon-tui, left alone")
            continue
        if st.running:
            io.write(paths.kdamond(st.index) / "state", "off")
            _wait_off(io, paths.kdamond(st.index))
            alive = (" (its damon-tui process still runs)"
                     if st.owner is not None and st.owner.owner_alive else "")
            lines.append(f"{st.describe()}: turned off{alive}")
        else:
            lines.append(f"{st.describe()}: already off")
    ours = [st for st in states if st.ours]
    if ours and len(ours) == len(states):
        found = min(st.owner.nr_kdamonds_found for st in ours if st.owner is not None)
        io.write(paths.kdamonds / "nr_kdamonds", found)
        lines.append(f"nr_kdamonds back to {found}")
    elif ours:
        lines.append("other kdamonds exist: nr_kdamonds left as is (ours stay, off)")
    for st in ours:
        ownership.remove_owner(paths, st.index)
    # stale notes of kdamonds that no longer exist or were restarted by someone else
    for f in sorted(paths.state_dir.glob("kdamond-*.json")) if paths.state_dir.is_dir() else ():
        idx = f.stem.removeprefix("kdamond-")
        owner = ownership.read_owner(paths, int(idx)) if idx.isdigit() else None
        if owner is not None and not any(st.index == owner.index and st.ours
                                         for st in states):
            f.unlink()
            lines.append(f"removed stale note {f} (kdamond {idx} is not ours any more)")
    if not lines:
        lines.append("no kdamond started by damon-tui")
    return lines
