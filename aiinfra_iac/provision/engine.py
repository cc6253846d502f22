"""Run a plan's Pulumi program for real through the Automation API.

* one stack per blueprint, named ``<metadata.name>``, in project ``aiinfra``;
* a local file backend by default: ``~/.aiinfra/state`` (``AIINFRA_STATE_DIR`` or
  ``--state-dir`` override), its files made owner-only (0600, folders 0700) after every
  operation because they hold resource IDs and encrypted secrets;
* the passphrase secrets provider (``PULUMI_CONFIG_PASSPHRASE`` or ``_FILE``);
* progress streamed line by line to stderr (``on_output``), so stdout stays clean.

The Pulumi CLI is looked for before anything else; without it the caller gets a
:class:`~aiinfra_iac.errors.MissingToolError` (exit 2, one sentence), never a traceback.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiinfra_iac.errors import MissingToolError, ProvisionError, UsageError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.common import retained_storage

PROJECT = "aiinfra"
STATE_ENV = "AIINFRA_STATE_DIR"
DEFAULT_STATE_DIR = Path("~/.aiinfra/state")
PASSPHRASE_ENVS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
INSTALL_HINT = (
    "install it with `curl -fsSL https://get.pulumi.com | sh` (https://www.pulumi.com/docs/install/)"
)

Progress = Callable[[str], None]


def find_pulumi_cli() -> str | None:
    """The ``pulumi`` executable on PATH or in the installer's default ``~/.pulumi/bin``."""
    found = shutil.which("pulumi")
    if found:
        return found
    default = Path.home() / ".pulumi" / "bin" / "pulumi"
    return str(default) if default.is_file() and os.access(default, os.X_OK) else None


def require_pulumi_cli() -> str:
    cli = find_pulumi_cli()
    if cli is None:
        raise MissingToolError("the Pulumi CLI (pulumi)", INSTALL_HINT + ", then run the command again")
    return cli


def state_dir(override: str | Path | None = None) -> Path:
    """Where stacks and stage records live: flag, then ``AIINFRA_STATE_DIR``, then ``~/.aiinfra/state``."""
    chosen = Path(override) if override else Path(os.environ.get(STATE_ENV) or DEFAULT_STATE_DIR)
    return chosen.expanduser().resolve()


def usable_state_dir(override: str | Path | None = None) -> Path:
    """:func:`state_dir`, created if missing; a path that cannot be a folder is a usage error (exit 2).

    Called before any stage runs, so ``--state-dir /etc/passwd`` stops with one sentence
    instead of a traceback after provisioning.
    """
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
    """Make an existing state folder owner-only (0700), as a new one is created.

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


def ensure_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def harden_state(root: Path) -> None:
    """Owner-only permissions on everything under the state folder."""
    if not root.exists():
        return
    root.chmod(0o700)
    for path in root.rglob("*"):
        if path.is_symlink():
            continue
        path.chmod(0o700 if path.is_dir() else 0o600)


def require_passphrase(environ: Mapping[str, str] | None = None) -> None:
    env = os.environ if environ is None else environ
    if not any(env.get(name) for name in PASSPHRASE_ENVS):
        raise UsageError(
            "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): it encrypts the secrets "
            "in the stack state, and the same passphrase is needed for every later up/diff/down."
        )


@dataclass(frozen=True)
class ChangeSummary:
    """Operation counts of a preview or an update, e.g. ``{"create": 40, "same": 3}``."""

    operation: str
    counts: dict[str, int]

    @property
    def changes(self) -> int:
        return sum(n for op, n in self.counts.items() if op != "same")

    def describe(self) -> str:
        parts = [f"{n} to {op}" for op, n in sorted(self.counts.items()) if op != "same" and n]
        return ", ".join(parts) if parts else "no changes"


def _counts(raw: Mapping[Any, int] | None) -> dict[str, int]:
    return {str(getattr(op, "value", op)): int(n) for op, n in (raw or {}).items()}


class Engine:
    """Preview, update, refresh and destroy one blueprint's stack."""

    def __init__(
        self,
        plan: ClusterPlan,
        *,
        state: str | Path | None = None,
        progress: Progress | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.cli = require_pulumi_cli()  # before anything else
        require_passphrase(environ)
        self.plan = plan
        self.state = state_dir(state)
        self.progress: Progress = progress or (lambda line: None)

    @property
    def stack_name(self) -> str:
        return self.plan.name

    def _stack(self) -> Any:
        from pulumi import automation as auto

        from aiinfra_iac.provision.providers import provider_for

        ensure_private_dir(self.state)
        provider = provider_for(self.plan)
        plan = self.plan
        settings = auto.ProjectSettings(
            name=PROJECT, runtime="python", backend=auto.ProjectBackend(url=self.state.as_uri())
        )
        options = auto.LocalWorkspaceOptions(
            project_settings=settings,
            secrets_provider="passphrase",
            pulumi_command=auto.PulumiCommand(root=str(Path(self.cli).parent.parent)),
        )
        try:
            stack = auto.create_or_select_stack(
                stack_name=self.stack_name,
                project_name=PROJECT,
                program=lambda: provider.build(plan),
                opts=options,
            )
            if plan.provider.type == "aws" and plan.provider.region:
                stack.set_config("aws:region", auto.ConfigValue(plan.provider.region))
                if plan.provider.profile:
                    stack.set_config("aws:profile", auto.ConfigValue(plan.provider.profile))
            if plan.source_files:
                stack.set_config("aiinfra:blueprint", auto.ConfigValue(plan.source_files[0]))
        except auto.errors.CommandError as error:
            raise ProvisionError(
                f"cannot open stack {self.stack_name} in {self.state}: {_last_lines(error)}"
            ) from error
        return stack

    def _run(self, operation: str, call: Callable[[Any], Any]) -> Any:
        from pulumi import automation as auto

        try:
            return call(self._stack())
        except auto.errors.CommandError as error:
            raise ProvisionError(
                f"pulumi {operation} of {self.stack_name} failed: {_last_lines(error)}"
            ) from error
        finally:
            harden_state(self.state)

    def outputs(self) -> dict[str, Any]:
        """The stack's outputs as plain values (``addresses``: node name → private IP)."""
        found = self._run("stack output", lambda s: s.outputs())
        return {name: getattr(value, "value", value) for name, value in dict(found).items()}

    def preview(self) -> ChangeSummary:
        result = self._run("preview", lambda s: s.preview(on_output=self.progress, diff=True))
        return ChangeSummary("preview", _counts(result.change_summary))

    def up(self) -> ChangeSummary:
        result = self._run("up", lambda s: s.up(on_output=self.progress))
        return ChangeSummary("up", _counts(result.summary.resource_changes))

    def refresh(self) -> ChangeSummary:
        result = self._run("refresh", lambda s: s.refresh(on_output=self.progress))
        return ChangeSummary("refresh", _counts(result.summary.resource_changes))

    def destroy(self) -> tuple[ChangeSummary, list[str]]:
        """Destroy everything but protected (``retain: true``) storage; returns what was kept."""
        kept = retained_storage(self.plan)
        result = self._run(
            "destroy", lambda s: s.destroy(on_output=self.progress, exclude_protected=bool(kept))
        )
        return ChangeSummary("destroy", _counts(result.summary.resource_changes)), kept


def _last_lines(error: Exception, lines: int = 6) -> str:
    text = str(getattr(error, "stderr", "") or error).strip().splitlines()
    return " | ".join(line.strip() for line in text[-lines:] if line.strip()) or type(error).__name__
