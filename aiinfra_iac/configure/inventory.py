"""Ansible inventory from a ClusterPlan: groups per pool, role, fabric; facts as group vars.

Shape (YAML/JSON inventory, the ``ansible.builtin.yaml`` plugin reads it as is)::

    all:
      vars: {aiinfra_cluster: …, ansible_user: …}        # cluster facts + connection
      children:
        pool_<name>: {hosts: {<node>: {ansible_host: …}}, vars: {aiinfra_roles: […], <role>_<var>: …}}
        compute|controller|login: {children: {pool_<name>: {}}}
        fabric_efa|fabric_infiniband|fabric_roce: {children: …}
        gpu: {children: …}
        role_<role>: {children: …}                        # pools a role applies to

Everything per pool (rails, GPU→NUMA, role vars) lives once in the pool's group vars, so the
per-host part is a name and at most an address: 10,240 hosts build in milliseconds.
Secrets (the Slurm munge key) are never written here; the runner passes them as environment
variables that the roles read with ``lookup('ansible.builtin.env', …)`` under ``no_log``.

Blueprints are untrusted input (docs/security.md): every string written into the inventory file
goes through :func:`inventory_json`, which marks it ``{"__ansible_unsafe": …}`` so Ansible treats
it as data and never renders ``{{ … }}`` or ``{% … %}`` in it. Ansible's JSON loader turns that
marker into an unsafe string (``ansible/_internal/_json/_profiles/_legacy.py`` in ansible-core
2.19, ``AnsibleJSONDecoder`` before:
https://docs.ansible.com/ansible/latest/playbook_guide/playbooks_advanced_syntax.html#unsafe-or-raw-strings).
Mapping keys cannot carry the marker, so a key holding template delimiters is refused instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from aiinfra_iac.ansible_data import UnsafeKeyError, inventory_json, mark_unsafe
from aiinfra_iac.configure.roles import roles_for_pool
from aiinfra_iac.configure.rolevars import ROLE_VARS, RoleContext
from aiinfra_iac.deployment.connect import ansible_vars
from aiinfra_iac.deployment.model import Chroot, Local, Ssh, Ssm
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan

__all__ = [
    "UnsafeKeyError",
    "build_inventory",
    "configuration_entries",
    "host_address_vars",
    "inventory_json",
    "mark_unsafe",
    "role_vars_for_pool",
    "roles_for_pool",
]

CHROOT_PREFIX = "chroot:"
LOCAL_ADDRESS = "local"
SSH_PREFIX = "ssh://"


def role_vars_for_pool(
    plan: ClusterPlan,
    pool: PoolPlan,
    storage_endpoints: Mapping[str, Mapping[str, str]] | None = None,
    ctx: RoleContext | None = None,
) -> dict[str, object]:
    """The role-prefixed variables of every role applied to ``pool``.

    ``storage_endpoints`` (fsx-lustre name → ``{"dnsName", "mountName"}`` from provisioning) adds the
    Lustre mounts; without it those mounts are left out (their addresses do not exist before ``up``).
    Pass one ``ctx`` for all pools of a plan so cluster-wide values are computed once.
    """
    ctx = ctx or RoleContext(storage_endpoints=storage_endpoints or {})
    out: dict[str, object] = {}
    for role in roles_for_pool(plan, pool):
        out.update(ROLE_VARS[role](plan, pool, ctx))
    return out


def pool_group_vars(
    plan: ClusterPlan,
    pool: PoolPlan,
    storage_endpoints: Mapping[str, Mapping[str, str]] | None = None,
    ctx: RoleContext | None = None,
) -> dict[str, object]:
    """Group vars of ``pool_<name>``: pool facts shared by all its hosts plus the role variables."""
    facts: dict[str, object] = {
        "aiinfra_pool": pool.name,
        "aiinfra_pool_role": pool.role,
        "aiinfra_roles": roles_for_pool(plan, pool),
        "aiinfra_gpu_model": pool.gpu.model if pool.gpu else None,
        "aiinfra_gpu_count": pool.gpus_per_node,
        "aiinfra_gpu_numa": list(pool.gpu_numa),
        "aiinfra_numa_nodes": pool.numa_nodes,
        "aiinfra_fabric_type": pool.fabric.type if pool.fabric else None,
        "aiinfra_rails": [
            {
                "index": r.index,
                "device": r.device,
                "gpus": list(r.gpus),
                "numa_node": r.numa_node,
                "link_gbps": r.link_gbps,
            }
            for r in pool.rails
        ],
    }
    facts.update(role_vars_for_pool(plan, pool, storage_endpoints, ctx))
    return facts


def cluster_vars(plan: ClusterPlan) -> dict[str, object]:
    """``all.vars``: cluster facts and the provider's connection settings."""
    out: dict[str, object] = {
        "aiinfra_cluster": plan.name,
        "aiinfra_team": plan.team,
        "aiinfra_provider": plan.provider.type,
        "aiinfra_scheduler": plan.scheduler.type,
        "aiinfra_pools": [p.name for p in plan.pools],
    }
    provider = plan.provider
    if provider.type == "onprem":
        if provider.ssh_user:
            out["ansible_user"] = provider.ssh_user
        if provider.ssh_private_key_file:
            out["ansible_ssh_private_key_file"] = provider.ssh_private_key_file
    return out


