"""The state folder and its layout — one convention for every command and stage.

``<state>`` is ``--state-dir``, else ``$AIINFRA_STATE_DIR``, else ``~/.aiinfra/state`` (0700).
Per stack (see :func:`stack_name`)::

    <state>/<stack>/deployment.json     the deployment record (0600)
    <state>/<stack>/stages.json         which stages of ``up`` finished
    <state>/<stack>/lock                held (fcntl) while ``up``/``down`` run
    <state>/<stack>/configure/          ansible-runner's private data dir (0700, artifacts pruned)
    <state>/<stack>/validate/           the same for the validation playbook (ansible-runner fallback)
    <state>/<stack>/results/<UTC time>/ every validation, run by ``up`` or ``validate``

The Pulumi file backend lives at ``<state>/.pulumi`` (Pulumi's own layout).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path

from aiinfra_iac.errors import UsageError
from aiinfra_iac.plan.model import ClusterPlan

STATE_ENV = "AIINFRA_STATE_DIR"
DEFAULT_STATE_DIR = Path("~/.aiinfra/state")
RESULTS_DIR = "results"
CONFIGURE_DIR = "configure"
VALIDATE_DIR = "validate"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def state_dir(override: str | Path | None = None) -> Path:
    """Flag, then ``AIINFRA_STATE_DIR``, then ``~/.aiinfra/state`` (absolute; not created)."""
    chosen = Path(override) if override else Path(os.environ.get(STATE_ENV) or DEFAULT_STATE_DIR)
    return chosen.expanduser().resolve()


def usable_state_dir(override: str | Path | None = None) -> Path:
    """:func:`state_dir`, created 0700; a path that cannot be a folder is a usage error (exit 2)."""
    path = state_dir(override)
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        reason = "it is a file, not a folder" if path.exists() else error.strerror or str(error)
        raise UsageError(
            f"cannot use {path} as the state folder ({reason}): pass --state-dir or set {STATE_ENV} "
            "to a folder you can write"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(
            f"cannot use {path} as the state folder (not writable): pass --state-dir or set {STATE_ENV} "
            "to a folder you can write"
        )
    tighten_dir(path)
    return path


def tighten_dir(path: Path) -> None:
    """Make an existing state folder owner-only (0700), as a new one is created (issue 16).

    A folder others may write to and that is not ours to narrow (``/tmp``: sticky, or owned by
    someone else) is refused: stack state and stage records must not live where others write."""
    info = path.stat()
    if info.st_mode & 0o077 == 0:
        return
    if info.st_uid == os.getuid() and not info.st_mode & stat.S_ISVTX:
        path.chmod(0o700)
        return
    raise UsageError(
        f"cannot use {path} as the state folder: it is shared (mode {stat.S_IMODE(info.st_mode):o}); "
        f"pass --state-dir or set {STATE_ENV} to a private folder"
    )


def private_dir(path: Path) -> Path:
    """``path`` created (with parents) and made owner-only (0700)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def stack_name(plan: ClusterPlan) -> str:
    """The Pulumi stack (and state sub-folder) of a plan: ``metadata.stack`` when given, else
    the name plus the target, so one name in two accounts, regions or contexts never collides:
    aws ``<name>.<account>.<region>`` (``accountId``; where it is unset the profile stands for the
    account, and is left out when unset too), kubernetes ``<name>.<context>``, onprem/local
    ``<name>``. Characters Pulumi does not allow in stack names become ``-``."""
    if plan.stack:
        return plan.stack
    provider = plan.provider
    parts = [plan.name]
    if provider.type == "aws":
        parts += [p for p in (provider.account_id or provider.profile, provider.region) if p]
    elif provider.type == "kubernetes" and provider.context:
        parts.append(provider.context)
    return ".".join(_UNSAFE.sub("-", p).strip("-") or "x" for p in parts)


def stack_dir(state: Path, plan: ClusterPlan) -> Path:
    return state / stack_name(plan)


def configure_dir(state: Path, plan: ClusterPlan) -> Path:
    return stack_dir(state, plan) / CONFIGURE_DIR


def validate_dir(state: Path, plan: ClusterPlan) -> Path:
    return stack_dir(state, plan) / VALIDATE_DIR


def results_root(state: Path, plan: ClusterPlan) -> Path:
    return stack_dir(state, plan) / RESULTS_DIR


def new_results_dir(state: Path, plan: ClusterPlan, now: dt.datetime | None = None) -> Path:
    """``<state>/<stack>/results/<UTC time>`` (not created)."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return results_root(state, plan) / stamp
