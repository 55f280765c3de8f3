#!/usr/bin/env python3
"""Boot Debian's DAMON kernel in qemu (TCG) and run a command of this checkout inside it.

The guest is a busybox initramfs that loads the 9p modules, mounts the host's root
read-only, mounts proc/sysfs/devtmpfs/tracefs/debugfs and tmpfs on /tmp and /run,
mounts a writable output share at ``/tmp/vm-out``, chroots into the host's root and
runs the command from the checkout with the checkout's own ``.venv``. The guest's
exit code and output are written to the output share and returned by this script.

    python tests/vm/run.py setup              # apt: qemu, busybox, cpio, xz; the kernel
    python tests/vm/run.py test [PYTEST ARGS] # the guest tests (tests/vm/guest)
    python tests/vm/run.py run -- CMD ...     # any command, e.g. damon-tui doctor
    python tests/vm/run.py bench [-- ARGS]    # bench/kernel.py (kernel vs damo, vs sim)

Only Debian's packages are used (``apt-get install`` for the tools, ``apt-get download``
+ ``dpkg-deb -x`` for the kernel, never installed). The kernel and the 9p modules are
cached outside git (``$DAMON_TUI_VM_CACHE``, default ``/var/cache/damon-tui/vm``) and
reused when present. Everything is bounded in time; a boot that dies before the command
starts (TCG panics early about one boot in five) is retried.
"""

from __future__ import annotations

import argparse
import gzip
import lzma
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
KERNEL_META = "linux-image-6.12-amd64"
KERNEL_PATTERN = re.compile(r"^linux-image-6\.12\.[0-9]+\+deb12-amd64$")
APT_PACKAGES = ("qemu-system-x86", "busybox-static", "cpio", "xz-utils")
TOOLS = {"qemu-system-x86_64": "qemu-system-x86", "cpio": "cpio", "xz": "xz-utils"}
BUSYBOX = Path("/bin/busybox")
MODULES = ("netfs", "9pnet", "9pnet_virtio", "9p")
STAMP = "complete"
GUEST_OUT = "/tmp/vm-out"
MARK_INIT = "damon-tui-vm: init"
MARK_RUNNING = "damon-tui-vm: running"
MARK_FAIL = "damon-tui-vm: FAILED"
MARK_EXIT = "damon-tui-vm: exit"
# on the guest kernel command line: guest tests refuse to run (and write sysfs) without it
GUEST_CMDLINE_MARK = "damon_tui_vm=1"
# TCG's CPU is an AMD one (no Meltdown, so no page table isolation): without PTI a user
# process runs for long stretches without a CR3 write, and TCG's software TLB, which
# grows to hold every page a process touches, is only flushed on CR3 writes; TCG sets a
# PTE's accessed bit only when it fills a TLB entry, so after DAMON clears the bit
# (without a flush, like the kernel does on hardware, whose TLBs are small) further
# accesses go unseen.  PTI writes CR3 on every kernel entry and exit (no PCID here), so
# the accessed bits behave as on hardware: the record tests see the hot mapping.
GUEST_CMDLINE_TCG = "pti=on"
BOOT_PROBLEMS = ("Kernel panic", "end Kernel panic", "BUG: ", "general protection fault")


class HarnessError(Exception):
    """A failure of the harness itself (not of the guest command); one sentence."""


