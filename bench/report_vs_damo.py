"""Reports: damon-tui vs damo 3.4.3 on a record of 2000 snapshots x 500 regions.

Writes the record in our format and in damo's json_compressed, then times (wall, peak
RSS) ``damo report heatmap`` / ``report wss`` on the damo file, ours on our file and
ours on the damo file, checks the outputs are identical, and prints the ratios against
the targets (ours-on-ours >= 50x faster than damo with peak < 200 MB; ours-on-damo
>= 30x with peak < 300 MB).  The machine may be shared: the load average is printed
with the figures, and which inflater reads json_compressed (ISA-L's with the ``fast``
extra, else zlib).  Also prints the record format's size (bytes per region) on the
built-in workloads and the decoder's throughput.

    python bench/report_vs_damo.py [--snapshots 2000] [--regions 500] [--skip-damo]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

from damon_tui.record import RecordWriter, make_header, open_record, write_damo

ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], "
         "stdout=subprocess.PIPE, stderr=subprocess.PIPE); sys.stdout.buffer.write(r.stdout); "
         "sys.stderr.write('PEAK_KB %d RC %d\\n' % (resource.getrusage("
         "resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode))")


def synthetic_record(path: str, nr_snapshots: int, nr_regions: int, seed: int = 1) -> None:
    """DAMON-like snapshots: ~nr_regions regions over 3 mappings that split, merge and
    age; a hot band moving over time."""
    rng = random.Random(seed)
    bases = [(0x5600_0000_0000, 64 << 20), (0x7F00_0000_0000, 1 << 30),
             (0x7FFF_F000_0000, 8 << 20)]
    bounds = []
    per = nr_regions // len(bases)
    for base, size in bases:
        cuts = sorted(rng.sample(range(1, size // 4096), per - 1))
        pts = [base] + [base + c * 4096 for c in cuts] + [base + size]
        bounds.append(pts)
    ages = [[0] * (len(p) - 1) for p in bounds]
    header = make_header(ops="bench", targets=[{"target_id": 0, "description": "synthetic"}],
                         attrs={"sample_us": 5000, "aggr_us": 100000, "update_us": 1000000})
    with RecordWriter(path, header) as w:
        for i in range(nr_snapshots):
            starts, ends, nrs, ags = array("Q"), array("Q"), array("I"), array("I")
            hot = (i * 7) % 1000 / 1000
            for m, pts in enumerate(bounds):
                # move a few boundaries (split/merge noise)
                for _ in range(3):
                    k = rng.randrange(1, len(pts) - 1)
                    lo, hi = pts[k - 1] + 4096, pts[k + 1] - 4096
                    if lo < hi:
                        pts[k] = rng.randrange(lo, hi, 4096) if hi - lo > 4096 else lo
                        ages[m][k - 1] = ages[m][k] = 0
                n = len(pts) - 1
                for j in range(n):
                    pos = j / n
                    nr = 20 if abs(pos - hot) < 0.05 else (rng.random() < 0.1) * rng.randint(0, 5)
                    starts.append(pts[j])
                    ends.append(pts[j + 1])
                    nrs.append(nr)
                    ages[m][j] = 0 if nr else ages[m][j] + 1
                    ags.append(ages[m][j])
            w.write_frame(i * 10**8, (i + 1) * 10**8, 5000, 100000,
                          [(0, starts, ends, nrs, ags)])


def run(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and stdout of one command."""
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", _PEAK, *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - t
    m = re.search(r"PEAK_KB (\d+) RC (-?\d+)", r.stderr)
    if not m or m.group(2) != "0":
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{r.stderr}")
    return wall, int(m.group(1)), ANSI.sub("", r.stdout).rstrip("\n")


