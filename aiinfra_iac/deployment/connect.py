"""Ansible connection variables for each way of reaching a node (one place, used by every stage)."""

from __future__ import annotations

import shlex

from aiinfra_iac.deployment.model import Chroot, Local, Ssh, Ssm

# community.general.chroot: https://docs.ansible.com/ansible/latest/collections/community/general/chroot_connection.html
CHROOT_CONNECTION = "community.general.chroot"
# community.aws.aws_ssm: https://docs.ansible.com/ansible/latest/collections/community/aws/aws_ssm_connection.html
SSM_CONNECTION = "community.aws.aws_ssm"


def ansible_vars(access: Ssh | Ssm | Chroot | Local) -> dict[str, object]:
    """Host variables that make Ansible reach a node the way the deployment record says."""
    if isinstance(access, Chroot):
        return {"ansible_connection": CHROOT_CONNECTION, "ansible_host": access.root}
    if isinstance(access, Local):
        return {"ansible_connection": "local"}
    if isinstance(access, Ssm):
        out: dict[str, object] = {
            "ansible_connection": SSM_CONNECTION,
            "ansible_host": access.instance_id,
            "ansible_aws_ssm_region": access.region,
        }
        if access.profile:
            out["ansible_aws_ssm_profile"] = access.profile
        return out
    ssh: dict[str, object] = {"ansible_host": access.host}
    if access.port != 22:
        ssh["ansible_port"] = access.port
    if access.user:
        ssh["ansible_user"] = access.user
    if access.key_file:
        ssh["ansible_ssh_private_key_file"] = access.key_file
    if access.bastion:
        ssh["ansible_ssh_common_args"] = f"-o ProxyJump={shlex.quote(access.bastion)}"
    return ssh


def describe(access: Ssh | Ssm | Chroot | Local) -> str:
    """One human phrase: ``ssh ubuntu@10.0.0.5:22``, ``chroot /s/n0``, ``ssm i-… (us-east-1)``."""
    if isinstance(access, Chroot):
        return f"chroot {access.root}" + (f" (netns {access.netns})" if access.netns else "")
    if isinstance(access, Local):
        return "this machine"
    if isinstance(access, Ssm):
        return f"ssm {access.instance_id} ({access.region})"
    user = f"{access.user}@" if access.user else ""
    via = f" via {access.bastion}" if access.bastion else ""
    return f"ssh {user}{access.host}:{access.port}{via}"
