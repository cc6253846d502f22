"""The results layout of DESIGN.md "Validation": where each check's output lives.

``DIR/<node>/gpu_burn.log``, ``DIR/<node>/dcgm_diag.json``, ``DIR/<node>/nccl_<collective>.log``,
``DIR/<node>/ib_write_bw_<dev>.log`` and ``DIR/_cluster/nccl_<collective>.log`` for a run across a
pool. Where more than one pool runs a multi-node NCCL check, each pool's run goes to
``DIR/_cluster/<pool>/nccl_<collective>.log`` so the runs do not overwrite one another.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan, ValidationCheckPlan

CLUSTER_DIR = "_cluster"
GPU_BURN_FILE = "gpu_burn.log"
DCGM_FILE = "dcgm_diag.json"


def nccl_file(collective: str) -> str:
    return f"nccl_{collective}.log"


def rdma_file(device: str, test: str = "ib_write_bw") -> str:
    return f"{test}_{device}.log"


def collective_of(check: ValidationCheckPlan) -> str:
    from aiinfra_iac.blueprint.models import NcclValidation

    return str(check.params.get("collective", NcclValidation().collectives[0]))


def rdma_devices(check: ValidationCheckPlan, pool: PoolPlan) -> tuple[str, ...]:
    """The HCAs an RDMA check measures: its ``device`` param, else every rail of the pool."""
    device = check.params.get("device")
    if device is not None:
        return (str(device),)
    return tuple(rail.device for rail in pool.rails)


def multi_node_pools(plan: ClusterPlan) -> tuple[str, ...]:
    """Pools with a multi-node (``scope: pool``) NCCL check, in plan order."""
    seen: list[str] = []
    for check in plan.validation:
        if check.kind == "nccl" and check.scope == "pool" and check.pool not in seen:
            seen.append(check.pool)
    return tuple(seen)


def cluster_dir(plan: ClusterPlan, results_dir: Path, pool: str) -> Path:
    """Where a pool's multi-node runs live: ``_cluster/``, or ``_cluster/<pool>/`` with several such pools."""
    return results_dir / cluster_rel(plan, pool)


def cluster_rel(plan: ClusterPlan, pool: str) -> str:
    """:func:`cluster_dir` relative to the results directory."""
    return CLUSTER_DIR if len(multi_node_pools(plan)) <= 1 else f"{CLUSTER_DIR}/{pool}"


def check_path(plan: ClusterPlan, results_dir: Path, check: ValidationCheckPlan, node: str) -> Path:
    """The output file of a node- or pool-scoped check (rdma: use :func:`rdma_file` per device)."""
    if check.kind == "gpu_burn":
        return results_dir / node / GPU_BURN_FILE
    if check.kind == "dcgm":
        return results_dir / node / DCGM_FILE
    if check.kind == "nccl":
        name = nccl_file(collective_of(check))
        if check.scope == "pool":
            return cluster_dir(plan, results_dir, check.pool) / name
        return results_dir / node / name
    raise ValueError(f"check {check.id}: kind {check.kind} has one file per device, not per node")


_NODE_RE = re.compile(r"^(?P<pool>.+)-(?P<n>\d+)$")


def pool_nodes(plan: ClusterPlan, results_dir: Path | None) -> dict[str, tuple[str, ...]]:
    """Nodes of each pool: the plan's hosts plus node directories found in ``results_dir``.

    A directory ``<pool>-<n>`` belongs to that pool; with one pool every directory does.
    Directories matching no pool are left out here (see :func:`unknown_dirs`), and so are those
    starting with ``_`` or ``.`` (``_cluster``, the Slurm runner's ``_slurm`` …: no host is named so).
    """
    return scan(plan, results_dir)[0]


def unknown_dirs(plan: ClusterPlan, results_dir: Path | None) -> tuple[str, ...]:
    """Directories of ``results_dir`` that are no node of the plan (``_``/``.`` folders excepted)."""
    return scan(plan, results_dir)[1]


def scan(plan: ClusterPlan, results_dir: Path | None) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """:func:`pool_nodes` and :func:`unknown_dirs` from one directory listing."""
    nodes: dict[str, list[str]] = {pool.name: list(pool.hosts) for pool in plan.pools}
    known = {host for hosts in nodes.values() for host in hosts}
    unknown: list[str] = []
    if results_dir is not None and results_dir.is_dir():
        for entry in sorted(p.name for p in results_dir.iterdir() if p.is_dir()):
            if entry in known:
                continue
            if entry.startswith(("_", ".")):
                continue  # the tool's own folders (_cluster, _slurm …), never a host name
            owner = _owner(plan, entry)
            if owner is not None:
                nodes[owner].append(entry)
            else:
                unknown.append(entry)
    return {pool: tuple(hosts) for pool, hosts in nodes.items()}, tuple(unknown)


def _owner(plan: ClusterPlan, node: str) -> str | None:
    if len(plan.pools) == 1:
        return plan.pools[0].name
    match = _NODE_RE.match(node)
    if match and match.group("pool") in {p.name for p in plan.pools}:
        return match.group("pool")
    return None