def workload_sizes(seconds: int = 60) -> list[tuple[str, float, int]]:
    try:
        from damon_tui.engine import Attrs, Monitor
        from damon_tui.ops.sim import SimOps
        from damon_tui.workloads import builtin_names  # type: ignore[attr-defined]
        names = builtin_names()
    except ImportError:
        try:
            from damon_tui.engine import Attrs, Monitor
            from damon_tui.ops.sim import SimOps
        except ImportError:
            return []
        names = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "damon_tui"
                                        / "workloads").glob("*.cfg"))
    out = []
    with tempfile.TemporaryDirectory() as d:
        for name in names:
            ops = SimOps(name, seed=0)
            path = os.path.join(d, name)
            header = make_header(ops="sim", targets=[{"target_id": t.target_id,
                                                      "description": t.description}
                                                     for t in ops.targets()],
                                 attrs={"sample_us": 5000, "aggr_us": 100000})
            with RecordWriter(path, header) as w:
                for snap in Monitor(ops, Attrs(), seed=0).run(seconds * 1_000_000):
                    w.write_snapshot(snap)
            rec = open_record(path)
            damo_path = path + ".damo"
            write_damo(damo_path, rec)
            out.append((name, w.bytes_written / max(w.nr_regions, 1),
                        os.path.getsize(damo_path) / max(w.nr_regions, 1), w.nr_regions))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snapshots", type=int, default=2000)
    ap.add_argument("--regions", type=int, default=500)
    ap.add_argument("--skip-damo", action="store_true", help="only time damon-tui")
    args = ap.parse_args()
    damo = shutil.which("damo") or str(Path(sys.executable).parent / "damo")
    have_damo = not args.skip_damo and os.path.exists(damo) and shutil.which("file")
    # Both sides start from compiled bytecode, as `pip install` leaves them (damo's was
    # compiled when pip installed it; an editable checkout under PYTHONDONTWRITEBYTECODE
    # would otherwise recompile our sources on every run).
    import compileall

    import damon_tui

    compileall.compile_dir(os.path.dirname(damon_tui.__file__), quiet=1)
    tmp = tempfile.mkdtemp(prefix="damon-tui-bench-")
    ours, damo_file = os.path.join(tmp, "bench.rec"), os.path.join(tmp, "damon.data")

    t = time.perf_counter()
    synthetic_record(ours, args.snapshots, args.regions)
    print(f"# generated {args.snapshots} snapshots x ~{args.regions} regions in "
          f"{time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    rec = open_record(ours)
    decode_s = time.perf_counter() - t
    n = rec.nr_regions
    t = time.perf_counter()
    write_damo(damo_file, rec)
    print(f"# damo json_compressed written in {time.perf_counter() - t:.1f} s")
    our_size, damo_size = os.path.getsize(ours), os.path.getsize(damo_file)
    from damon_tui.record import damo as damo_reader

    print(f"# load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"json_compressed inflated by {damo_reader._ZLIB.__name__}")
    print(f"record sizes: damon-tui {our_size / 1e6:.2f} MB ({our_size / n:.2f} B/region), "
          f"damo json_compressed {damo_size / 1e6:.2f} MB ({damo_size / n:.2f} B/region)")
    print(f"open_record (read + crc + decode, in process): {decode_s * 1000:.0f} ms = "
          f"{n / decode_s / 1e6:.1f} M regions/s")
    from damon_tui._fast import decode as dec

    t0 = rec.targets[0]
    starts, ends = array("Q", bytes(8 * n)), array("Q", bytes(8 * n))
    nrs, ags = array("I", bytes(4 * n)), array("I", bytes(4 * n))
    blob = bytearray(31 * n)
    pos, bounds = 0, []
    prev = (0, 0)
    for k in range(t0.nr_snapshots):
        a, b = t0.offsets[k], t0.offsets[k + 1]
        shift = dec.address_shift(t0.starts, t0.ends, a, b - a)
        p2 = dec.encode_target(blob, pos, t0.starts, t0.ends, t0.nr_accesses, t0.ages, a,
                               b - a, t0.starts, t0.ends, t0.nr_accesses, t0.ages, prev[0],
                               prev[1], shift)
        bounds.append((pos, p2, a, b - a, prev, shift))
        pos, prev = p2, (a, b - a)
    buf = bytes(blob[:pos])
    t = time.perf_counter()
    for p1, p2, a, cnt, pr, shift in bounds:
        assert dec.decode_target(buf, p1, p2, starts, ends, nrs, ags, a, cnt, pr[0], pr[1],
                                 shift) == p2
    pure = time.perf_counter() - t
    print(f"region decoder alone: {n / pure / 1e6:.1f} M regions/s (target >= 50)")

    me = [sys.executable, "-m", "damon_tui", "report"]
    rows = {}
    for kind in ("heatmap", "wss"):
        extra = ["--color", "never"] if kind == "heatmap" else []
        rows[("ours-on-ours", kind)] = run([*me, kind, *extra, ours])
        rows[("ours-on-damo", kind)] = run([*me, kind, *extra, damo_file])
        if have_damo:
            rows[("damo", kind)] = run([damo, "report", kind, "-i", damo_file])
    print()
    print(f"{'run':<14} {'report':<8} {'wall s':>8} {'peak MB':>8}  same output as damo")
    for (who, kind), (wall, peak, out) in rows.items():
        same = ""
        if have_damo and who != "damo":
            same = "yes" if out == rows[("damo", kind)][2] else "NO"
        print(f"{who:<14} {kind:<8} {wall:8.2f} {peak / 1024:8.1f}  {same}")
    if have_damo:
        print()
        for kind in ("heatmap", "wss"):
            d = rows[("damo", kind)][0]
            oo, od = rows[("ours-on-ours", kind)][0], rows[("ours-on-damo", kind)][0]
            print(f"{kind}: ours-on-ours {d / oo:.1f}x faster than damo (target >= 50x), "
                  f"ours-on-damo {d / od:.1f}x (target >= 30x); peak ours-on-ours "
                  f"{rows[('ours-on-ours', kind)][1] / 1024:.0f} MB (target < 200 MB), "
                  f"ours-on-damo {rows[('ours-on-damo', kind)][1] / 1024:.0f} MB "
                  "(target < 300 MB)")
        print(f"# load average now {os.getloadavg()[0]:.1f}")
    else:
        print("# damo 3.4.3 or `file` not available: no damo timings (pip install damo==3.4.3)")
    sizes = workload_sizes()
    if sizes:
        print()
        print("record size on the built-in workloads (60 s each, default attrs):")
        for name, per, damo_per, nreg in sizes:
            print(f"  {name:<12} {per:5.2f} B/region (damo json_compressed {damo_per:5.1f}), "
                  f"{nreg} regions")
        avg = sum(s[1] * s[3] for s in sizes) / sum(s[3] for s in sizes)
        print(f"  average      {avg:5.2f} B/region (target <= 4)")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