def log(msg: str) -> None:
    print(f"[vm] {msg}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    env = os.environ.get("DAMON_TUI_VM_CACHE")
    if env:
        return Path(env)
    system = Path("/var/cache/damon-tui/vm")
    try:
        system.mkdir(parents=True, exist_ok=True)
        if os.access(system, os.W_OK):
            return system
    except OSError:
        pass
    return CHECKOUT / "tests" / "vm" / ".cache"


def run_tool(cmd: Sequence[str], *, timeout: float, cwd: Path | None = None) -> str:
    """Run a setup command; its output on failure, as a HarnessError."""
    try:
        proc = subprocess.run(
            list(cmd), cwd=cwd, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"`{shlex.join(cmd)}` did not finish in {timeout:.0f} s") from exc
    except FileNotFoundError as exc:
        raise HarnessError(f"`{cmd[0]}` is not installed") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise HarnessError(
            f"`{shlex.join(cmd)}` exited {proc.returncode}: " + " | ".join(tail)
        )
    return proc.stdout


# ---------------------------------------------------------------- setup (apt)

def missing_tools() -> list[str]:
    """Debian packages whose tools are missing on this machine."""
    pkgs = [pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None]
    if not BUSYBOX.is_file():
        pkgs.append("busybox-static")
    return pkgs


def apt_update_once(state: dict[str, bool]) -> None:
    if not state.get("updated"):
        log("apt-get update")
        run_tool(["apt-get", "update", "-qq"], timeout=600)
        state["updated"] = True


def install_tools(state: dict[str, bool]) -> None:
    pkgs = missing_tools()
    if not pkgs:
        return
    if shutil.which("apt-get") is None:
        raise HarnessError(f"missing {', '.join(pkgs)} and no apt-get to install them")
    apt_update_once(state)
    log(f"apt-get install {' '.join(APT_PACKAGES)}")
    run_tool(["apt-get", "install", "-y", "-qq", *APT_PACKAGES], timeout=900)
    still = missing_tools()
    if still:
        raise HarnessError(f"apt-get install left {', '.join(still)} missing")


def kernel_package_name(state: dict[str, bool]) -> str:
    """The exact ``linux-image-6.12.*+deb12-amd64`` package ``linux-image-6.12-amd64`` needs."""
    for attempt in range(2):
        try:
            out = run_tool(["apt-cache", "depends", KERNEL_META], timeout=120)
        except HarnessError:
            out = ""
        for line in out.splitlines():
            name = line.split(":", 1)[-1].strip()
            if line.strip().startswith("Depends:") and KERNEL_PATTERN.match(name):
                return name
        if attempt == 0:
            apt_update_once(state)
    raise HarnessError(f"apt-cache finds no linux-image-6.12.*+deb12-amd64 behind {KERNEL_META}")


@dataclass(frozen=True)
class Kernel:
    """An unpacked kernel in the cache: vmlinuz plus the 9p modules in load order."""

    dir: Path

    @property
    def name(self) -> str:
        return self.dir.name

    @property
    def vmlinuz(self) -> Path:
        return self.dir / "vmlinuz"

    @property
    def modules(self) -> list[Path]:
        order = (self.dir / "modules.order").read_text().split()
        return [self.dir / "modules" / f"{m}.ko" for m in order]


def cached_kernel(root: Path) -> Kernel | None:
    found = sorted(
        (d for d in root.glob("linux-image-6.12.*") if (d / STAMP).is_file()),
        key=lambda d: [int(x) for x in re.findall(r"\d+", d.name)],
    )
    return Kernel(found[-1]) if found else None


def module_depends(ko: bytes) -> list[str]:
    """The ``depends=`` field of a module's .modinfo section."""
    match = re.search(rb"depends=([^\0]*)\0", ko)
    if match is None:
        return []
    return [d.decode() for d in match.group(1).split(b",") if d]


def load_order(deps: dict[str, list[str]]) -> list[str]:
    """Modules in an order where each comes after what it depends on."""
    order: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in path:
            raise HarnessError(f"module dependency cycle: {' -> '.join((*path, name))}")
        if name not in deps:
            raise HarnessError(f"module {name} is needed but not in the kernel package")
        for dep in deps[name]:
            visit(dep, (*path, name))
        order.append(name)

    for name in deps:
        visit(name, ())
    return order


def fetch_kernel(root: Path, state: dict[str, bool]) -> Kernel:
    """``apt-get download`` the DAMON kernel, unpack it, keep vmlinuz + 9p modules."""
    pkg = kernel_package_name(state)
    dest = root / pkg
    if (dest / STAMP).is_file():
        return Kernel(dest)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".fetch-") as tmp_s:
        tmp = Path(tmp_s)
        os.chmod(tmp, 0o755)
        log(f"apt-get download {pkg}")
        run_tool(["apt-get", "download", "-o", "APT::Sandbox::User=root", pkg],
                 cwd=tmp, timeout=900)
        debs = list(tmp.glob("*.deb"))
        if len(debs) != 1:
            raise HarnessError(f"apt-get download {pkg} left {len(debs)} .deb files")
        unpacked = tmp / "x"
        run_tool(["dpkg-deb", "-x", str(debs[0]), str(unpacked)], timeout=600)
        out = tmp / "kernel"
        (out / "modules").mkdir(parents=True)
        vmlinuz = list((unpacked / "boot").glob("vmlinuz-*"))
        if len(vmlinuz) != 1:
            raise HarnessError(f"{pkg} has {len(vmlinuz)} vmlinuz files")
        shutil.copy(vmlinuz[0], out / "vmlinuz")
        for config in (unpacked / "boot").glob("config-*"):
            shutil.copy(config, out / "config")
        deps: dict[str, list[str]] = {}
        for ko in (unpacked / "lib" / "modules").glob("*/kernel/**/*.ko*"):
            name = ko.name.split(".ko")[0]
            if name not in MODULES:
                continue
            data = lzma.decompress(ko.read_bytes()) if ko.name.endswith(".xz") else ko.read_bytes()
            (out / "modules" / f"{name}.ko").write_bytes(data)
            deps[name] = module_depends(data)
        absent = [m for m in MODULES if m not in deps]
        if absent:
            raise HarnessError(f"{pkg} lacks the modules {', '.join(absent)}")
        (out / "modules.order").write_text("\n".join(load_order(deps)) + "\n")
        (out / "package").write_text(debs[0].name + "\n")
        (out / STAMP).write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
        if dest.exists():
            shutil.rmtree(dest)
        out.rename(dest)
    log(f"kernel cached in {dest}")
    return Kernel(dest)


