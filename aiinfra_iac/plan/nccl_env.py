"""The NCCL (and libfabric) environment of a pool, per fabric type; blueprint overrides last.

Sources:
* NCCL variables: https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html
* EFA: aws-ofi-nccl "EFA Cheatsheet" https://github.com/aws/aws-ofi-nccl/blob/master/doc/efa-env-var.md
  With aws-ofi-nccl >= 1.7 and libfabric >= 1.18 (every current DLAMI and EFA installer) nothing is
  required: the plugin selects the efa provider and enables device RDMA itself on p4/p5-class
  instances. FI_PROVIDER, FI_EFA_USE_DEVICE_RDMA, FI_EFA_FORK_SAFE and NCCL_PROTO=simple are for
  older stacks only and are NOT set (NCCL_PROTO=simple would also slow NVLink small messages).
  NCCL_NET is not forced either: the plugin's network name changed across releases ("AWS Libfabric"
  is kept only as a compatibility name), and a fall-back to TCP is caught by validation, which fails
  a multi-node run that used NET/Socket on an RDMA fabric (DESIGN.md, Validation).
* RoCE: NCCL_IB_GID_INDEX — NCCL >= 2.21 picks the RoCEv2 GID itself when it is unset
  (NCCL_IB_ROCE_VERSION_NUM / NCCL_IB_ADDR_FAMILY defaults), so it is only set when the blueprint
  names one. NCCL_IB_TC carries the DSCP (TC = DSCP << 2); NCCL_IB_SL is not set: the roce role
  configures DSCP trust, under which the switch and NIC classify on DSCP and the SL/PCP is unused
  (https://docs.nvidia.com/networking/display/mlnxofedv24010331/quality+of+service).
  UCX_IB_TRAFFIC_CLASS carries the same class for UCX/UCC traffic (MPI, NVSHMEM bootstrap;
  https://openucx.readthedocs.io/en/master/faq.html).
"""

from __future__ import annotations

from collections.abc import Mapping

from aiinfra_iac.plan.model import FabricPlan

SOCKET_EXCLUDE = "^lo,docker,veth"
"""Bootstrap over any real interface: never loopback or container bridges (NCCL prefix syntax)."""

EFA_NET = "AWS Libfabric"
"""The aws-ofi-nccl network's historical name (NCCL_NET); not set by default (see above)."""


def _efa_env(fabric: FabricPlan) -> dict[str, str]:
    env = {"NCCL_SOCKET_IFNAME": SOCKET_EXCLUDE}
    if not fabric.gpu_direct_rdma:
        env["NCCL_NET_GDR_LEVEL"] = "LOC"
    return env


def _ib_env(fabric: FabricPlan) -> dict[str, str]:
    env = {
        "NCCL_NET": "IB",
        "NCCL_IB_HCA": "=" + ",".join(fabric.hcas),
        "NCCL_SOCKET_IFNAME": SOCKET_EXCLUDE,
        "NCCL_NET_GDR_LEVEL": "PXB" if fabric.gpu_direct_rdma else "LOC",
    }
    if fabric.type == "roce":
        roce = fabric.roce
        if roce is not None:
            if roce.gid_index is not None:
                env["NCCL_IB_GID_INDEX"] = str(roce.gid_index)
            env["NCCL_IB_TC"] = str(roce.traffic_class)
            env["UCX_IB_TRAFFIC_CLASS"] = str(roce.traffic_class)
    elif fabric.sharp:
        env["NCCL_COLLNET_ENABLE"] = "1"
    return env


def nccl_env(fabric: FabricPlan | None, has_gpus: bool, overrides: Mapping[str, str]) -> dict[str, str]:
    """Environment for NCCL jobs on a pool; empty for CPU-only pools."""
    if not has_gpus:
        return {}
    env: dict[str, str] = {}
    if fabric is not None:
        env = _efa_env(fabric) if fabric.type == "efa" else _ib_env(fabric)
    env.update(overrides)
    return dict(sorted(env.items()))
