"""``run_configure``: the configure stage of ``aiinfra up`` and the node part of ``aiinfra diff``.

Builds the inventory from the plan, runs ``roles/site.yml`` through ansible-runner with a live
per-host progress display on the given console (stderr), prints the per-host summary and returns a
:class:`ConfigureResult`. Failed or unreachable hosts are reported by name once every other host has
finished; they raise :class:`~aiinfra_iac.errors.ConfigureError`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from aiinfra_iac.configure.inventory import CHROOT_PREFIX, NodeAddress, build_inventory
from aiinfra_iac.configure.progress import HostProgress, RunTracker
from aiinfra_iac.configure.roles import NOT_CONFIGURED, configures_nodes, roles_for_pool
from aiinfra_iac.configure.rolevars import unmounted_lustre
from aiinfra_iac.configure.runner import forks_for, run_playbook, write_inventory
from aiinfra_iac.configure.tags import roles_for_tags
from aiinfra_iac.configure.taskcount import expected_tasks
from aiinfra_iac.deployment import Chroot, Deployment
from aiinfra_iac.errors import ConfigureError, NodesUnreachable, UsageError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.resources import bundled_path

PLAYBOOK = "site.yml"
PROVIDERS_NEEDING_ADDRESSES = frozenset({"aws"})


@dataclass(frozen=True)
class HostOutcome:
    """The recap of one host."""

    name: str
    pool: str
    ok: int
    changed: int
    failed: int
    skipped: int
    unreachable: bool
    failures: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ConfigureResult:
    """What the configure run did on each host."""

    check: bool
    hosts: Mapping[str, HostOutcome]
    seconds: float
    artifact_dir: Path | None
    skipped_reason: str | None = None
    """Why nothing ran (e.g. an existing Kubernetes cluster), None when Ansible ran."""
    changed_hosts: tuple[str, ...] = field(default=())
    """Hosts with changed tasks; in check mode the hosts whose configuration differs (``diff``)."""

    @property
    def failed_hosts(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hosts.values() if h.failed and not h.unreachable)

    @property
    def unreachable_hosts(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hosts.values() if h.unreachable)

    @property
    def changes_present(self) -> bool:
        return bool(self.changed_hosts)


def default_private_data_dir(plan: ClusterPlan) -> Path:
    """``$AIINFRA_STATE_DIR/<cluster>/configure`` (default ``~/.aiinfra/state``)."""
    base = Path(os.environ.get("AIINFRA_STATE_DIR", "~/.aiinfra/state")).expanduser()
    return base / plan.name / "configure"


def _check_addresses(plan: ClusterPlan, addresses: Mapping[str, NodeAddress] | None) -> None:
    if plan.provider.type == "local":
        _check_sandbox_addresses(plan, addresses)
        return
    if plan.provider.type not in PROVIDERS_NEEDING_ADDRESSES:
        return
    missing = [
        h for p in plan.pools if roles_for_pool(plan, p) for h in p.hosts if h not in (addresses or {})
    ]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise UsageError(
            f"no address known for {len(missing)} node(s) ({shown}): {plan.provider.type} nodes get their "
            "addresses when they are provisioned; run `aiinfra up FILE --only provision` first"
        )


def _is_chroot(address: NodeAddress | None) -> bool:
    return isinstance(address, Chroot) or (isinstance(address, str) and address.startswith(CHROOT_PREFIX))


def _check_sandbox_addresses(plan: ClusterPlan, addresses: Mapping[str, NodeAddress] | None) -> None:
    """A local sandbox is only ever configured through chroot addresses, never this machine itself."""
    given = addresses or {}
    wrong = [h for p in plan.pools for h in p.hosts if not _is_chroot(given.get(h))]
    if wrong:
        raise UsageError(
            f"local sandbox node(s) {', '.join(wrong[:5])} have no chroot address: configure never retunes "
            "the machine it runs on; run `aiinfra up FILE --only provision` to create the sandbox first"
        )


def run_configure(
    plan: ClusterPlan,
    *,
    check: bool = False,
    console: Console,
    addresses: Mapping[str, NodeAddress] | None = None,
    private_data_dir: Path | None = None,
    storage_endpoints: Mapping[str, Mapping[str, str]] | None = None,
    deployment: Deployment | None = None,
    tags: Sequence[str] = (),
) -> ConfigureResult:
    """Configure every node of ``plan`` (``check=True``: check + diff mode, nothing changed).

    ``addresses``: node name → address from provisioning (``10.0.0.5``, ``ssh://user@host:port``,
    ``chroot:/path``, ``local``); required for aws nodes, optional elsewhere.
    ``storage_endpoints``: fsx-lustre name → ``{"dnsName", "mountName"}`` provision outputs.
    ``private_data_dir``: ansible-runner's directory (inventory, artifacts); default
    ``$AIINFRA_STATE_DIR/<cluster>/configure``.
    ``deployment``: the deployment record; when given, its node accesses and storage endpoints
    replace ``addresses`` and ``storage_endpoints``.
    ``tags``: only these concerns (:mod:`aiinfra_iac.configure.tags`, checked names); all when empty.
    """
    started = time.monotonic()
    if deployment is not None:
        addresses = deployment.access_by_node()
        storage_endpoints = endpoints_of(deployment)
    if not configures_nodes(plan):
        reason = f"provider {plan.provider.type}: {NOT_CONFIGURED[plan.provider.type]}"
        return ConfigureResult(check=check, hosts={}, seconds=0.0, artifact_dir=None, skipped_reason=reason)
    _check_addresses(plan, addresses)
    try:
        roles_dir = bundled_path("roles")
    except FileNotFoundError as error:
        raise ConfigureError(str(error)) from error
    playbook = roles_dir / PLAYBOOK
    pdd = (private_data_dir or default_private_data_dir(plan)).resolve()
    pdd.mkdir(parents=True, exist_ok=True, mode=0o700)
    pdd.chmod(0o700)  # an existing folder is narrowed too: it holds the inventory and run logs
    inventory_path = write_inventory(pdd, build_inventory(plan, addresses, storage_endpoints))
    for name in unmounted_lustre(plan, storage_endpoints or {}):
        console.print(
            f"[yellow]warning:[/] fsx-lustre storage '{name}' is not mounted: its DNS and mount names come "
            "from provisioning and were not given"
        )

    host_pool = {h: p.name for p in plan.pools if roles_for_pool(plan, p) for h in p.hosts}
    per_pool = {
        p.name: expected_tasks(roles_dir, playbook, roles_for_tags(roles_for_pool(plan, p), tags, playbook))
        for p in plan.pools
    }
    tracker = RunTracker(host_pool, per_pool, console=console, title="check" if check else "configure")
    tracker.start()
    try:
        outcome = run_playbook(
            private_data_dir=pdd,
            playbook=playbook,
            roles_dir=roles_dir,
            inventory_path=inventory_path,
            forks=forks_for(len(host_pool)),
            check=check,
            event_handler=tracker,
            tags=tags,
        )
    finally:
        tracker.stop()
    console.print(tracker.summary_table(check=check))
    result = _result(
        tracker, check=check, seconds=time.monotonic() - started, artifact_dir=outcome.artifact_dir
    )
    if result.unreachable_hosts:
        raise NodesUnreachable(
            "configure",
            [(h.name, _cause(h)) for h in tracker.hosts.values() if h.unreachable],
            hint=f"run log: {outcome.artifact_dir / 'stdout'}",
        )
    if result.failed_hosts:
        raise ConfigureError(_failure_message(tracker.hosts, outcome.artifact_dir))
    if outcome.rc != 0 or not tracker.recap_seen:
        raise ConfigureError(
            f"ansible-playbook ended with status {outcome.status} (rc={outcome.rc}) before its recap; "
            f"see {outcome.artifact_dir / 'stdout'}"
        )
    return result


def endpoints_of(deployment: Deployment) -> dict[str, dict[str, str]]:
    """fsx-lustre name -> ``{"dnsName", "mountName"}`` (what the storage role vars take)."""
    return {
        s.name: {"dnsName": s.dns_name or "", "mountName": s.mount_name or ""}
        for s in deployment.storage
        if s.type == "fsx-lustre" and s.mountable
    }


def _result(tracker: RunTracker, *, check: bool, seconds: float, artifact_dir: Path) -> ConfigureResult:
    hosts = {
        name: HostOutcome(
            name=h.name,
            pool=h.pool,
            ok=h.ok,
            changed=h.changed,
            failed=h.failed,
            skipped=h.skipped,
            unreachable=h.unreachable,
            failures=tuple(h.failures),
        )
        for name, h in tracker.hosts.items()
    }
    changed = tuple(name for name, h in hosts.items() if h.changed)
    return ConfigureResult(
        check=check, hosts=hosts, seconds=seconds, artifact_dir=artifact_dir, changed_hosts=changed
    )


def _cause(host: HostProgress) -> str:
    if not host.failures:
        return "unreachable"
    return " ".join(host.failures[-1][1].split())[:300] or "unreachable"


def _failure_message(hosts: Mapping[str, HostProgress], artifact_dir: Path) -> str:
    bad = [h for h in hosts.values() if h.failed or h.unreachable]
    lines = [f"configure failed on {len(bad)} of {len(hosts)} host(s):"]
    for host in bad[:20]:
        kind = "unreachable" if host.unreachable else "failed"
        task, message = host.failures[-1] if host.failures else ("", "see the run log")
        where = f" at task '{task}'" if task else ""
        lines.append(f"  {host.name} ({host.pool}): {kind}{where}: {message}")
    if len(bad) > 20:
        lines.append(f"  … and {len(bad) - 20} more")
    lines.append(f"run log: {artifact_dir / 'stdout'}")
    return "\n".join(lines)