NodeAddress = str | Ssh | Ssm | Chroot | Local
"""A typed access of the deployment record, or (tests, older callers) an address string."""


def host_address_vars(address: NodeAddress) -> dict[str, object]:
    """Host vars for one node: a deployment record access (:mod:`aiinfra_iac.deployment`), or a string
    ``chroot:/path`` (a chroot on this machine), ``local`` (this machine), ``ssh://[user@]host[:port]``,
    or a bare host name / IP address.
    """
    if not isinstance(address, str):
        return ansible_vars(address)
    if address.startswith(CHROOT_PREFIX):
        return {
            "ansible_connection": "community.general.chroot",
            "ansible_host": address[len(CHROOT_PREFIX) :],
        }
    if address == LOCAL_ADDRESS:
        return {"ansible_connection": "local"}
    if address.startswith(SSH_PREFIX):
        url = urlsplit(address)
        out: dict[str, object] = {"ansible_host": url.hostname or ""}
        if url.port:
            out["ansible_port"] = url.port
        if url.username:
            out["ansible_user"] = url.username
        return out
    return {"ansible_host": address}


def _pool_hosts(pool: PoolPlan, addresses: Mapping[str, NodeAddress] | None) -> dict[str, Any]:
    if not addresses:
        return dict.fromkeys(pool.hosts)
    return {h: (host_address_vars(addresses[h]) if h in addresses else None) for h in pool.hosts}


def build_inventory(
    plan: ClusterPlan,
    addresses: Mapping[str, NodeAddress] | None = None,
    storage_endpoints: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The inventory of ``plan``.

    ``addresses`` maps node names to addresses known after provisioning (see :func:`host_address_vars`);
    ``storage_endpoints`` maps fsx-lustre storage names to their provision outputs.
    """
    children: dict[str, Any] = {}
    by_role: dict[str, dict[str, Any]] = {}
    by_fabric: dict[str, dict[str, Any]] = {}
    gpu: dict[str, Any] = {}
    per_ansible_role: dict[str, dict[str, Any]] = {}
    ctx = RoleContext(storage_endpoints=storage_endpoints or {})
    for pool in plan.pools:
        group = pool_group_name(pool)
        children[group] = {
            "hosts": _pool_hosts(pool, addresses),
            "vars": pool_group_vars(plan, pool, storage_endpoints, ctx),
        }
        by_role.setdefault(pool.role, {})[group] = {}
        if pool.fabric:
            by_fabric.setdefault(f"fabric_{pool.fabric.type}", {})[group] = {}
        if pool.gpus_per_node:
            gpu[group] = {}
        for role in roles_for_pool(plan, pool):
            per_ansible_role.setdefault(f"role_{role}", {})[group] = {}
    for name, members in [*by_role.items(), *by_fabric.items(), *per_ansible_role.items()]:
        children[name] = {"children": members}
    if gpu:
        children["gpu"] = {"children": gpu}
    return {"all": {"vars": cluster_vars(plan), "children": children}}


def pool_group_name(pool: PoolPlan) -> str:
    """Ansible group of a pool (group names may not contain ``-``)."""
    return f"pool_{pool.name.replace('-', '_')}"


def configuration_entries(plan: ClusterPlan) -> list[dict[str, object]]:
    """``[{pool, hosts, roles, vars}]`` for ``aiinfra plan --format json`` (role variables only).

    Variables that are the same for the whole cluster (the Slurm node list, partitions, topology)
    are shown once, on the controller pools, instead of on every pool: a 10,240-host plan would
    otherwise repeat the full host list per pool. The inventory still gives them to every host.
    """
    ctx = RoleContext()
    entries: list[dict[str, object]] = []
    for pool in plan.pools:
        variables = role_vars_for_pool(plan, pool, ctx=ctx)
        if pool.role != "controller":
            variables = {k: v for k, v in variables.items() if k not in ctx.cluster_wide}
        entries.append(
            {
                "pool": pool.name,
                "hosts": list(pool.hosts),
                "roles": roles_for_pool(plan, pool),
                "vars": variables,
            }
        )
    return entries
