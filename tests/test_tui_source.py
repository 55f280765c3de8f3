"""LiveSource ends on expected errors with a status line; engine bugs propagate."""

from __future__ import annotations

import threading

import pytest

from damon_tui.engine import Attrs, Monitor
from damon_tui.ops.base import OpsError
from damon_tui.ops.sim import SimOps
from damon_tui.tui.source import LiveSource


class Failing:
    """A monitor whose run() raises ``exc`` after one snapshot."""

    def __init__(self, exc: Exception) -> None:
        self.inner = Monitor(SimOps("zigzag"), Attrs())
        self.ops = self.inner.ops
        self.exc = exc

    def run(self, duration_us=None):
        gen = self.inner.run(duration_us)
        yield next(gen)
        raise self.exc

    def stop(self) -> None:
        self.inner.stop()


def test_ops_error_ends_the_source_with_a_status_line():
    src = LiveSource(Failing(OpsError("pagemap: permission denied")))
    assert len(src.step(3)) == 1
    assert src.ended and src.error == "OpsError: pagemap: permission denied"


def test_an_engine_bug_reaches_the_caller():
    src = LiveSource(Failing(TypeError("bad operand")))
    with pytest.raises(TypeError, match="bad operand"):
        src.step(3)
    assert src.ended and src.error == "internal error: TypeError: bad operand"


def test_an_engine_bug_in_the_worker_thread_reaches_excepthook():
    seen: list[BaseException] = []
    ended = threading.Event()
    old = threading.excepthook
    threading.excepthook = lambda args: seen.append(args.exc_value)
    try:
        src = LiveSource(Failing(ZeroDivisionError("x")),
                         on_snapshot=lambda s: s is None and ended.set(), speed=0.0)
        src.start()
        assert ended.wait(30)  # the app is told the source ended ...
        src._thread.join(30)
    finally:
        threading.excepthook = old
    assert [type(e) for e in seen] == [ZeroDivisionError]  # ... and the traceback goes on
    assert src.error == "internal error: ZeroDivisionError: x"
