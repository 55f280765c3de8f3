"""SIGTERM and SIGHUP end a command like Ctrl-C does (complete file, summary)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

#: the signals that interrupt ``record`` and ``monitor``
INTERRUPTING = (signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise ``KeyboardInterrupt`` in the main
    thread (a no-op elsewhere); the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, _interrupt) for s in INTERRUPTING}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
