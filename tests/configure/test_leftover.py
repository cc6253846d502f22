"""A playbook a killed ``up`` left running (its own session, as ansible-runner starts it) is found by its
inventory and stopped with its process group; one on another inventory is left alone."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from aiinfra_iac.configure.leftover import playbooks_on, stop_leftover_playbooks

# Ignores SIGTERM like a playbook busy in a module would, so the SIGKILL step is exercised too.
PLAYBOOK = (
    "import pathlib, signal, sys, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "pathlib.Path(sys.argv[3] + '.ready').touch()\ntime.sleep(120)\n"
)


def _start(tmp_path: Path, inventory: Path) -> subprocess.Popen[bytes]:
    script = tmp_path / "bin" / "ansible-playbook"
    script.parent.mkdir(exist_ok=True)
    script.write_text(PLAYBOOK)
    return subprocess.Popen(
        [sys.executable, str(script), "--diff", "-i", str(inventory), "site.yml"], start_new_session=True
    )


def _wait_listed(inventory: Path, pid: int) -> None:
    """Until the stand-in ignores SIGTERM (it says so with a file) and is listed."""
    deadline = time.monotonic() + 10
    ready = Path(f"{inventory}.ready")
    while not (ready.exists() and pid in playbooks_on(inventory)) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_the_leftover_on_this_inventory_is_stopped_and_others_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("aiinfra_iac.configure.leftover._GRACE_SECONDS", 0.5)
    ours, theirs = tmp_path / "a" / "hosts.json", tmp_path / "b" / "hosts.json"
    ours.parent.mkdir()
    theirs.parent.mkdir()
    leftover, other = _start(tmp_path, ours), _start(tmp_path, theirs)
    try:
        _wait_listed(ours, leftover.pid)
        _wait_listed(theirs, other.pid)
        assert playbooks_on(ours) == [leftover.pid]
        assert stop_leftover_playbooks(ours) == [leftover.pid]
        assert leftover.wait(timeout=15) == -9  # SIGTERM ignored, then SIGKILL
        assert other.poll() is None and playbooks_on(theirs) == [other.pid]
        assert stop_leftover_playbooks(ours) == []  # nothing left the second time
    finally:
        for proc in (leftover, other):
            proc.kill()
            proc.wait(timeout=15)
