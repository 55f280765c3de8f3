"""Fixtures for the tests that run inside the test VM on a real DAMON kernel.

These tests write the kernel's DAMON sysfs and module parameters. They refuse to run
anywhere but the VM that ``tests/vm/run.py`` boots (its kernel command line carries
``damon_tui_vm=1``), so a stray ``DAMON_TUI_IN_VM=1`` on a host cannot touch the host's
kdamonds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from guestlib import Cli, in_test_vm, reset_kernel

if not in_test_vm():  # checked again before every write (guestlib.require_test_vm)
    pytest.exit("tests/vm/guest writes the kernel's DAMON sysfs: they run only inside "
                "the VM of `python tests/vm/run.py test`", returncode=4)


@pytest.fixture(autouse=True)
def clean_kernel() -> Iterator[None]:
    """Each test starts and ends with no kdamond and both modules off."""
    reset_kernel()
    yield
    reset_kernel()


@pytest.fixture
def cli() -> Cli:
    return Cli()
