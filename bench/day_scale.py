"""Reports at day scale: a 1-day record (864,000 snapshots at 100 ms, ~100 regions each)
reported by ``report info|wss|heatmap|recency|temperature|raw``, wall time and peak RSS,
side by side with another checkout (``--old DIR``: e.g. a git worktree of the commit
before streaming, its extensions built in place, ``damon_tui/_fast`` a link to its
``_fast``).  Targets: each report under 5 s and 150 MB; ``raw`` at disk speed.

    python bench/day_scale.py [--snapshots 864000] [--regions 100] [--old DIR]
        [--record PATH] [--kinds info,wss,heatmap,recency,temperature,raw] [--repeat N]

The record is generated once and kept at ``--record`` (default in /tmp).  ``raw`` is
timed into /dev/null and into a new file on the record's disk (flushed to the disk), in
turn with a plain writer putting as many random bytes on that disk.  The
machine is shared: the load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from array import array

from damon_tui.record import RecordWriter, make_header

_PEAK = ("import resource, subprocess, sys; sink = sys.argv[1] == 'SINK'; "
         "r = subprocess.run(sys.argv[2 if sink else 1:], "
         "stdout=subprocess.DEVNULL if sink else subprocess.PIPE, "
         "stderr=subprocess.PIPE); "
         "sys.stderr.write('PEAK_KB %d RC %d\\n' % (resource.getrusage("
         "resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)); "
         "sys.stdout.buffer.write(r.stdout or b'')")


def day_record(path: str, nr_snapshots: int, nr_regions: int, seed: int = 1) -> None:
    """DAMON-like snapshots: regions over 3 mappings whose boundaries move a little,
    a hot band sweeping the space, ages counting up until accessed."""
    rng = random.Random(seed)
    bases = [(0x5600_0000_0000, 64 << 20), (0x7F00_0000_0000, 1 << 30),
             (0x7FFF_F000_0000, 8 << 20)]
    pts_all = []
    per = nr_regions // len(bases)
    for base, size in bases:
        cuts = sorted(rng.sample(range(1, size // 4096), per - 1))
        pts_all.append([base] + [base + c * 4096 for c in cuts] + [base + size])
    n = sum(len(p) - 1 for p in pts_all)
    ages = [0] * n
    header = make_header(ops="bench", targets=[{"target_id": 0, "description": "day"}],
                         attrs={"sample_us": 5000, "aggr_us": 100000, "update_us": 1000000},
                         start_time=1_700_000_000.0)
    noise = [rng.random() < 0.1 for _ in range(4096)]
    with RecordWriter(path, header) as w:
        for i in range(nr_snapshots):
            if i % 10 == 0:  # a boundary moves every second
                m = rng.randrange(len(pts_all))
                pts = pts_all[m]
                k = rng.randrange(1, len(pts) - 1)
                lo, hi = pts[k - 1] + 4096, pts[k + 1] - 4096
                if lo < hi:
                    pts[k] = rng.randrange(lo, hi, 4096) if hi - lo > 4096 else lo
            starts = array("Q")
            ends = array("Q")
            for pts in pts_all:
                starts.extend(pts[:-1])
                ends.extend(pts[1:])
            hot = (i // 50) % n
            nrs = array("I", bytes(4 * n))
            for j in range(hot, min(n, hot + 5)):
                nrs[j] = 20
            if noise[i % 4096]:
                nrs[(i * 7) % n] = 3
            for j in range(n):
                ages[j] = 0 if nrs[j] else ages[j] + 1
            w.write_frame(i * 10**8, (i + 1) * 10**8, 5000, 100000,
                          [(0, starts, ends, nrs, array("I", ages))])


def run(cmd: list[str], sink: bool = False, env=None, cwd=None) -> tuple[float, int, bytes]:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", _PEAK, *(["SINK"] if sink else []), *cmd],
                       capture_output=True, env=env, cwd=cwd)
    wall = time.perf_counter() - t
    m = re.search(rb"PEAK_KB (\d+) RC (-?\d+)", r.stderr)
    if not m:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{r.stderr.decode()}")
    return wall, int(m.group(1)), r.stdout


#: writes as many bytes as asked to stdout from a pool of random bytes (no formatting:
#: how fast one process can put that much data on the disk)
_WRITER = ("import os, sys; n = int(sys.argv[1]); pool = memoryview(os.urandom(64 << 20)); "
           "out = sys.stdout.buffer\n"
           "while n > 0:\n    k = min(n, 4 << 20); out.write(pool[(n >> 22) % 16 << 22:][:k]); "
           "n -= k")


def _to_file(cmd: list[str], path: str, env=None, cwd=None) -> tuple[float, float]:
    """Seconds for ``cmd``'s stdout to reach a new file ``path`` on the disk (fsync'd),
    after a sync so that an earlier run's dirty pages are not paid for here, and the
    command's system CPU seconds."""
    subprocess.run(["sync"], check=False)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
    t = time.perf_counter()
    with open(path, "wb") as f:
        subprocess.run(cmd, stdout=f, stderr=subprocess.DEVNULL, env=env, check=False,
                       cwd=cwd)
        os.fsync(f.fileno())
    wall = time.perf_counter() - t
    sys_s = resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime - before
    os.unlink(path)
    return wall, sys_s


