"""What a reviewer needs from a plan, per pool: GPUs, fabric, rails, NCCL env, driver, QoS,
thresholds and cost with its caveats — as plain JSON data (the ``review`` key of the plan
document), rendered as text or Markdown by the plan report and compared by ``--compare``.
"""

from __future__ import annotations

from typing import Any

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan


def _fabric(pool: PoolPlan) -> dict[str, Any] | None:
    fabric = pool.fabric
    if fabric is None:
        return None
    found: dict[str, Any] = {
        "name": fabric.name,
        "type": fabric.type,
        "nic": fabric.nic,
        "linkGbps": fabric.link_gbps,
        "railsPerNode": fabric.rails_per_node,
        "gpuDirectRdma": fabric.gpu_direct_rdma,
    }
    if fabric.roce is not None:
        roce = fabric.roce
        found["qos"] = {
            "pfcPriority": roce.pfc_priority,
            "dscp": roce.dscp,
            "ecn": roce.ecn,
            "mtu": roce.mtu,
            "trafficClass": roce.traffic_class,
            "gidIndex": roce.gid_index,
        }
    if fabric.type == "infiniband":
        found["subnetManager"] = fabric.subnet_manager
        if fabric.subnet_manager_hosts:
            found["subnetManagerHosts"] = list(fabric.subnet_manager_hosts)
        found["sharp"] = fabric.sharp
    return found


def _thresholds(plan: ClusterPlan, pool: PoolPlan) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "kind": c.kind, "expected": c.expected, "unit": c.unit}
        for c in plan.validation
        if c.pool == pool.name and c.expected is not None
    ]


def _pool(plan: ClusterPlan, pool: PoolPlan) -> dict[str, Any]:
    per_node = pool.hourly_usd_per_node
    return {
        "pool": pool.name,
        "role": pool.role,
        "nodes": pool.count,
        "instanceType": pool.instance_type,
        "gpu": None
        if pool.gpu is None
        else {
            "model": pool.gpu.model,
            "count": pool.gpu.count,
            "computeCapability": pool.gpu.compute_capability or None,
        },
        "cpu": None
        if pool.threads_per_core is None
        else {
            "sockets": pool.sockets,
            "coresPerSocket": pool.cores_per_socket,
            "threadsPerCore": pool.threads_per_core,
        },
        "roles": list(pool.roles),
        "capacity": pool.capacity.type,
        "fabric": _fabric(pool),
        "rails": [{"device": r.device, "gpus": list(r.gpus), "numa": r.numa_node} for r in pool.rails],
        "ncclEnv": dict(sorted(pool.nccl_env.items())),
        "driverBranch": plan.tuning.driver.branch if pool.gpu is not None else None,
        "driverManagedBy": plan.tuning.driver.managed_by if pool.gpu is not None else None,
        "gpuDirect": pool.gpudirect if pool.gpu is not None else None,
        "driverInstall": plan.tuning.driver.install if pool.gpu is not None else None,
        "thresholds": _thresholds(plan, pool),
        "hourlyUSD": None if per_node is None else round(per_node * pool.count, 2),
        "costNote": pool.cost_note,
    }


def _system_pools(plan: ClusterPlan) -> list[dict[str, Any]]:
    """The EKS system node group ``up`` adds (role ``system``), priced like the blueprint's pools."""
    from aiinfra_iac.plan.system_pool import system_pool

    extra = system_pool(plan)
    return [] if extra is None else [{**_pool(plan, extra), "role": "system"}]


def caveats(plan: ClusterPlan) -> list[str]:
    """What the hourly estimate leaves out, so nobody reads it as a bill."""
    found: list[str] = []
    if plan.provider.type != "aws":
        found.append(f"{plan.provider.type}: nodes are not priced; the estimate covers cloud instances only")
        return found
    if any(p.capacity.type == "capacity-block" for p in plan.pools):
        found.append("capacity blocks are paid up front per block; the on-demand price is only an estimate")
    if any(p.capacity.type == "spot" for p in plan.pools):
        found.append("spot: the on-demand price is an upper bound; spot prices vary by hour and zone")
    unpriced = sorted({s.type for s in plan.storage})
    if unpriced:
        found.append(
            f"storage not priced: {', '.join(unpriced)} (FSx and S3 bill per GB-month and throughput)"
        )
    found.append("not priced: NAT gateway, EKS control plane, EBS volumes and data transfer")
    return found


def review(plan: ClusterPlan, suppressed: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The ``review`` section of the plan document."""
    return {
        "scheduler": plan.scheduler.type,
        "provider": plan.provider.type,
        "pools": [_pool(plan, pool) for pool in plan.pools] + _system_pools(plan),
        "storage": [{"name": s.name, "type": s.type, "mountPath": s.mount_path} for s in plan.storage],
        "rules": {
            "failBelow": plan.rules.fail_below,
            "warnBelow": plan.rules.warn_below,
            "outlierPct": plan.rules.outlier_pct,
        },
        "fabricTopology": [
            {
                "fabric": t.fabric,
                "type": t.type,
                "source": t.source,
                "groups": [
                    {"name": g.name, "nodes": len(g.hosts), "first": g.hosts[0], "last": g.hosts[-1]}
                    for g in t.groups
                ],
            }
            for t in plan.topology
        ],
        "costCaveats": caveats(plan),
        "suppressed": list(suppressed or []),
    }


def topology_lines(review: dict[str, Any], shown: int = 8) -> list[str]:
    """One line per fabric: its Slurm topology and the first ``shown`` leaf switches or blocks."""
    lines = []
    for fabric in review.get("fabricTopology", []):
        count = len(fabric["groups"])
        kind = ("block" if fabric["type"] == "block" else "leaf switch") + (
            "" if count == 1 else "es" if fabric["type"] != "block" else "s"
        )
        where = "from the blueprint" if fabric["source"] == "blueprint" else "one per pool"
        groups = [
            f"{g['name']} ({g['nodes']}: {g['first']}…{g['last']})"
            if g["nodes"] > 1
            else f"{g['name']} ({g['first']})"
            for g in fabric["groups"][:shown]
        ]
        more = len(fabric["groups"]) - shown
        lines.append(
            f"topology {fabric['fabric']}: {fabric['type']}, {count} {kind} ({where}): "
            + ", ".join(groups)
            + (f" and {more} more" if more > 0 else "")
        )
    return lines
