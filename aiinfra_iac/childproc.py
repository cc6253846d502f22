"""Child processes: an allow-listed environment, tracked process groups, ansible-runner tamed.

* :func:`child_env` — the environment handed to every subprocess is an allow-list (locale, paths,
  proxies, tool configuration); passphrases, cloud credentials and tokens never reach a child,
  so they never land in ansible-runner's ``artifacts/<id>/command`` file or a log.
* :func:`track` / :func:`kill_tracked` — workers started in their own session (the CPU burn) are
  recorded, so an interrupted run kills their whole process groups instead of leaving them to
  burn for ``gpuBurn.seconds``.
* :func:`run_ansible` — ansible-runner with that environment, artifacts pruned and owner-only, and
  the caller's SIGINT/SIGTERM handlers restored afterwards (ansible-runner installs its own and
  never puts the old ones back); an interrupt during the run cancels the playbook, then raises
  :class:`KeyboardInterrupt` in the caller.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any

ALLOWED = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR",
        "PYTHONPATH", "VIRTUAL_ENV", "SSH_AUTH_SOCK", "KUBECONFIG",
        "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
        "AIINFRA_STATE_DIR", "AIINFRA_CHROOT_CACHE", "AIINFRA_ANSIBLE_FORKS",
    }
)  # fmt: skip
ALLOWED_PREFIXES = ("LC_", "ANSIBLE_", "OMP_", "OPENBLAS_", "MKL_", "NCCL_")
# ansible-runner's own bookkeeping variables (callback plugin wiring), kept in its child's env
RUNNER_PREFIXES = ("AWX_", "RUNNER_", "ORIGINAL_STDOUT_CALLBACK", "AD_HOC_COMMAND_ID", "PYTHONUNBUFFERED")
SECRET_NAME = re.compile(r"PASSPHRASE|PASSWORD|SECRET|TOKEN|CREDENTIAL(?!S_FILE)|PRIVATE_KEY|SESSION", re.I)


def allowed(name: str) -> bool:
    if SECRET_NAME.search(name):
        return False
    return name in ALLOWED or name.startswith(ALLOWED_PREFIXES)


def child_env(
    extra: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The allow-listed part of ``base`` (default ``os.environ``) plus ``extra`` (given explicitly)."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if allowed(k)}
    env.update(extra or {})
    return env


_tracked: weakref.WeakSet[subprocess.Popen[str]] = weakref.WeakSet()
_lock = threading.Lock()


def track(proc: subprocess.Popen[str]) -> subprocess.Popen[str]:
    """Remember a child started with ``start_new_session`` (it leads its own process group)."""
    with _lock:
        _tracked.add(proc)
    return proc


def kill_tracked(sig: int = signal.SIGKILL) -> list[int]:
    """Signal the process group of every tracked child that is still running; the groups signalled.

    Only running leaders are signalled, so a recycled process id is never hit."""
    with _lock:
        procs = list(_tracked)
        _tracked.clear()
    killed = []
    for proc in procs:
        if proc.poll() is not None:
            continue
        try:
            os.killpg(proc.pid, sig)
            killed.append(proc.pid)
        except OSError:
            pass
    return killed


Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


@contextmanager
def restored_signals() -> Iterator[None]:
    """Put SIGINT/SIGTERM handlers back as they were, whatever the body installs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


@contextmanager
def cancel_on_signal() -> Iterator[Callable[[], bool]]:
    """While the body runs, SIGINT/SIGTERM set a flag (returned as ``is_cancelled``) instead of
    interrupting; afterwards the old handlers are back and a caught signal raises KeyboardInterrupt."""
    caught = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield caught.is_set
        return

    def _flag(signum: int, frame: FrameType | None) -> None:
        caught.set()

    with restored_signals():
        signal.signal(signal.SIGINT, _flag)
        signal.signal(signal.SIGTERM, _flag)
        yield caught.is_set
    if caught.is_set():
        raise KeyboardInterrupt


KEEP_ARTIFACTS = 2


def run_ansible(*, private_data_dir: Path, envvars: Mapping[str, str], **kwargs: Any) -> Any:
    """``ansible_runner.run`` with an allow-listed environment, owner-only pruned artifacts and the
    caller's signal handlers restored; KeyboardInterrupt after cancelling on SIGINT/SIGTERM."""
    import ansible_runner

    private_data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with cancel_on_signal() as cancelled:
        runner = ansible_runner.interface.init_runner(
            private_data_dir=str(private_data_dir),
            envvars=dict(envvars),
            suppress_env_files=True,
            rotate_artifacts=KEEP_ARTIFACTS,
            cancel_callback=cancelled,
            **kwargs,
        )
        # What the caller sets wins over ansible-runner's own defaults (it points the fact cache,
        # ANSIBLE_CACHE_PLUGIN_CONNECTION, into each run's artifact folder, over the caller's value).
        runner.config.env = {
            k: v for k, v in runner.config.env.items() if allowed(k) or k.startswith(RUNNER_PREFIXES)
        } | dict(envvars)
        try:
            runner.run()
        finally:
            harden(private_data_dir)
    return runner


def harden(root: Path) -> None:
    """Owner-only permissions below ``root`` (folders 0700, files 0600)."""
    if not root.exists():
        return
    root.chmod(0o700)
    for path in root.rglob("*"):
        if path.is_symlink():
            continue
        with suppress(OSError):
            path.chmod(0o700 if path.is_dir() else 0o600)
