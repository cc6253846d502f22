"""One ``up``/``down`` at a time per stack: an ``fcntl`` lock on ``<state>/<stack>/lock``.

The kernel drops the lock when the holder exits, however it exits (SIGKILL included), so a
killed run never leaves a stale lock behind; the file only tells the next caller who holds it.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiinfra_iac.deployment.paths import private_dir
from aiinfra_iac.errors import StackLocked

LOCK_FILE = "lock"


@contextmanager
def stack_lock(stack_folder: Path, stack: str, operation: str) -> Iterator[None]:
    """Hold the stack's lock for ``operation``; :class:`StackLocked` at once when another holds it."""
    private_dir(stack_folder)
    path = stack_folder / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise StackLocked(
                f"stack {stack} is locked by {holder}: wait for it to finish (or stop it), then run "
                f"`aiinfra {operation}` again"
            ) from None
        os.ftruncate(fd, 0)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        os.pwrite(fd, f"`aiinfra {operation}` (pid {os.getpid()}, since {stamp})\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
