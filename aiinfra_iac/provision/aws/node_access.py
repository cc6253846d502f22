"""How configure reaches AWS nodes (no Pulumi here): SSM Session Manager by default, or SSH + bastion.

SSM needs no inbound port: the node role carries ``AmazonSSMManagedInstanceCore`` and the
nodes reach the SSM endpoints through the NAT gateway; Ansible connects with the
``amazon.aws.aws_ssm`` connection plugin or with SSH over an SSM session (``ProxyCommand aws
ssm start-session … AWS-StartSSHSession``)
(https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-getting-started-enable-ssh-connections.html).
``nodeAccess: ssh`` adds a key pair on every node and a small bastion in the public subnet
(:mod:`.access`) that admits SSH only from ``bastionCidr``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from typing import Literal

from aiinfra_iac.deployment import NodeRecord, Ssh, Ssm
from aiinfra_iac.errors import MissingToolError
from aiinfra_iac.plan.model import ClusterPlan

AccessMethod = Literal["ssm", "ssh"]
BASTION_USER = "ubuntu"

SSM_TOOLS = {
    "aws": "install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)",
    "session-manager-plugin": "install the Session Manager plugin "
    "(https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html)",
}


def access_method(plan: ClusterPlan) -> AccessMethod:
    return plan.provider.node_access or "ssm"


def require_access_tools(plan: ClusterPlan, which: Callable[[str], str | None] = shutil.which) -> None:
    """Exit 2 (MissingToolError, one sentence) when this machine lacks what reaching the nodes needs:
    the aws CLI (EKS tokens, SSM sessions) and, for SSM, the session-manager-plugin."""
    if plan.provider.type != "aws":
        return
    needed = ["aws"]
    if access_method(plan) == "ssm":
        needed.append("session-manager-plugin")
    for tool in needed:
        if which(tool) is None:
            raise MissingToolError(tool, SSM_TOOLS[tool])


def node_records(
    plan: ClusterPlan,
    addresses: Mapping[str, str],
    instance_ids: Mapping[str, str],
    bastion_address: str | None = None,
) -> list[NodeRecord]:
    """The deployment record's nodes: per node an ``Ssm`` target (instance ID) or ``Ssh`` via the bastion."""
    method = access_method(plan)
    region = plan.provider.region or ""
    records: list[NodeRecord] = []
    for pool in plan.pools:
        for host in pool.hosts:
            address = addresses.get(host)
            instance = instance_ids.get(host)
            if method == "ssm" and instance:
                access: Ssm | Ssh = Ssm(instance_id=instance, region=region, profile=plan.provider.profile)
            elif method == "ssh" and address:
                bastion = f"{BASTION_USER}@{bastion_address}" if bastion_address else None
                access = Ssh(host=address, user=BASTION_USER, bastion=bastion)
            elif address and not instance_ids:
                # a stack from before the instanceIds output: the private address is all there is
                access = Ssh(host=address)
            else:
                continue
            records.append(NodeRecord(name=host, pool=pool.name, access=access, private_address=address))
    return records