def setup(*, refresh: bool = False) -> Kernel:
    """Install the tools and fetch the kernel unless both are already here."""
    state: dict[str, bool] = {}
    install_tools(state)
    root = cache_root()
    kernel = None if refresh else cached_kernel(root)
    return kernel if kernel is not None else fetch_kernel(root, state)


# ---------------------------------------------------------------- initramfs

INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "@MARK_FAIL@ $*"; sync; poweroff -f; }
mkdir -p /proc /sys /dev /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "@MARK_INIT@ $(cut -d' ' -f1 /proc/uptime) s"
for m in $(cat /modules.order); do
    insmod /modules/$m.ko || fail "insmod $m"
done
O=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o $O,ro,cache=loose hostroot /newroot || fail "mount hostroot"
R=/newroot
mount -t proc proc $R/proc || fail "mount proc"
mount -t sysfs sysfs $R/sys || fail "mount sysfs"
mount -t devtmpfs devtmpfs $R/dev || fail "mount devtmpfs"
mount -t tracefs tracefs $R/sys/kernel/tracing || echo "damon-tui-vm: no tracefs"
mount -t debugfs debugfs $R/sys/kernel/debug || echo "damon-tui-vm: no debugfs"
mount -t tmpfs tmpfs $R/tmp || fail "mount /tmp"
mount -t tmpfs tmpfs $R/run || fail "mount /run"
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mkdir -p $R@GUEST_OUT@
mount -t 9p -o $O out $R@GUEST_OUT@ || fail "mount output share"
# the checkout (and its .venv) at its own path: it may live under /tmp, hidden above
mkdir -p $R@CHECKOUT@
mount -t 9p -o $O,ro checkout $R@CHECKOUT@ || fail "mount checkout"
hostname damon-tui-vm
echo "@MARK_RUNNING@ $(cut -d' ' -f1 /proc/uptime) s"
chroot $R /bin/sh @GUEST_OUT@/cmd.sh </dev/null 2>&1 | tee $R@GUEST_OUT@/output.log
sync
umount $R@GUEST_OUT@
poweroff -f
"""


def init_script() -> str:
    return (INIT.replace("@MARK_FAIL@", MARK_FAIL).replace("@MARK_INIT@", MARK_INIT)
            .replace("@MARK_RUNNING@", MARK_RUNNING).replace("@GUEST_OUT@", GUEST_OUT)
            .replace("@CHECKOUT@", shlex.quote(str(CHECKOUT))))


def build_initramfs(kernel: Kernel, work: Path) -> Path:
    """A gzipped newc cpio: busybox, /init, the 9p modules in load order."""
    tree = work / "initramfs"
    for sub in ("bin", "modules"):
        (tree / sub).mkdir(parents=True)
    shutil.copy(BUSYBOX, tree / "bin" / "busybox")
    for ko in kernel.modules:
        shutil.copy(ko, tree / "modules" / ko.name)
    (tree / "modules.order").write_text((kernel.dir / "modules.order").read_text())
    init = tree / "init"
    init.write_text(init_script())
    init.chmod(0o755)
    files = sorted(str(p.relative_to(tree)) for p in tree.rglob("*"))
    cpio = subprocess.run(
        ["cpio", "-o", "-H", "newc", "--quiet", "-R", "0:0"], cwd=tree,
        input=("\n".join([".", *files]) + "\n").encode(), capture_output=True, timeout=120,
    )
    if cpio.returncode != 0:
        raise HarnessError(f"cpio failed: {cpio.stderr.decode(errors='replace').strip()}")
    out = work / "initrd.gz"
    out.write_bytes(gzip.compress(cpio.stdout, compresslevel=1))
    return out


# ---------------------------------------------------------------- boot and run

GUEST_ENV = {
    "PATH": "{venv}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "VIRTUAL_ENV": "{venv}",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "TERM": "dumb",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "DAMON_TUI_IN_VM": "1",
    "DAMON_TUI_VM_OUT": GUEST_OUT,
}


def command_script(argv: Sequence[str], venv: Path) -> str:
    env = "\n".join(
        f"export {k}={shlex.quote(v.format(venv=venv))}" for k, v in GUEST_ENV.items()
    )
    return (
        f"{env}\ncd {shlex.quote(str(CHECKOUT))} || exit 97\n"
        f"echo \"damon-tui-vm: kernel $(uname -r), $(nproc) cpus\"\n"
        f"{shlex.join(argv)}\nrc=$?\necho $rc > {GUEST_OUT}/rc\n"
        f"echo \"damon-tui-vm: exit $rc\"\n"
    )


@dataclass
class Boot:
    """What one boot produced."""

    rc: int | None          # the guest command's exit code; None when it never finished
    reached_running: bool   # the command was started
    timed_out: str          # "" or which limit was hit
    seconds_to_running: float | None
    seconds_total: float
    console: list[str]


def qemu_argv(kernel: Kernel, initrd: Path, out: Path, *, memory: int, smp: int) -> list[str]:
    return [
        "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", str(memory),
        "-smp", str(smp), "-kernel", str(kernel.vmlinuz), "-initrd", str(initrd),
        "-append", f"console=ttyS0 quiet panic=-1 {GUEST_CMDLINE_TCG} {GUEST_CMDLINE_MARK}",
        "-nographic", "-no-reboot",
        "-virtfs",
        "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
        "-virtfs", f"local,path={out},mount_tag=out,security_model=none,multidevs=remap",
        "-virtfs", f"local,path={CHECKOUT},mount_tag=checkout,security_model=none,"
        "readonly=on,multidevs=remap",
    ]


def boot_once(argv: list[str], out: Path, *, boot_timeout: float, run_timeout: float,
              echo: bool, nice: int) -> Boot:
    """Boot once; stream the console; enforce both time limits."""
    (out / "rc").unlink(missing_ok=True)
    start = time.monotonic()
    console: list[str] = []
    running_at: list[float] = []
    finished: list[bool] = []
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )

    def reader() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip("\r\n")
            console.append(line)
            if line.startswith(MARK_RUNNING) and not running_at:
                running_at.append(time.monotonic() - start)
                log(f"guest userspace ready after {running_at[0]:.1f} s")
            elif line.startswith(MARK_EXIT):
                finished.append(True)
            elif echo and running_at and not finished:
                print(line, flush=True)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    timed_out = ""
    try:
        while proc.poll() is None:
            now = time.monotonic() - start
            if not running_at and now > boot_timeout:
                timed_out = f"boot did not reach the command within {boot_timeout:.0f} s"
            elif running_at and now - running_at[0] > run_timeout:
                timed_out = f"the guest command ran longer than {run_timeout:.0f} s"
            if timed_out:
                break
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        thread.join(timeout=5)
    rc_file = out / "rc"
    rc = int(rc_file.read_text().strip()) if rc_file.is_file() else None
    return Boot(rc, bool(running_at), timed_out,
                running_at[0] if running_at else None, time.monotonic() - start, console)


def run_in_vm(argv: Sequence[str], *, out: Path | None = None, retries: int = 3,
              boot_timeout: float = 180, run_timeout: float = 900, memory: int = 3072,
              smp: int = 2, echo: bool = True, nice: int = 0) -> int:
    """Run ``argv`` in the checkout inside the guest; its exit code."""
    venv = CHECKOUT / ".venv"
    if not (venv / "bin" / "python").exists():
        raise HarnessError(f"no venv at {venv}: create it first (see README)")
    kernel = setup()
    with tempfile.TemporaryDirectory(prefix="damon-tui-vm-") as work_s:
        work = Path(work_s)
        initrd = build_initramfs(kernel, work)
        out = out or work / "out"
        out.mkdir(parents=True, exist_ok=True)
        (out / "cmd.sh").write_text(command_script(argv, venv))
        qemu = qemu_argv(kernel, initrd, out, memory=memory, smp=smp)
        log(f"kernel {kernel.name}; output share {out}")
        for attempt in range(1, retries + 1):
            boot = boot_once(qemu, out, boot_timeout=boot_timeout, run_timeout=run_timeout,
                             echo=echo, nice=nice)
            (out / f"console-{attempt}.log").write_text("\n".join(boot.console) + "\n")
            if boot.rc is not None:
                log(f"guest command exited {boot.rc} after {boot.seconds_total:.1f} s "
                    f"(boot {boot.seconds_to_running:.1f} s, attempt {attempt})")
                return boot.rc
            if boot.reached_running:
                tail = "\n".join(boot.console[-30:])
                why = boot.timed_out or "the guest died while the command ran"
                raise HarnessError(f"{why}; last console lines:\n{tail}")
            problem = next((ln for ln in boot.console if any(p in ln for p in BOOT_PROBLEMS)
                            or ln.startswith(MARK_FAIL)), None)
            log(f"boot {attempt}/{retries} failed after {boot.seconds_total:.1f} s: "
                f"{boot.timed_out or problem or 'qemu exited before the command started'}")
            failed = [ln for ln in boot.console if ln.startswith(MARK_FAIL)]
            if failed:  # the init script itself failed: retrying will not help
                raise HarnessError(f"guest init failed: {failed[0]}")
        tail = "\n".join(boot.console[-30:])
        raise HarnessError(f"the VM did not boot in {retries} attempts; last console lines:\n"
                           f"{tail}")


def main(args: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_setup = sub.add_parser("setup", help="install qemu/busybox/cpio/xz and fetch the kernel")
    p_setup.add_argument("--refresh", action="store_true",
                         help="download the kernel even when one is cached")
    p_test = sub.add_parser("test", help="run the guest tests (tests/vm/guest) in the VM")
    p_run = sub.add_parser("run", help="run a command of the checkout in the VM")
    p_bench = sub.add_parser("bench", help="run bench/kernel.py in the VM (ARGS after --)")
    for p in (p_test, p_run, p_bench):
        p.add_argument("--retries", type=int, default=3, help="boots to try (default 3)")
        p.add_argument("--boot-timeout", type=float, default=180, metavar="S")
        p.add_argument("--timeout", type=float, default=900, metavar="S",
                       help="limit for the guest command once started (default 900)")
        p.add_argument("--out", type=Path, help="keep the output share in this directory")
        p.add_argument("--nice", type=int, default=0, help="run qemu at this niceness")
        p.add_argument("--quiet", action="store_true", help="do not echo the guest's output")
        p.add_argument("rest", nargs=argparse.REMAINDER)
    ns = parser.parse_args(args)
    try:
        if ns.cmd == "setup":
            kernel = setup(refresh=ns.refresh)
            log(f"ready: kernel {kernel.name} in {kernel.dir}")
            return 0
        rest = ns.rest[1:] if ns.rest[:1] == ["--"] else ns.rest
        if ns.cmd == "test":
            # plugin autoload scans every dist-info over 9p under TCG: ~30 s for nothing
            argv = ["env", "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1", "python", "-m", "pytest", "-q",
                    "-p", "no:cacheprovider", "--durations=5", "tests/vm/guest", *rest]
        elif ns.cmd == "bench":
            argv = ["python", "bench/kernel.py", *rest]
        else:
            if not rest:
                parser.error("run needs a command")
            argv = rest
        out = ns.out.resolve() if ns.out else None
        return run_in_vm(argv, out=out, retries=ns.retries, boot_timeout=ns.boot_timeout,
                         run_timeout=ns.timeout, echo=not ns.quiet, nice=ns.nice)
    except HarnessError as exc:
        log(f"error: {exc}")
        return 3


if __name__ == "__main__":
    sys.exit(main())
