"""A scripted fake kernel for the real ops sets: procfs/sysfs files under a tmp root.

It writes ``proc/PID/{maps,smaps,pagemap,stat,cmdline,status,clear_refs}``,
``proc/iomem``, ``proc/meminfo``, ``proc/pressure/memory`` and
``sys/kernel/mm/page_idle/bitmap`` in the kernel's formats; ``access(pfn)`` clears a
page's idle bit like a real access would; ``set_meminfo`` / ``set_psi`` script the
machine's memory metrics (``set_psi(None)`` removes PSI, as with ``psi=0``).
"""

from __future__ import annotations

import struct
from pathlib import Path

PAGE = 4096
PRESENT = 1 << 63


class FakeKernel:
    def __init__(self, root: Path, nr_pfns: int = 1 << 16) -> None:
        self.root = Path(root)
        self.proc = self.root / "proc"
        self.proc.mkdir(parents=True, exist_ok=True)
        bitmap = self.root / "sys/kernel/mm/page_idle/bitmap"
        bitmap.parent.mkdir(parents=True, exist_ok=True)
        bitmap.write_bytes(b"\0" * (nr_pfns // 8))
        self.bitmap = bitmap
        self.set_meminfo(total_kb=16384, free_kb=4096, active_kb=3000, inactive_kb=1000)
        self.set_psi(0)
        (self.proc / "iomem").write_text(
            "00000000-00000fff : Reserved\n"
            "00001000-0009fbff : System RAM\n"
            "00100000-0fffffff : System RAM\n"
            "  01000000-01ffffff : Kernel code\n"
            "10000000-1fffffff : System RAM\n"
            "fe000000-fe0fffff : PCI Bus\n")

    def set_kpageflags(self, flags: dict[int, int], nr_pfns: int = 1 << 16) -> None:
        """``/proc/kpageflags``: one u64 of KPF_* bits per PFN (others 0)."""
        words = [0] * nr_pfns
        for pfn, f in flags.items():
            words[pfn] = f
        (self.proc / "kpageflags").write_bytes(struct.pack(f"<{nr_pfns}Q", *words))

    # -- machine memory -----------------------------------------------------
    def set_meminfo(self, total_kb: int, free_kb: int, active_kb: int | None,
                    inactive_kb: int | None, swap_kb: int = 0) -> None:
        """``/proc/meminfo``; ``active_kb`` / ``inactive_kb`` None leave those lines out."""
        lines = [f"MemTotal:       {total_kb} kB", f"MemFree:        {free_kb} kB",
                 f"MemAvailable:   {free_kb + 1000} kB"]
        if active_kb is not None:
            lines.append(f"Active:         {active_kb} kB")
        if inactive_kb is not None:
            lines.append(f"Inactive:       {inactive_kb} kB")
        lines.append(f"SwapTotal:      {swap_kb} kB")
        (self.proc / "meminfo").write_text("\n".join(lines) + "\n")

    def set_psi(self, some_total_us: int | None, full_total_us: int = 0) -> None:
        """``/proc/pressure/memory`` with this ``some`` total; None: no PSI at all."""
        path = self.proc / "pressure" / "memory"
        if some_total_us is None:
            if path.exists():
                path.unlink()
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"some avg10=0.00 avg60=0.00 avg300=0.00 total={some_total_us}\n"
                        f"full avg10=0.00 avg60=0.00 avg300=0.00 total={full_total_us}\n")

    # -- processes ----------------------------------------------------------
    def add_process(self, pid: int, vmas, refs=None, state: str = "S") -> Path:
        """``vmas``: [(start, end[, path])]; ``refs``: {start: referenced bytes}."""
        d = self.proc / str(pid)
        d.mkdir(parents=True, exist_ok=True)
        (d / "stat").write_text(f"{pid} (fake) {state} 1 1 1 0\n")
        (d / "cmdline").write_bytes(b"fake\0--app\0")
        (d / "status").write_text("Name:\tfake\nUid:\t1000\t1000\t1000\t1000\n")
        (d / "clear_refs").write_text("")
        (d / "pagemap").write_bytes(b"")
        self.set_maps(pid, vmas, refs or {})
        return d

    def set_maps(self, pid: int, vmas, refs) -> None:
        d = self.proc / str(pid)
        maps, smaps = [], []
        for start, end, *path in vmas:  # (start, end[, maps path])
            line = f"{start:x}-{end:x} rw-p 00000000 00:00 0 {path[0] if path else ''}"
            maps.append(line)
            size_kb = (end - start) // 1024
            ref_kb = refs.get(start, 0) // 1024
            smaps.append(f"{line}\nSize:           {size_kb} kB\nKernelPageSize:        4 kB\n"
                         f"Rss:            {size_kb} kB\nPss:            {size_kb} kB\n"
                         f"Referenced:     {ref_kb} kB\nAnonymous:      {size_kb} kB\n"
                         f"VmFlags: rd wr mr mw me ac\n")
        (d / "maps").write_text("\n".join(maps) + "\n")
        (d / "smaps").write_text("".join(smaps))

    def map_page(self, pid: int, vaddr: int, pfn: int | None, file: bool = False) -> None:
        """Point the pagemap entry of ``vaddr`` at ``pfn`` (None = not present);
        ``file``: a file page or shared anon (pagemap bit 61)."""
        path = self.proc / str(pid) / "pagemap"
        entry = 0 if pfn is None else PRESENT | pfn | (1 << 61 if file else 0)
        with open(path, "r+b") as f:
            f.seek((vaddr // PAGE) * 8)
            f.write(struct.pack("<Q", entry))

    def exit(self, pid: int) -> None:
        import shutil

        shutil.rmtree(self.proc / str(pid))

    def clear_refs_written(self, pid: int) -> str:
        return (self.proc / str(pid) / "clear_refs").read_text()

    # -- page idle ----------------------------------------------------------
    def idle(self, pfn: int) -> bool:
        with open(self.bitmap, "rb") as f:
            f.seek((pfn >> 6) * 8)
            word = struct.unpack("<Q", f.read(8))[0]
        return bool(word >> (pfn & 63) & 1)

    def access(self, pfn: int) -> None:
        """A page access: the kernel clears the page's idle bit."""
        with open(self.bitmap, "r+b") as f:
            f.seek((pfn >> 6) * 8)
            word = struct.unpack("<Q", f.read(8))[0]
            f.seek((pfn >> 6) * 8)
            f.write(struct.pack("<Q", word & ~(1 << (pfn & 63))))
