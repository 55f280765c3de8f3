"""The VM boots the kernel the harness promises and our venv runs in it."""

import os
import platform

from guestlib import ADMIN, KDAMONDS, MODULE_PARAMS, read


def test_guest_kernel_has_damon_sysfs_and_both_modules():
    assert platform.release().startswith("6.12."), platform.release()
    assert (KDAMONDS / "nr_kdamonds").is_file()
    ops = {p.name for p in ADMIN.glob("kdamonds/0/contexts/0/operations")}
    assert ops == set() or ops == {"operations"}
    for params in MODULE_PARAMS.values():
        assert read(params / "enabled") == "N"


def test_guest_starts_with_no_kdamond():
    assert read(KDAMONDS / "nr_kdamonds") == "0"


def test_output_share_is_writable():
    out = os.environ["DAMON_TUI_VM_OUT"]
    with open(os.path.join(out, "guest-smoke"), "w") as f:
        f.write("ok\n")


def test_doctor_reports_kernel_damon_sysfs(cli):
    proc = cli("doctor", check=True)
    line = next(ln for ln in proc.stdout.splitlines() if "kernel DAMON" in ln)
    assert "yes" in line, proc.stdout
