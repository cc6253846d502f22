"""Interrupts for real: SIGINT/SIGTERM to a running CLI stop it with exit 130 and one line, and the
burn workers (own sessions) die with it; signal handlers are put back after ansible-runner-style
libraries replaced them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aiinfra_iac.childproc import cancel_on_signal, child_env, restored_signals

LOCAL = Path(__file__).resolve().parents[2] / "blueprints" / "local-host.yaml"  # the in-process host sandbox


def cmdline(pid: int) -> str:
    """The process's command line, or "" when it has exited meanwhile (a listed child may be gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


def burn_workers(pid: int) -> list[int]:
    return [p for p in children_of(pid) if "cpu_worker" in cmdline(p)]


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_validate_interrupted_during_the_burn_exits_130_and_kills_the_workers(
    tmp_path: Path, sig: signal.Signals
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiinfra_iac.cli", "validate", str(LOCAL), "--burn-seconds", "60",
         "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 120  # a loaded CI machine starts the CLI and the burn slowly
        while time.monotonic() < deadline and not workers:
            time.sleep(0.2)
            workers = burn_workers(proc.pid)
        assert workers, "the burn never started"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    lines = [line for line in err.splitlines() if line.startswith("`aiinfra validate` interrupted")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "stopped" in lines[0] and "worker process group" in lines[0]
    gone = time.monotonic() + 5  # the kernel reaps a killed group promptly, a loaded machine a little later
    while time.monotonic() < gone and any(alive(w) for w in workers):
        time.sleep(0.1)
    assert not [w for w in workers if alive(w)], "burn workers outlived the CLI"


def test_handlers_are_restored_after_a_library_replaced_them() -> None:
    mine = signal.getsignal(signal.SIGINT)
    with restored_signals():
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # what ansible-runner does, never undone
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    assert signal.getsignal(signal.SIGINT) is mine and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_a_signal_during_a_cancellable_run_cancels_then_interrupts() -> None:
    with pytest.raises(KeyboardInterrupt), cancel_on_signal() as cancelled:
        assert not cancelled()
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        assert cancelled()  # the runner sees the flag and stops its child
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_child_environment_is_an_allow_list() -> None:
    env = child_env(
        {"ANSIBLE_FORKS": "4"},
        base={
            "PATH": "/bin", "HOME": "/h", "LC_ALL": "C", "ANSIBLE_NOCOLOR": "1", "KUBECONFIG": "/k",
            "PULUMI_CONFIG_PASSPHRASE": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_SESSION_TOKEN": "x",
            "GITHUB_TOKEN": "x", "ANSIBLE_VAULT_PASSWORD": "x", "RANDOM_APP_SETTING": "x",
        },
    )  # fmt: skip
    assert env == {
        "PATH": "/bin", "HOME": "/h", "LC_ALL": "C", "ANSIBLE_NOCOLOR": "1", "KUBECONFIG": "/k",
        "ANSIBLE_FORKS": "4",
    }  # fmt: skip


@pytest.mark.slow
def test_up_interrupted_in_validate_says_where_and_resumes_there(tmp_path: Path) -> None:
    text = LOCAL.read_text().replace("name: local-host", "name: local-host-int")
    blueprint = tmp_path / "bp.yaml"
    blueprint.write_text(text.replace("gpuBurn: {seconds: 30}", "gpuBurn: {seconds: 120}"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiinfra_iac.cli", "up", str(blueprint), "--yes",
         "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not burn_workers(proc.pid):
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith("interrupted during validate of local-host-int (finished: provision, configure)")
    stages = (tmp_path / "local-host-int" / "stages.json").read_text()
    assert '"provision"' in stages and '"configure"' in stages and '"validate"' not in stages
