"""Playbook runs an interrupted ``up`` left behind, found and stopped before the next configure.

ansible-runner starts ``ansible-playbook`` in a session of its own (pexpect), so a SIGKILLed ``up``
cannot take it along: the playbook lives on, still converging the nodes (measured here: one kept
running for 40 minutes after its ``up`` was killed, its forks dead, spinning). The next ``up`` holds
the stack lock (:mod:`aiinfra_iac.lifecycle.lock`), so any ``ansible-playbook`` whose inventory is
this deployment's is such a leftover; it is stopped, with its process group, before configure runs
again. Linux only (``/proc``); elsewhere nothing is found.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

_GRACE_SECONDS = 5.0


def playbooks_on(inventory: Path) -> list[int]:
    """PIDs of the running ``ansible-playbook`` processes whose ``-i`` is ``inventory``."""
    wanted = str(inventory.resolve())
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = [a.decode(errors="replace") for a in (entry / "cmdline").read_bytes().split(b"\0") if a]
        except OSError:
            continue
        if not any(Path(arg).name == "ansible-playbook" for arg in argv[:2]):
            continue
        if any(a == "-i" and b == wanted for a, b in itertools.pairwise(argv)):
            found.append(int(entry.name))
    return found


def stop_leftover_playbooks(inventory: Path) -> list[int]:
    """SIGTERM, then after a grace period SIGKILL, the process groups of :func:`playbooks_on`;
    returns the PIDs that were found."""
    pids = playbooks_on(inventory)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [pid for pid in pids if _signal_group(pid, sig)]
        deadline = time.monotonic() + _GRACE_SECONDS
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = [pid for pid in alive if _running(pid)]
        if not alive:
            break
    return pids


def _signal_group(pid: int, sig: signal.Signals) -> bool:
    try:
        os.killpg(os.getpgid(pid), sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie, exited but not reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
