"""Run a plan's Pulumi program for real through the Automation API.

* one stack per blueprint and target, named by :func:`aiinfra_iac.deployment.paths.stack_name`
  (``metadata.stack``, else the name plus AWS account (or profile)/region or the Kubernetes context), in
  project ``aiinfra``;
* a local file backend by default: ``~/.aiinfra/state`` (``AIINFRA_STATE_DIR`` or
  ``--state-dir`` override), its files made owner-only (0600, folders 0700) after every
  operation because they hold resource IDs and encrypted secrets;
* refresh before every preview, update and destroy, so drift made outside Pulumi shows;
* recovery after an interrupted run (:meth:`Engine.recover`): the stale Pulumi lock is removed,
  pending operations are cleared from the state (export, edit, import) and the stack refreshed —
  the caller holds the stack's own lock (:mod:`aiinfra_iac.lifecycle.lock`), so no other run of
  this toolkit can be using the stack;
* the passphrase secrets provider (``PULUMI_CONFIG_PASSPHRASE`` or ``_FILE``);
* progress streamed line by line to stderr (``on_output``), so stdout stays clean.

The Pulumi CLI is looked for before anything else; without it the caller gets a
:class:`~aiinfra_iac.errors.MissingToolError` (exit 2, one sentence), never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiinfra_iac.deployment.paths import (
    DEFAULT_STATE_DIR,
    STATE_ENV,
    stack_name,
    state_dir,
    usable_state_dir,
)
from aiinfra_iac.errors import MissingToolError, ProvisionError, UsageError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.common import retained_storage

__all__ = ["DEFAULT_STATE_DIR", "STATE_ENV", "state_dir", "usable_state_dir"]

PROJECT = "aiinfra"
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


@dataclass
class Recovery:
    """What :meth:`Engine.recover` found and did."""

    stale_locks: list[Path] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    refreshed: bool = False

    @property
    def did_something(self) -> bool:
        return bool(self.stale_locks or self.pending)

    def lines(self, stack: str) -> list[str]:
        out = []
        if self.stale_locks:
            out.append(f"recovery: removed {len(self.stale_locks)} stale Pulumi lock(s) of stack {stack}")
        if self.pending:
            shown = "; ".join(self.pending[:10]) + (
                f" and {len(self.pending) - 10} more" if len(self.pending) > 10 else ""
            )
            out.append(
                f"recovery: cleared {len(self.pending)} pending operation(s) left by an interrupted run "
                f"({shown}), then refreshed the stack from the cloud"
            )
        return out


def _describe_pending(op: Mapping[str, Any]) -> str:
    resource = op.get("resource") or {}
    name = str(resource.get("urn", "?")).rsplit("::", 1)[-1]
    return f"{op.get('type', '?')} {resource.get('type', '?')} {name}"


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
        return stack_name(self.plan)

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
                if plan.provider.account_id:
                    # The AWS provider refuses to act in any other account:
                    # https://www.pulumi.com/registry/packages/aws/installation-configuration/
                    # (allowedAccountIds, a list; the config value is its JSON form).
                    allowed = json.dumps([plan.provider.account_id])
                    stack.set_config("aws:allowedAccountIds", auto.ConfigValue(allowed))
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
        """Refresh, then preview: the changes an ``up`` would make, drift included."""
        result = self._run("preview", lambda s: s.preview(on_output=self.progress, diff=True, refresh=True))
        return ChangeSummary("preview", _counts(result.change_summary))

    def up(self) -> ChangeSummary:
        """Recover what an interrupted run left, refresh, then update."""
        self.recover()
        result = self._run("up", lambda s: s.up(on_output=self.progress, refresh=True))
        return ChangeSummary("up", _counts(result.summary.resource_changes))

    def refresh(self) -> ChangeSummary:
        result = self._run("refresh", lambda s: s.refresh(on_output=self.progress))
        return ChangeSummary("refresh", _counts(result.summary.resource_changes))

    def recover(self) -> Recovery:
        """Undo what a killed run left behind: its Pulumi lock and its pending operations.

        Pending operations are resources Pulumi started to create, update or delete when the run
        died; the next update refuses to run until they are cleared. They are removed from the
        state (export → edit → import, what ``pulumi stack export/import`` does by hand) and a
        refresh then reads what really exists. Each step is reported on the progress stream.
        """
        recovery = Recovery(stale_locks=self._remove_stale_locks())
        exported = self._run("stack export", lambda s: s.export_stack())
        state = dict(exported.deployment or {})
        pending = list(state.get("pending_operations") or [])
        if pending:
            recovery.pending = [_describe_pending(op) for op in pending]
            state["pending_operations"] = []
            exported.deployment = state
            self._run("stack import", lambda s: s.import_stack(exported))
            self._run("refresh", lambda s: s.refresh(on_output=self.progress))
            recovery.refreshed = True
        for line in recovery.lines(self.stack_name):
            self.progress(line)
        return recovery

    def _remove_stale_locks(self) -> list[Path]:
        """Pulumi's own lock files of this stack (file backend); stale because we hold the stack lock."""
        root = self.state / ".pulumi" / "locks"
        if not root.is_dir():
            return []
        stale = [p for p in root.rglob("*.json") if p.parent.name == self.stack_name]
        for path in stale:
            path.unlink(missing_ok=True)
        return stale

    def remaining(self) -> list[tuple[str, str, bool]]:
        """(type, name, protected) of every resource still in the stack (providers left out)."""
        exported = self._run("stack export", lambda s: s.export_stack())
        found = []
        for res in (exported.deployment or {}).get("resources") or []:
            kind = str(res.get("type", ""))
            if kind.startswith("pulumi:providers:") or kind == "pulumi:pulumi:Stack":
                continue
            name = str(res.get("urn", "")).rsplit("::", 1)[-1]
            found.append((kind, name, bool(res.get("protect"))))
        return found

    def destroy(self, *, purge_retained: bool = False) -> tuple[ChangeSummary, list[str]]:
        """Destroy everything but protected (``retain: true``) storage; returns what was kept.

        ``purge_retained``: first lift ``protect`` and ``retainOnDelete`` from every resource in
        the state, so the retained storage is deleted too (the caller asked for a typed confirmation).
        """
        kept = [] if purge_retained else retained_storage(self.plan)
        if purge_retained:
            self._unprotect_all()
        result = self._run(
            "destroy",
            lambda s: s.destroy(on_output=self.progress, exclude_protected=bool(kept), refresh=True),
        )
        return ChangeSummary("destroy", _counts(result.summary.resource_changes)), kept

    def _unprotect_all(self) -> None:
        exported = self._run("stack export", lambda s: s.export_stack())
        state = dict(exported.deployment or {})
        resources = [dict(r) for r in state.get("resources") or []]
        for res in resources:
            res["protect"] = False
            res.pop("retainOnDelete", None)
        state["resources"] = resources
        exported.deployment = state
        self._run("stack import", lambda s: s.import_stack(exported))


def _last_lines(error: Exception, lines: int = 6) -> str:
    text = str(getattr(error, "stderr", "") or error).strip().splitlines()
    return " | ".join(line.strip() for line in text[-lines:] if line.strip()) or type(error).__name__
