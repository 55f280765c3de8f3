"""The record toggle: write snapshots to a damon-tui record from the engine thread."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

from damon_tui.damos.io import scheme_to_dict
from damon_tui.errors import UserError
from damon_tui.record import RecordWriter, make_header


class NotAvailable(Exception):
    """Recording cannot start (record module missing, replay session, bad path)."""


class Recorder:
    """Appends each snapshot to a record file; safe to close from another thread."""

    def __init__(self, writer, path: str) -> None:
        self.writer = writer
        self.path = path
        self.snapshots = 0
        self._lock = threading.Lock()
        self.closed = False
        self.error: str | None = None

    @property
    def size(self) -> int:
        return self.writer.bytes_written

    def write(self, snapshot) -> None:
        with self._lock:
            if self.closed:
                return
            try:
                self.writer.write_snapshot(snapshot)
            except (OSError, ValueError, UserError) as e:  # a full disk: stop recording
                self.error = str(e)
                self.closed = True
                with contextlib.suppress(OSError, UserError):
                    self.writer.close()
                return
            self.snapshots += 1

    def close(self) -> None:
        with self._lock:
            if not self.closed:
                self.closed = True
                try:
                    self.writer.close()
                except UserError as e:
                    self.error = str(e)


def default_path() -> str:
    return time.strftime("damon-tui-%Y%m%d-%H%M%S.damon")


def start(session, path: str | None = None) -> Recorder:
    """Open a record file for ``session``'s monitor (its header names ops and attrs)."""
    if not session.live:
        raise NotAvailable("recording needs a live target (this is a replay)")

    ops, attrs = session.ops, session.monitor.attrs
    schemes = None
    if getattr(session.monitor, "schemes", ()):
        schemes = [scheme_to_dict(s) for s in session.monitor.schemes]
    header = make_header(
        ops=ops.kind, clock=ops.clock, resolution=ops.resolution,
        access_check=ops.access_check,
        attrs={"sample_us": attrs.sample_us, "aggr_us": attrs.aggr_us,
               "update_us": attrs.update_us, "min_nr_regions": attrs.min_nr_regions,
               "max_nr_regions": attrs.max_nr_regions},
        targets=[{"target_id": t.target_id, "description": t.description, "pid": t.pid}
                 for t in ops.targets()],
        schemes=schemes, seed=session.seed, recorded_by="damon-tui tui",
    )
    path = str(Path(path or default_path()).expanduser())
    try:
        writer = RecordWriter(path, header)
    except UserError as e:
        raise NotAvailable(str(e)) from None
    return Recorder(writer, path)