def raw_speed(cmd: list[str], env: dict, wall: float, where: str, cwd=None,
              rounds: int = 3) -> None:
    """``report raw``'s output size and MB/s into /dev/null and into a new file on the
    disk, beside a plain writer putting as many bytes (random, not formatted) on the
    same disk: in turn, ``rounds`` times (a virtual disk's speed varies from minute to
    minute), best of each.  Writing a file that large is throttled by the page cache's
    dirty limit: a smaller reference would measure the cache, not the disk."""
    tmp = os.path.join(where, "damon-tui-day-raw.txt")
    with open(tmp, "wb") as f:
        subprocess.run(cmd, stdout=f, stderr=subprocess.DEVNULL, env=env, check=False,
                       cwd=cwd)
    size = os.path.getsize(tmp)
    os.unlink(tmp)
    raw, plain = [], []
    for _ in range(rounds):
        raw.append(_to_file(cmd, tmp, env, cwd))
        plain.append(_to_file([sys.executable, "-c", _WRITER, str(size)], tmp))
    r, p = min(raw), min(plain)
    print(f"      raw: {size / 1e6:.0f} MB of text: {size / 1e6 / wall:.0f} MB/s to /dev/null; "
          f"to a new file on disk (fsync'd, best of {rounds}): {size / 1e6 / r[0]:.0f} MB/s "
          f"({r[1]:.1f} s system CPU) beside a plain writer of as many bytes "
          f"{size / 1e6 / p[0]:.0f} MB/s ({p[1]:.1f} s system CPU); each round "
          + ", ".join(f"{size / 1e6 / a[0]:.0f}/{size / 1e6 / b[0]:.0f}"
                      for a, b in zip(raw, plain, strict=True)) + " MB/s")


#: the new side runs from the checkout holding this script
NEW_CWD = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snapshots", type=int, default=864_000)
    ap.add_argument("--regions", type=int, default=100)
    ap.add_argument("--record", default=None)
    ap.add_argument("--old", metavar="DIR", help="checkout of the old code to compare")
    ap.add_argument("--kinds", default="info,wss,heatmap,recency,temperature,raw")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per side and report, the sides in turn (the median and the "
                    "fastest are printed; raw runs once, then rounds into a file)")
    args = ap.parse_args()
    path = args.record or f"/tmp/damon-tui-day-{args.snapshots}x{args.regions}.rec"
    if not os.path.exists(path):
        t = time.perf_counter()
        day_record(path + ".tmp", args.snapshots, args.regions)
        os.replace(path + ".tmp", path)
        print(f"# generated {path} in {time.perf_counter() - t:.0f} s")
    size = os.path.getsize(path)
    print(f"# record: {args.snapshots} snapshots x ~{args.regions} regions, "
          f"{size / 1e6:.1f} MB; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores (shared machine)")
    sides = [("new", None)]
    if args.old:
        sides.append(("old", args.old))
    print(f"{'code':<5} {'report':<11} {'wall s':>8} {'(min)':>7} {'peak MB':>8}  output"
          + (f"   [median of {args.repeat} runs, the sides in turn]" if args.repeat > 1 else ""))
    outputs: dict[str, bytes] = {}
    for kind in args.kinds.split(","):
        extra = ["--color", "never"] if kind == "heatmap" else []
        walls: dict[str, list[float]] = {who: [] for who, _ in sides}
        peaks: dict[str, int] = {}
        same: dict[str, str] = {}
        cmds: dict[str, tuple[list[str], dict, str]] = {}
        for _ in range(1 if kind == "raw" else args.repeat):
            for who, where in sides:
                env = dict(os.environ)
                if where:
                    env["PYTHONPATH"] = where
                # `python -m` puts the working directory first on sys.path: run each side
                # from its own checkout (a checkout here would shadow PYTHONPATH)
                cwd = os.path.abspath(where) if where else NEW_CWD
                cmd = [sys.executable, "-m", "damon_tui", "report", kind, *extra,
                       os.path.abspath(path)]
                cmds[who] = (cmd, env, cwd)
                try:
                    wall, peak, out = run(cmd, env=env, sink=kind == "raw", cwd=cwd)
                except SystemExit as e:
                    print(f"{who:<5} {kind:<11} failed: {str(e)[:200]}")
                    continue
                walls[who].append(wall)
                peaks[who] = max(peaks.get(who, 0), peak)
                if kind != "raw":
                    if kind in outputs and outputs[kind] != out:
                        same[who] = "DIFFERENT"
                    elif kind in outputs and who != sides[0][0]:
                        same.setdefault(who, "same as new")
                    outputs.setdefault(kind, out)
        for who, _ in sides:
            if not walls[who]:
                continue
            print(f"{who:<5} {kind:<11} {statistics.median(walls[who]):8.2f} "
                  f"{min(walls[who]):7.2f} {peaks[who] / 1024:8.1f}  {same.get(who, '')}")
            if kind == "raw":
                cmd, env, cwd = cmds[who]
                raw_speed(cmd, env, walls[who][0], os.path.dirname(os.path.abspath(path)),
                          cwd)
    print(f"# load average now {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
