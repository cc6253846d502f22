"""The deployment record of a provisioned plan: how to reach each node, where storage mounts from.

Built once, right after provisioning, from what the provider produced (stack outputs on aws,
the sandbox roots of a local chroot cluster, the hosts of an on-prem cluster) and written to the
state folder by the lifecycle layer; configure, validate, diff and down read it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiinfra_iac.deployment import Chroot, Deployment, Local, NodeRecord, Ssh, StorageRecord
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox, sandbox_net
from aiinfra_iac.provision.aws.node_access import node_records as aws_node_records
from aiinfra_iac.provision.common import cloud_storage
from aiinfra_iac.provision.providers import (
    ADDRESSES_OUTPUT,
    INSTANCE_IDS_OUTPUT,
    NODE_ACCESS_OUTPUT,
    STORAGE_ENDPOINTS_OUTPUT,
)


def _nodes(plan: ClusterPlan, state: Path, outputs: Mapping[str, Any]) -> tuple[NodeRecord, ...]:
    provider = plan.provider
    if provider.type == "kubernetes":
        return ()  # pods run on the cluster's nodes; the kubeconfig/context is the access
    roots = sandbox.node_roots(plan, state) if sandbox.uses_chroot_sandbox(plan) else {}
    net = sandbox_net.load(plan, state) if roots else None
    netns = {n.name: n.netns for n in net.nodes} if net else {}
    address = {n.name: n.address for n in net.nodes} if net else {}
    found = {str(k): str(v) for k, v in dict(outputs.get(ADDRESSES_OUTPUT) or {}).items()}
    nodes: list[NodeRecord] = []
    for pool in plan.pools:
        for host in pool.hosts:
            if provider.type == "local":
                access: Chroot | Local | Ssh = (
                    Chroot(root=str(roots[host]), netns=netns.get(host)) if roots else Local()
                )
                nodes.append(
                    NodeRecord(name=host, pool=pool.name, access=access, private_address=address.get(host))
                )
            elif provider.type == "onprem":
                ssh = Ssh(host=host, user=provider.ssh_user, key_file=provider.ssh_private_key_file)
                nodes.append(NodeRecord(name=host, pool=pool.name, access=ssh))
            elif provider.type != "aws" and host in found:
                ssh = Ssh(host=found[host])
                nodes.append(NodeRecord(name=host, pool=pool.name, access=ssh, private_address=found[host]))
    if provider.type == "aws":
        # SSM (instance IDs) by default, SSH through the bastion with nodeAccess: ssh
        node_access = dict(outputs.get(NODE_ACCESS_OUTPUT) or {})
        ids = {str(k): str(v) for k, v in dict(outputs.get(INSTANCE_IDS_OUTPUT) or {}).items()}
        bastion = node_access.get("bastion")
        nodes.extend(aws_node_records(plan, found, ids, str(bastion) if bastion else None))
    return tuple(nodes)


def _storage(plan: ClusterPlan, outputs: Mapping[str, Any]) -> tuple[StorageRecord, ...]:
    endpoints = {str(k): dict(v) for k, v in dict(outputs.get(STORAGE_ENDPOINTS_OUTPUT) or {}).items()}
    cloud = {s.name for s in cloud_storage(plan)}
    records: list[StorageRecord] = []
    for item in plan.storage:
        found = endpoints.get(item.name, {})
        dns = found.get("dnsName") or item.server
        mount = found.get("mountName") or item.export or item.bucket
        records.append(
            StorageRecord(
                name=item.name,
                type=item.type,
                dns_name=str(dns) if dns else None,
                mount_name=str(mount) if mount else None,
                retained=item.name in cloud and item.retain,
            )
        )
    return tuple(records)


def deployment_for(
    plan: ClusterPlan, *, stack: str, state: Path, outputs: Mapping[str, Any] | None = None
) -> Deployment:
    """The record of ``plan`` as provisioned; ``outputs`` are the stack outputs (aws, kubernetes)."""
    given = outputs or {}
    provider = plan.provider
    return Deployment(
        cluster=plan.name,
        stack=stack,
        provider=provider.type,
        nodes=_nodes(plan, state, given),
        storage=_storage(plan, given),
        kubeconfig=provider.kubeconfig,
        kube_context=provider.context,
        aws_profile=provider.profile,
        aws_region=provider.region,
    )


def missing_nodes(plan: ClusterPlan, deployment: Deployment) -> list[str]:
    """Plan nodes the record has no access for (aws nodes without an address, a stale record)."""
    if plan.provider.type == "kubernetes":
        return []
    known = {n.name for n in deployment.nodes}
    return [h for pool in plan.pools for h in pool.hosts if h not in known]
