"""The kernel DAMON backend, measured inside the test VM (Debian's 6.12 under qemu TCG).

    python tests/vm/run.py bench -- [--duration 30]   # = run -- python bench/kernel.py

(a) The monitor's own CPU per second of kernel monitoring: ``damon-tui record --kernel
    --pid P`` versus damo 3.4.3's ``damo record P`` of the same process (the ``zigzag``
    workload run by ``damon-tui workload``), same intervals (5 ms / 100 ms / 1 s), one after
    the other in the same guest, and the snapshot rate each reached.  CPU is user +
    system of the recorder's process tree (damo's perf included) sampled over a window of
    steady monitoring, from 2 s after its kdamond is on: Python's start-up under TCG
    (seconds) and damo's closing conversion are not charged to monitoring.
(b) One workload, ``zigzag``: WSS percentiles (``report wss``) of the real process
    recorded by the kernel's DAMON (``record --kernel --pid``) next to our engine's sim
    (``record --sim zigzag``), same intervals and duration.

It writes the kernel's DAMON sysfs: it refuses to run outside the harness's VM.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

GUEST_MARK = "damon_tui_vm=1"
AGGR_US = 100_000
ATTRS = ["--sample", "5ms", "--aggr", "100ms", "--update", "1s"]
PERCENTILES = (0, 25, 50, 75, 100)


def in_test_vm() -> bool:
    try:
        return GUEST_MARK in Path("/proc/cmdline").read_text().split()
    except OSError:
        return False


def reset_kdamonds() -> None:
    """damo leaves its (off) kdamond behind; ``record --kernel`` refuses to erase a
    configuration not its own, so the bench removes it between tools (VM only)."""
    kdamonds = Path("/sys/kernel/mm/damon/admin/kdamonds")
    n = int((kdamonds / "nr_kdamonds").read_text())
    deadline = time.monotonic() + 20
    while kdamond_on():
        if time.monotonic() > deadline:
            raise SystemExit("a kdamond stays on after its recorder ended")
        time.sleep(0.1)
    if n:
        (kdamonds / "nr_kdamonds").write_text("0")


def damo() -> str:
    exe = Path(sys.executable).parent / "damo"
    return str(exe)


def start_workload(name: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "damon_tui.commands.workload", name,
                             "--repeat", "100"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # the mappings are printed once they are faulted in
        if line.startswith("# region ") and line.split(":", 1)[0].endswith(" b"):
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining
            return proc
    raise SystemExit(f"workload {name} ended before mapping its regions")


def timed(argv: list[str]) -> tuple[float, float, int, str]:
    """(cpu s of the process and its children, wall s, exit code, stderr tail)."""
    with tempfile.TemporaryFile() as errf:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errf,
                                stdin=subprocess.DEVNULL)
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            raise
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        errf.seek(0)
        err = errf.read().decode(errors="replace")
    return ru.ru_utime + ru.ru_stime, wall, proc.returncode, err.strip()[-300:]


def nr_snapshots(path: Path) -> int | None:
    from damon_tui.errors import UserError
    from damon_tui.record import open_record

    try:
        return open_record(path).nr_snapshots
    except (UserError, OSError, ValueError):
        return None


def tree_cpu(proc) -> float:
    """user + system seconds of a process and its live descendants (psutil)."""
    import psutil

    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def kdamond_on() -> bool:
    """Whether a kdamond runs (a directory a recorder is rebuilding reads as not yet)."""
    kdamonds = Path("/sys/kernel/mm/damon/admin/kdamonds")
    try:
        n = int((kdamonds / "nr_kdamonds").read_text())
        return any((kdamonds / str(i) / "state").read_text().strip() == "on"
                   for i in range(n))
    except (OSError, ValueError):
        return False


def cpu_per_s(name: str, argv: list[str], duration: float, window: float, out: Path
              ) -> dict:
    """The recorder's process-tree CPU over ``window`` seconds of steady monitoring (from
    2 s after its kdamond is on: start-up and the end's conversion are not charged), and
    its snapshots per second over the whole run."""
    import psutil

    reset_kdamonds()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    ps = psutil.Process(proc.pid)
    deadline = time.monotonic() + 300
    while not kdamond_on():
        if proc.poll() is not None or time.monotonic() > deadline:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            return {"name": name, "error": f"exit {proc.poll()}: {err.strip()[-300:]}"}
        time.sleep(0.1)
    on_at = time.monotonic()
    time.sleep(2)
    c0, t0 = tree_cpu(ps), time.monotonic()
    time.sleep(window)
    c1, t1 = tree_cpu(ps), time.monotonic()
    _, err = proc.communicate(timeout=duration + 600)
    if proc.returncode != 0:
        return {"name": name, "error": f"exit {proc.returncode}: {err.decode()[-300:]}"}
    n = nr_snapshots(out)
    return {"name": name, "cpu_per_s": (c1 - c0) / (t1 - t0), "window": t1 - t0,
            "snapshots": n, "snapshots_per_s": None if n is None else n / duration,
            "on_after_s": on_at}


def wss_percentiles(path: Path, skip: int) -> dict[int, int]:
    """``report wss`` of a record: percentile -> bytes."""
    proc = subprocess.run([sys.executable, "-m", "damon_tui", "report", "wss", str(path),
                           "--raw-number", "--nr-cols-bar", "0", "--exclude-samples", str(skip)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"report wss {path}: {proc.stderr.strip()}")
    out = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            out[int(parts[0])] = int(parts[1])
    return out


def mib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:.1f} MiB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=30.0, help="long run, seconds")
    ap.add_argument("--warmup", type=float, default=10.0,
                    help="the workload's warm-up, left out of (b) (zigzag: 10 s)")
    ap.add_argument("--workload", default="zigzag")
    args = ap.parse_args()
    if not in_test_vm():
        print("bench/kernel.py writes the kernel's DAMON sysfs: run it in the test VM "
              "(python tests/vm/run.py bench)", file=sys.stderr)
        return 2
    dt = [sys.executable, "-m", "damon_tui"]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        work = start_workload(args.workload)
        pid = str(work.pid)
        window = max(args.duration - 8, 4)
        try:
            rows = [
                cpu_per_s("damon-tui record --kernel", [
                    *dt, "record", "--kernel", "--pid", pid, *ATTRS, "--duration",
                    f"{args.duration}s", "-o", str(tmp / "ours.rec")], args.duration, window,
                    tmp / "ours.rec"),
                cpu_per_s("damo record (3.4.3)", [
                    damo(), "record", pid, "--timeout", str(int(args.duration)), "-o",
                    str(tmp / "damo.data")], args.duration, window, tmp / "damo.data"),
            ]
        finally:
            work.kill()
            work.wait()
        print(f"# (a) CPU of the recorder (its process tree) over {window:g} s of steady "
              f"monitoring of {args.workload} (pid {pid}); snapshots over {args.duration:g} s")
        print(f"{'recorder':<28} {'CPU':>7} {'snapshots':>10} {'per s':>7}")
        for r in rows:
            if "error" in r:
                print(f"{r['name']:<28} failed: {r['error']}")
                continue
            rate = r["snapshots_per_s"]
            print(f"{r['name']:<28} {100 * r['cpu_per_s']:>6.1f}% {r['snapshots'] or 'n/a':>10} "
                  f"{'n/a' if rate is None else f'{rate:.2f}':>7}")
        ok = [r for r in rows if "error" not in r]
        if len(ok) == 2 and ok[1]["cpu_per_s"] > 0:
            print(f"ratio damon-tui / damo: CPU {ok[0]['cpu_per_s'] / ok[1]['cpu_per_s']:.2f}"
                  + (f", snapshot rate {ok[0]['snapshots_per_s'] / ok[1]['snapshots_per_s']:.2f}"
                     if ok[0]["snapshots_per_s"] and ok[1]["snapshots_per_s"] else ""))

        # (b) the same workload: the kernel's DAMON on the real process vs our sim
        reset_kdamonds()
        work = start_workload(args.workload)
        time.sleep(args.warmup)  # the workload's warm-up phase: both regions hot
        kernel_rec, sim_rec = tmp / "wss-kernel.rec", tmp / "wss-sim.rec"
        try:
            cpu, wall, rc, err = timed([*dt, "record", "--kernel", "--pid", str(work.pid),
                                        *ATTRS, "--duration", f"{args.duration}s", "-o",
                                        str(kernel_rec)])
        finally:
            work.kill()
            work.wait()
        if rc != 0:
            print(f"record --kernel failed: {err}")
            return 1
        cpu, wall, rc, err = timed([*dt, "record", "--sim", args.workload, *ATTRS,
                                    "--duration", f"{args.duration + args.warmup}s", "-o",
                                    str(sim_rec)])
        if rc != 0:
            print(f"record --sim failed: {err}")
            return 1
        sim_skip = int(args.warmup * 1e6 // AGGR_US) + 20
        k, s = wss_percentiles(kernel_rec, 20), wss_percentiles(sim_rec, sim_skip)
        print(f"\n# (b) WSS of {args.workload} after its {args.warmup:g} s warm-up, "
              f"{args.duration:g} s; kernel {nr_snapshots(kernel_rec)} snapshots (first 20 left "
              f"out), sim {nr_snapshots(sim_rec)} (first {sim_skip} left out)")
        print(f"{'percentile':>10} {'kernel DAMON':>14} {'engine sim':>14} {'kernel/sim':>11}")
        for p in sorted(set(k) | set(s)):
            kv, sv = k.get(p), s.get(p)
            ratio = f"{kv / sv:.2f}" if kv is not None and sv else "n/a"
            print(f"{p:>10} {mib(kv):>14} {mib(sv):>14} {ratio:>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
