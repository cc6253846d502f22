"""The NCCL (and libfabric) environment of a pool, per fabric type; blueprint overrides last.

Sources:
* NCCL variables: https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html
* EFA: aws-ofi-nccl "EFA Cheatsheet" https://github.com/aws/aws-ofi-nccl/blob/master/doc/efa-env-var.md
  With aws-ofi-nccl >= 1.7 and libfabric >= 1.18 nothing is required; FI_PROVIDER=efa and
  FI_EFA_USE_DEVICE_RDMA=1 (p4/p5-class instances with GPUDirect RDMA) are kept because they are
  harmless there and required by older stacks (<= 1.5 / < 1.7). NCCL_PROTO=simple and
  FI_EFA_FORK_SAFE=1 are only for those old stacks and are NOT set (NCCL_PROTO=simple would also
  slow NVLink small messages). The plugin's network is named "AWS Libfabric".
* RoCE GID / traffic class / service level: NCCL_IB_GID_INDEX, NCCL_IB_TC, NCCL_IB_SL on the page above.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiinfra_iac.plan.model import FabricPlan

SOCKET_EXCLUDE = "^lo,docker,veth"
"""Bootstrap over any real interface: never loopback or container bridges (NCCL prefix syntax)."""

EFA_NET = "AWS Libfabric"
"""NCCL's name of the aws-ofi-nccl network; forcing it makes a missing plugin an error, not a silent
fall-back to TCP sockets."""


def _efa_env(fabric: FabricPlan) -> dict[str, str]:
    env = {
        "FI_PROVIDER": "efa",
        "NCCL_NET": EFA_NET,
        "NCCL_SOCKET_IFNAME": SOCKET_EXCLUDE,
    }
    if fabric.gpu_direct_rdma:
        env["FI_EFA_USE_DEVICE_RDMA"] = "1"
    else:
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
            env["NCCL_IB_GID_INDEX"] = str(roce.gid_index)
            env["NCCL_IB_TC"] = str(roce.traffic_class)
            env["NCCL_IB_SL"] = str(roce.pfc_priority)
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
