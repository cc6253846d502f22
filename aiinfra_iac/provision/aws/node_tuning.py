"""Node-level tuning of EKS nodes: the launch template's user data, rendered from the plan.

On EKS the configure stage's SSH roles do not run; who tunes what instead:

* the EKS accelerated AL2023 AMI carries the NVIDIA driver, the container toolkit and the EFA
  kernel module (https://docs.aws.amazon.com/eks/latest/userguide/ml-eks-optimized-ami.html);
* the GPU Operator runs the device plugin, GPU feature discovery and the DCGM exporter, and the
  EFA device plugin advertises ``vpc.amazonaws.com/efa`` (their Helm values: ``provision.kubernetes``);
* this user data does the rest at first boot, before the node takes pods: the kernel settings of
  ``tuning.host`` (``kernel.numa_balancing``, 2 MiB hugepages, transparent hugepages) and the pool's
  NCCL settings in ``/etc/nccl.conf``, which NCCL reads as defaults for every process that does not
  set the variable itself (https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html).

The parts travel as one MIME multi-part document: EKS merges it with its own bootstrap user data
for managed node groups that use the EKS AMI
(https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html), nodeadm reads the
``application/node.eks.aws`` part and cloud-init runs the ``text/x-shellscript`` part during first
boot, before nodeadm starts the kubelet (https://awslabs.github.io/amazon-eks-ami/nodeadm/), so the
kubelet sees the hugepages when it reports the node's capacity. Settings are written to
``/etc/sysctl.d`` and ``/etc/tmpfiles.d`` as well, so they hold after a reboot.
Not done here (left to the AMI): CPU frequency governor, IRQ affinity, kernel arguments.
"""

from __future__ import annotations

import base64
import shlex

from aiinfra_iac.blueprint.models import HostTuning
from aiinfra_iac.plan.model import PoolPlan

BOUNDARY = "AIINFRA"
SYSCTL_FILE = "/etc/sysctl.d/90-aiinfra-eks.conf"
THP_FILE = "/etc/tmpfiles.d/90-aiinfra-thp.conf"
NCCL_CONF = "/etc/nccl.conf"

NODEADM_RAID0 = """apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  instance:
    localStorage:
      strategy: RAID0
"""
"""nodeadm assembles the instance-store NVMe disks into one RAID0 array and puts the kubelet and
containerd state on it (https://awslabs.github.io/amazon-eks-ami/nodeadm/doc/api/)."""


def sysctls(host: HostTuning) -> dict[str, str]:
    """The kernel settings of ``tuning.host`` as sysctl keys (the host_tuning role writes the same)."""
    found = {"kernel.numa_balancing": "1" if host.numa_balancing else "0"}
    if host.hugepages_2m > 0:
        found["vm.nr_hugepages"] = str(host.hugepages_2m)
    return found


def tuning_script(pool: PoolPlan, host: HostTuning) -> str:
    """The shell script part: sysctls, transparent hugepages and ``/etc/nccl.conf`` of a GPU pool."""
    sysctl_lines = "".join(f"{key} = {value}\n" for key, value in sorted(sysctls(host).items()))
    nccl_lines = "".join(f"{key}={value}\n" for key, value in sorted(pool.nccl_env.items()))
    thp = f"w /sys/kernel/mm/transparent_hugepage/enabled - - - - {host.transparent_hugepages}\n"
    return "\n".join(
        [
            "#!/bin/bash",
            f"# aiinfra-iac: node tuning of EKS pool {pool.name} (rendered from the plan)",
            "set -euo pipefail",
            _write(SYSCTL_FILE, sysctl_lines),
            f"sysctl --load={SYSCTL_FILE}",
            _write(THP_FILE, thp),
            f"systemd-tmpfiles --create {THP_FILE}",
            _write(NCCL_CONF, nccl_lines),
            "",
        ]
    )


def _write(path: str, content: str) -> str:
    """``printf`` the exact bytes into ``path`` (no here-doc: values are never expanded)."""
    return f"printf '%s' {shlex.quote(content)} > {shlex.quote(path)}"


def eks_user_data_parts(pool: PoolPlan, host: HostTuning) -> list[tuple[str, str]]:
    """(content type, body) of each part: RAID0 for local NVMe, the tuning script for GPU pools."""
    if pool.image_id:  # a custom AMI gets no EKS bootstrap merge: its user data is the owner's
        return []
    parts: list[tuple[str, str]] = []
    if pool.local_nvme_gib > 0:
        parts.append(("application/node.eks.aws", NODEADM_RAID0))
    if pool.gpu is not None:
        parts.append(('text/x-shellscript; charset="us-ascii"', tuning_script(pool, host)))
    return parts


def mime_document(parts: list[tuple[str, str]]) -> str:
    body = "".join(f"--{BOUNDARY}\nContent-Type: {kind}\n\n{text}\n" for kind, text in parts)
    header = f'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{BOUNDARY}"\n\n'
    return f"{header}{body}--{BOUNDARY}--\n"


def eks_user_data(pool: PoolPlan, host: HostTuning) -> str | None:
    """Base64 user data of an EKS node group's launch template; None when there is nothing to add."""
    parts = eks_user_data_parts(pool, host)
    if not parts:
        return None
    return base64.b64encode(mime_document(parts).encode()).decode()
