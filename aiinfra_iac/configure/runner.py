"""Run ``roles/site.yml`` through ansible-runner (imported lazily) against a written inventory."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiinfra_iac.ansible_data import UnsafeKeyError, inventory_json
from aiinfra_iac.childproc import child_env, run_ansible
from aiinfra_iac.errors import ConfigureError, MissingToolError

ANSIBLE_INSTALL_HINT = (
    "install it with `pip install ansible-core ansible-runner` (or `apt-get install ansible`)"
)
DEFAULT_FORKS_MAX = 100


@dataclass(frozen=True)
class RunnerOutcome:
    """What ansible-runner reported: its status, return code and where its artifacts are."""

    status: str
    rc: int
    artifact_dir: Path


def find_ansible_playbook() -> Path:
    """``ansible-playbook`` beside this Python (a venv) or on PATH; MissingToolError when absent."""
    beside = Path(sys.executable).with_name("ansible-playbook")
    if beside.exists():
        return beside
    found = shutil.which("ansible-playbook")
    if found is None:
        raise MissingToolError("ansible-playbook", ANSIBLE_INSTALL_HINT)
    return Path(found)


def forks_for(host_count: int) -> int:
    """Forks: ``AIINFRA_ANSIBLE_FORKS`` when set, else one per host up to 100."""
    configured = os.environ.get("AIINFRA_ANSIBLE_FORKS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(DEFAULT_FORKS_MAX, host_count))


def write_inventory(private_data_dir: Path, inventory: Mapping[str, Any]) -> Path:
    """Write the inventory as JSON (read by Ansible's yaml plugin), readable by the owner only.

    Every string in it is marked unsafe (:func:`~aiinfra_iac.configure.inventory.inventory_json`)."""
    inv_dir = private_data_dir / "inventory"
    inv_dir.mkdir(parents=True, exist_ok=True)
    path = inv_dir / "hosts.json"
    try:
        text = inventory_json(inventory)
    except UnsafeKeyError as error:
        raise ConfigureError(str(error)) from None
    tmp = path.with_suffix(".json.tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        handle.write(text)
    tmp.replace(path)
    return path


def run_playbook(
    *,
    private_data_dir: Path,
    playbook: Path,
    roles_dir: Path,
    inventory_path: Path,
    forks: int,
    check: bool,
    event_handler: Callable[[dict[str, Any]], bool],
    extra_env: Mapping[str, str] | None = None,
    tags: Sequence[str] = (),
) -> RunnerOutcome:
    """One ``ansible-playbook`` run; the caller judges the hosts from the events.

    The playbook's environment is an allow-list (:func:`aiinfra_iac.childproc.child_env`): no
    passphrase or cloud credential reaches ansible-runner's artifacts; those live in
    ``private_data_dir`` (the state folder), owner-only, the last two runs kept. SIGINT/SIGTERM
    cancel the run and raise KeyboardInterrupt; the caller's signal handlers are restored.
    """
    ansible_playbook = find_ansible_playbook()
    try:
        import ansible_runner  # noqa: F401
    except ImportError as exc:
        raise MissingToolError("ansible-runner", ANSIBLE_INSTALL_HINT) from exc

    env = child_env()
    env |= {
        "PATH": f"{ansible_playbook.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_ROLES_PATH": str(roles_dir),
        # The roles' own modules (aiinfra_files: a role's files in one module run).
        "ANSIBLE_LIBRARY": str(roles_dir / "library"),
        "ANSIBLE_FORKS": str(forks),
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": str(private_data_dir / "tmp"),
        # One SSH connection per host for the whole run (pipelining above sends modules over it);
        # the control sockets live in a short folder: a Unix socket path is limited to 108 bytes
        # (https://docs.ansible.com/ansible/latest/collections/ansible/builtin/ssh_connection.html).
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=60s",
        "ANSIBLE_SSH_CONTROL_PATH_DIR": f"/tmp/aiinfra-cp-{os.getuid()}",
        # Facts are gathered once per run (site.yml has one play) and never reused by the next run: a
        # node rebooted into another kernel or re-imaged since would otherwise be configured from stale
        # facts (kernel headers, the distribution's package names, the Slurm node line's memory).
        # Gathering costs under a second per node (benchmarks/bench_configure.py).
        "ANSIBLE_GATHERING": "smart",
    }
    env.update(extra_env or {})
    cmdline = "--check --diff" if check else "--diff"
    if tags:  # checked names (aiinfra_iac.configure.tags): no quoting needed
        cmdline += f" --tags {','.join(tags)}"
    runner = run_ansible(
        private_data_dir=private_data_dir,
        project_dir=str(playbook.parent),
        playbook=str(playbook),
        inventory=str(inventory_path),
        envvars=env,
        forks=forks,
        cmdline=cmdline,
        event_handler=event_handler,
        quiet=True,
    )
    artifact_dir = Path(runner.config.artifact_dir)
    return RunnerOutcome(
        status=str(runner.status),
        rc=int(runner.rc if runner.rc is not None else -1),
        artifact_dir=artifact_dir,
    )
