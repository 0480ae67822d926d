"""Named points inside a commit, for the crash trials (docs/operations.md).

`DUCKSEG_TRACE_PHASES=FILE` appends each phase a command reaches to FILE (flushed to disk
before the command goes on), so a trial that kills the process can say where it was.
`DUCKSEG_KILL_AT=PHASE` makes the process SIGKILL itself on reaching PHASE: a kill
that lands exactly mid-commit rather than wherever a timer happens to fall.
Neither is set in normal use, and then `reached` does nothing.
"""

from __future__ import annotations

import os
import signal

TRACE_ENV = "DUCKSEG_TRACE_PHASES"
KILL_ENV = "DUCKSEG_KILL_AT"

# The phases of a snapshot commit, in order.
FILES_WRITTEN = "files-written"  # snapshot files renamed into place, nothing registered
SNAPSHOTS_INSERTED = "snapshots-inserted"  # rows inserted, transaction open
FEED_APPENDED = "feed-appended"  # feed rows and member index written, transaction open
COMMITTED = "committed"  # the transaction is committed
PHASES = (FILES_WRITTEN, SNAPSHOTS_INSERTED, FEED_APPENDED, COMMITTED)


def reached(phase: str) -> None:
    trace = os.environ.get(TRACE_ENV)
    if trace:
        fd = os.open(trace, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, (phase + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    if os.environ.get(KILL_ENV) == phase:
        os.kill(os.getpid(), signal.SIGKILL)
