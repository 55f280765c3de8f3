"""process_madvise for real on a child workload: pageout of a file-backed region lowers
its resident size; refused actions say why."""

import subprocess
import sys
import time

import pytest

from damon_tui.ops import madvise
from damon_tui.ops.procfs import ProcFS

SIZE = 64 << 20
CFG = f"""r, {SIZE}

touch
400
r, 0, 4096, 1, ro

idle
60000
r, 0, 4096, 0
"""

pytestmark = pytest.mark.skipif(not madvise.probe()[0], reason="no process_madvise here")


def _region(pid):
    for e in ProcFS("/").read_smaps(pid):
        if SIZE <= e.end - e.start < SIZE + 8192:
            return e
    return None


@pytest.fixture
def child(tmp_path):
    cfg = tmp_path / "one.cfg"
    cfg.write_text(CFG)
    data = tmp_path / "data"
    data.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "damon_tui.commands.workload", str(cfg),
                             "--file-backed", str(data)], stdout=subprocess.PIPE, text=True)
    # the "touch:" line is printed when the region has been read through
    line = proc.stdout.readline()
    assert line.startswith("touch:\t"), line
    yield proc
    proc.kill()
    proc.wait()


def test_pageout_of_file_backed_region_lowers_rss(child):
    from damon_tui.ops.vaddr import VaddrOps

    before = _region(child.pid)
    assert before is not None and before.rss > SIZE // 2, before
    ops = VaddrOps([child.pid], access_check="clear-refs")
    assert "pageout" in ops.supported_actions()
    applied = ops.apply_action(0, "pageout", before.start, before.end)
    assert applied == before.end - before.start  # the kernel's byte count
    deadline = time.monotonic() + 5
    after = _region(child.pid)
    while after.rss > before.rss // 4 and time.monotonic() < deadline:
        time.sleep(0.05)
        after = _region(child.pid)
    assert after.rss < before.rss // 4, (before.rss, after.rss)
    # an unmapped range applies nothing
    assert ops.apply_action(0, "cold", 0x1000, 0x2000) == 0
    ops.close()


def test_refused_actions_say_why(child):
    from damon_tui.ops.vaddr import VaddrOps

    ops = VaddrOps([child.pid], access_check="clear-refs")
    supported = ops.supported_actions()
    for action in ("hugepage", "nohugepage", "lru_prio", "lru_deprio"):
        assert action not in supported
    assert "process_madvise(2) refuses them" in ops.unsupported_reason("hugepage")
    assert "LRU lists" in ops.unsupported_reason("lru_deprio")
    assert ops.apply_action(0, "hugepage", 0, 1 << 30) == 0
    ops.close()
