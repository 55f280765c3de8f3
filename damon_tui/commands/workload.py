"""``damon-tui workload``: run a masim-format workload for real (a target to monitor)."""

from __future__ import annotations

import argparse
import sys

NAME = "workload"
HELP = ("run a masim-format workload for real: each region its own mapping, phases by the "
        "wall clock, per-phase accesses/msec printed like masim")

#: masim's nr_accesses_per_region: accesses per batch (time is checked between batches)
BATCH = 131072


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workload", metavar="NAME|PATH",
                        help="a built-in workload name or a masim config file")
    parser.add_argument("--time-scale", metavar="F", type=float, default=1.0,
                        help="multiply every phase duration by F (e.g. 0.1 for a quick run)")
    parser.add_argument("--file-backed", metavar="DIR", default=None,
                        help="back each region by a file in DIR (removed at exit), so that "
                        "pageout has a visible effect without swap")
    parser.add_argument("--repeat", metavar="N", type=int, default=1,
                        help="run the phases N times (1)")
    parser.add_argument("--batch", metavar="N", type=int, default=BATCH, help=argparse.SUPPRESS)


def _anon_mapping(size: int, name: str):
    """A private anonymous mapping of ``size`` bytes that stays its own VMA.

    The kernel merges adjacent anonymous mappings with equal flags into one VMA, which
    would make two masim regions one mapping (and one smaps entry).  The mapping is
    named ``[anon:masim:NAME]`` where the kernel supports it; otherwise one trailing
    PROT_NONE guard page keeps it apart from the next region.
    """
    import ctypes
    import mmap

    page = mmap.PAGESIZE
    body = -(-size // page) * page
    libc = ctypes.CDLL(None, use_errno=True)
    m = mmap.mmap(-1, body + page, flags=mmap.MAP_PRIVATE)
    anchor = ctypes.c_char.from_buffer(m)
    addr = ctypes.addressof(anchor)
    del anchor
    pr_set_vma, pr_set_vma_anon_name = 0x53564D41, 0
    named = libc.prctl(pr_set_vma, pr_set_vma_anon_name, ctypes.c_ulong(addr),
                       ctypes.c_ulong(body), ctypes.c_char_p(f"masim:{name}"[:79].encode()))
    if named != 0:
        libc.mprotect(ctypes.c_void_p(addr + body), ctypes.c_size_t(page), 0)
    return m


class WorkloadRunner:
    """The regions of a workload as real mappings, and its phases run on them."""

    def __init__(self, workload, file_dir: str | None = None) -> None:
        import mmap
        import os
        from pathlib import Path

        from damon_tui.errors import UserError

        self.workload = workload
        self.maps: list[mmap.mmap] = []
        modes = {"ro": 0, "wo": 1, "rw": 2}
        self._index = {r.name: i for i, r in enumerate(workload.regions)}
        self._modes = modes
        if file_dir is not None and not Path(file_dir).is_dir():
            raise UserError(f"--file-backed: {file_dir} is not a directory")
        try:
            for i, region in enumerate(workload.regions):
                size = max(region.size, 1)
                if file_dir is None:
                    m = _anon_mapping(size, region.name)
                else:
                    path = Path(file_dir) / f"damon-tui-workload-{os.getpid()}-{i}-{region.name}"
                    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
                    try:
                        os.ftruncate(fd, size)
                        m = mmap.mmap(fd, size, flags=mmap.MAP_SHARED)
                    finally:
                        os.close(fd)
                        os.unlink(path)  # the mapping keeps the file until we exit
                self.maps.append(m)
                if region.data_file:
                    self._load(m, region, workload.source)
        except (OSError, OverflowError) as e:
            self.close()
            reason = getattr(e, "strerror", None) or "too large for this machine"
            raise UserError(f"{workload.source or 'workload'}: region {region.name} "
                            f"({region.size} bytes): cannot map it: {reason}") from None

    @staticmethod
    def _load(m, region, source: str) -> None:
        from pathlib import Path

        from damon_tui.errors import UserError

        path = Path(region.data_file)
        if not path.is_absolute() and not path.exists() and source:
            path = Path(source).parent / region.data_file
        try:
            data = path.read_bytes()[: len(m)]
        except OSError as e:
            raise UserError(f"region {region.name}: cannot read data file {path}: "
                            f"{e.strerror}") from None
        m[: len(data)] = data

    def run_phase(self, phase, time_scale: float = 1.0, batch: int = BATCH,
                  seed: int = 1) -> tuple[int, int]:
        """Run one phase with the GIL released; ``(nr_accesses, elapsed_us)``."""
        from damon_tui._fast.access import run_phase

        views = [memoryview(m)[: max(r.size, 1)]
                 for m, r in zip(self.maps, self.workload.regions, strict=True)]
        patterns = [(self._index[p.region], p.random, p.stride, p.probability,
                     self._modes[p.rw]) for p in phase.patterns]
        duration_us = int(phase.duration_ms * 1000 * time_scale)
        try:
            return run_phase(views, patterns, duration_us, batch, seed)
        finally:
            for v in views:
                v.release()

    def close(self) -> None:
        for m in self.maps:
            m.close()
        self.maps = []

    def __enter__(self) -> WorkloadRunner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def resolve(spec: str):
    """A workload given as a built-in name (see ``damon-tui workloads``) or a config path.

    The same lookup as ``--sim`` (:func:`damon_tui.ops.sim.load_workload`).
    """
    from damon_tui.ops.sim import load_workload

    return load_workload(spec)


def _address(m) -> int:
    """Start address of an ``mmap`` object's mapping."""
    import ctypes

    anchor = ctypes.c_char.from_buffer(m)
    try:
        return ctypes.addressof(anchor)
    finally:
        del anchor


def run(args: argparse.Namespace) -> int:
    import math

    from damon_tui.errors import UserError

    if not (args.time_scale > 0 and math.isfinite(args.time_scale)):
        raise UserError(f"--time-scale: expected a positive number, got {args.time_scale}")
    if args.repeat < 1:
        raise UserError(f"--repeat: expected at least 1, got {args.repeat}")
    workload = resolve(args.workload)
    longest_ms = max((p.duration_ms for p in workload.phases), default=0)
    if longest_ms * 1000 * args.time_scale >= 2**63:
        raise UserError(f"--time-scale: {args.time_scale} makes a phase longer than this "
                        "runner can time")
    with WorkloadRunner(workload, file_dir=args.file_backed) as runner:
        # the layout goes to stderr (stdout keeps masim's phase lines only), so that a
        # record or heatmap can be read mapping by mapping
        from damon_tui.units import format_size

        backing = "file-backed" if args.file_backed else "anonymous"
        for m, region in zip(runner.maps, workload.regions, strict=True):
            start = _address(m)
            print(f"# region {region.name}: {start:#x}-{start + max(region.size, 1):#x} "
                  f"({format_size(region.size)}, {backing})", file=sys.stderr, flush=True)
        for _ in range(args.repeat):
            for phase in workload.phases:
                nr, elapsed_us = runner.run_phase(phase, args.time_scale, args.batch)
                ms = elapsed_us / 1000
                rate = int(nr / ms) if ms > 0 else 0
                print(f"{phase.name}:\t{rate} accesses/msec, {int(ms)} msecs run", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m damon_tui.commands.workload``: this command alone (no CLI discovery)."""
    from damon_tui.errors import UserError

    parser = argparse.ArgumentParser(prog="damon-tui workload", description=HELP)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except UserError as e:
        print(f"damon-tui workload: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
