"""Map ClusterPlan facts onto each role's variables (names from ``roles/<role>/meta/argument_specs.yml``).

Every variable is prefixed with its role's name; ``tests/configure`` checks each name against the
role's argument spec so a typo fails a test instead of being silently ignored by Ansible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aiinfra_iac.blueprint.models import RoceSpec
from aiinfra_iac.configure.hostlist import compress
from aiinfra_iac.observability.grafana import DASHBOARDS_DIR
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan

RoleVars = dict[str, object]


@dataclass(frozen=True)
class RoleContext:
    """Facts known only after provisioning, passed in by the caller."""

    storage_endpoints: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """fsx-lustre storage name → provision outputs ``{"dnsName", "mountName"}``."""
    cluster_wide: dict[str, object] = field(default_factory=dict)
    """Role variables that are the same for every pool (the Slurm node list …), by variable name,
    computed once per inventory: a 10,240-host plan would otherwise rebuild them for each pool."""

    def once(self, key: str, compute: Callable[[], object]) -> object:
        """The value of the cluster-wide role variable ``key``, computed on first use."""
        if key not in self.cluster_wide:
            self.cluster_wide[key] = compute()
        return self.cluster_wide[key]


def hardware_mode(plan: ClusterPlan) -> str:
    """live: the hardware the plan puts on a node must be there (missing GPUs/HCAs fail the converge);
    sandbox: the local chroot sandbox, where the roles report what they did not check."""
    return "sandbox" if plan.provider.type == "local" else "live"


def host_tuning_vars(plan: ClusterPlan, pool: PoolPlan, ctx: RoleContext) -> RoleVars:
    host = plan.tuning.host
    return {
        "host_tuning_cpu_governor": host.cpu_governor,
        "host_tuning_numa_balancing": host.numa_balancing,
        "host_tuning_iommu_passthrough": host.iommu_passthrough,
        "host_tuning_hugepages_2m": host.hugepages_2m,
        "host_tuning_transparent_hugepages": host.transparent_hugepages,
        "host_tuning_irq_affinity": host.irq_affinity,
        "host_tuning_reboot": host.reboot,
        # ACS is a property of the PCIe bridges of bare metal; on cloud VMs the hypervisor owns them.
        "host_tuning_pcie_acs": host.pcie_acs if plan.provider.type == "onprem" else "ignore",
    }


def nvidia_driver_vars(plan: ClusterPlan, pool: PoolPlan, ctx: RoleContext) -> RoleVars:
    driver = plan.tuning.driver
    dcgm_checks = any(c.kind == "dcgm" and c.pool == pool.name for c in plan.validation)
    return {
        "nvidia_driver_managed_by": driver.managed_by,
        "nvidia_driver_branch": driver.branch,
        "nvidia_driver_open": driver.open,
        "nvidia_driver_fabricmanager": bool(pool.gpu and pool.gpu.nvswitch),
        "nvidia_driver_gpudirect": pool.gpudirect,
        "nvidia_driver_install": driver.install,
        "nvidia_driver_version": driver.version or "",
        "nvidia_driver_dcgm": plan.observability.gpu_exporter == "dcgm" or dcgm_checks,
        "nvidia_driver_reboot": plan.tuning.host.reboot,
        "nvidia_driver_expected_gpus": pool.gpus_per_node,
        "nvidia_driver_hardware_mode": hardware_mode(plan),
    }


def rdma_infiniband_vars(plan: ClusterPlan, pool: PoolPlan, ctx: RoleContext) -> RoleVars:
    fabric = pool.fabric
    manager = (fabric.subnet_manager if fabric else None) or "switch"
    out: RoleVars = {
        "rdma_infiniband_subnet_manager": manager,
        "rdma_infiniband_expected_devices": [r.device for r in pool.rails] if fabric else [],
        "rdma_infiniband_hardware_mode": hardware_mode(plan),
    }
    if fabric is not None and manager == "host":
        # One SM per fabric: the blueprint's subnetManagerHosts, else the first two hosts of the first
        # pool on it (master, standby).
        first = next((p for p in plan.pools if p.fabric and p.fabric.name == fabric.name and p.hosts), pool)
        out["rdma_infiniband_opensm_hosts"] = list(fabric.subnet_manager_hosts or first.hosts[:2])
    if fabric is not None and manager == "host" and fabric.pkey:
        # The host SM defines the blueprint's partition next to the default one (opensm partitions.conf).
        out["rdma_infiniband_partitions"] = [{"name": fabric.name.replace("-", "_"), "pkey": fabric.pkey}]
    return out


def roce_vars(plan: ClusterPlan, pool: PoolPlan, ctx: RoleContext) -> RoleVars:
    roce = (pool.fabric.roce if pool.fabric else None) or RoceSpec()
    return {
        "roce_pfc_priority": roce.pfc_priority,
        "roce_dscp": roce.dscp,
        "roce_ecn": roce.ecn,
        "roce_mtu": roce.mtu,
        "roce_gid_index": roce.gid_index,
        "roce_traffic_class": roce.traffic_class,
        # Only the fabric's ports get MTU/PFC/DSCP: the RDMA devices of the plan's rails, never every
        # Ethernet RDMA port (storage and front-end ports keep theirs).
        "roce_devices": [r.device for r in pool.rails] if pool.fabric and pool.fabric.type == "roce" else [],
        "roce_hardware_mode": hardware_mode(plan),
    }


def efa_vars(plan: ClusterPlan, pool: PoolPlan, ctx: RoleContext) -> RoleVars:
    out: RoleVars = {
        "efa_reboot": plan.tuning.host.reboot,
        "efa_expected_devices": [r.device for r in pool.rails] if pool.fabric else [],
        "efa_hardware_mode": hardware_mode(plan),
        # A preinstalled image (tuning.driver.install false, e.g. a Deep Learning AMI) carries EFA too.
        "efa_preinstalled": not plan.tuning.driver.install,
    }
    fi_env = {k: v for k, v in pool.nccl_env.items() if k.startswith("FI_")}
    if fi_env:
        out["efa_fi_env"] = fi_env
    return out


def bluefield_dpu_vars(plan: ClusterPlan, pool: PoolPlan, ctx: RoleContext) -> RoleVars:
    if pool.dpu is None:
        return {}
    return {
        "bluefield_dpu_model": pool.dpu.model,
        "bluefield_dpu_mode": pool.dpu.mode,
        # A mode change needs a cold power cycle, which a converge cannot do: the role reports it instead
        # of rebooting (no bluefield_dpu_reboot):
        # https://docs.nvidia.com/networking/display/bluefieldbmcv2601/bluefield-modes-of-operation-configuration
        "bluefield_dpu_expected": True,
        "bluefield_dpu_hardware_mode": hardware_mode(plan),
    }


def nccl_vars(plan: ClusterPlan, pool: PoolPlan, ctx: RoleContext) -> RoleVars:
    efa = pool.fabric is not None and pool.fabric.type == "efa"
    return {
        "nccl_env": dict(pool.nccl_env),
        # Where the GPU Operator owns the driver, jobs bring NCCL in their containers: write the
        # configuration and environment only.
        "nccl_install": plan.tuning.driver.managed_by == "host" and plan.tuning.driver.install,
        # A preinstalled image (tuning.driver.install false, e.g. a Deep Learning AMI) carries NCCL:
        # the role checks its version against tuning.nccl.version instead of installing.
        "nccl_preinstalled": plan.tuning.driver.managed_by == "host" and not plan.tuning.driver.install,
        "nccl_hardware_mode": hardware_mode(plan),
        "nccl_version": plan.tuning.nccl.version or "",
        # EFA needs the aws-ofi-nccl net plugin (installed by the efa role) on NCCL's library path.
        "nccl_plugin": "aws-ofi-nccl" if efa else "none",
    }


def storage_client_vars(plan: ClusterPlan, pool: PoolPlan, ctx: RoleContext) -> RoleVars:
    nfs: list[dict[str, object]] = []
    lustre: list[dict[str, object]] = []
    nvme: list[dict[str, object]] = []
    for storage in plan.storage:
        if storage.name not in pool.storage or storage.mount_path is None:
            continue
        if storage.type == "nfs" and storage.server and storage.export:
            entry: dict[str, object] = {
                "name": storage.name,
                "server": storage.server,
                "export": storage.export,
                "path": storage.mount_path,
            }
            if storage.mount_options:
                entry["options"] = storage.mount_options
            nfs.append(entry)
        elif storage.type == "fsx-lustre":
            endpoint = ctx.storage_endpoints.get(storage.name, {})
            if endpoint.get("dnsName") and endpoint.get("mountName"):
                entry = {
                    "name": storage.name,
                    "dns_name": endpoint["dnsName"],
                    "mount_name": endpoint["mountName"],
                    "path": storage.mount_path,
                }
                if storage.mount_options:
                    entry["options"] = storage.mount_options
                if storage.efa and pool.fabric is not None and pool.fabric.type == "efa":
                    entry["efa"] = True  # LNet over the node's EFA devices (storage_client lustre_efa.yml)
                lustre.append(entry)
        elif storage.type == "local-nvme":
            nvme.append(
                {
                    "name": storage.name,
                    "path": storage.mount_path,
                    "devices": list(storage.devices or []),
                    "raid_level": storage.raid_level if storage.raid_level is not None else 0,
                    "filesystem": storage.filesystem,
                }
            )
    return {
        "storage_client_nfs_mounts": nfs,
        "storage_client_lustre_mounts": lustre,
        "storage_client_local_nvme": nvme,
    }


def unmounted_lustre(plan: ClusterPlan, storage_endpoints: Mapping[str, Mapping[str, str]]) -> list[str]:
    """fsx-lustre storage mounted by some pool whose DNS/mount name is not known yet (before provisioning)."""
    wanted = {name for pool in plan.pools for name in pool.storage}
    return [
        s.name
        for s in plan.storage
        if s.type == "fsx-lustre"
        and s.name in wanted
        and not (
            storage_endpoints.get(s.name, {}).get("dnsName")
            and storage_endpoints.get(s.name, {}).get("mountName")
        )
    ]


def gres_type(gpu_model: str) -> str:
    """Slurm GRES type of a canonical GPU model: ``H100-SXM`` → ``h100``, ``L40S`` → ``l40s``."""
    return gpu_model.split("-")[0].lower()


MEMORY_RESERVE = 0.05
"""RealMemory leaves 5 % of the memory to the kernel, firmware and daemons: a RealMemory above what
slurmd measures drains the node (https://slurm.schedmd.com/slurm.conf.html#OPT_RealMemory)."""


# The local chroot sandbox (provider: {type: local, sandbox: chroot}): the one switch the roles
# derive every sandbox difference from (listed by `aiinfra status`). Each sandbox node offers one CPU
# and 1 GiB to Slurm, so four nodes fit a 2-core machine; pmix needs a cgroup-confined step.
SANDBOX_NODE: dict[str, object] = {"cpus": 1, "real_memory": 1024}
SANDBOX_SLURM_VARS: dict[str, object] = {"slurm_sandbox": True, "slurm_mpi_default": "none"}


def _is_chroot_sandbox(plan: ClusterPlan) -> bool:
    return plan.provider.type == "local" and plan.provider.sandbox == "chroot"


def _slurm_nodes(plan: ClusterPlan) -> list[dict[str, object]]:
    """One node line per compute pool, never bare: the catalog's CPU layout where the instance type
    is known (p4d: 2 sockets x 24 cores x 2 threads), else the facts the role gathers on the pool's
    first host (``facts_host``: Sockets, CoresPerSocket, ThreadsPerCore, RealMemory from them)."""
    nodes: list[dict[str, object]] = []
    for pool in plan.pools:
        if pool.role != "compute" or not pool.hosts:
            continue
        node: dict[str, object] = {"name": compress(pool.hosts), "gpus": pool.gpus_per_node}
        if pool.gpu:
            node["gpu_type"] = gres_type(pool.gpu.model)
        layout = _cpu_layout(pool)
        if layout is not None:
            node["sockets"], node["cores_per_socket"], node["threads_per_core"] = layout
        elif _is_chroot_sandbox(plan):
            node.update(SANDBOX_NODE)
        else:
            node["facts_host"] = pool.hosts[0]
        if pool.memory_gib and layout is not None:
            node["real_memory"] = int(pool.memory_gib * 1024 * (1 - MEMORY_RESERVE))
        features = [f for f in (node.get("gpu_type"), pool.fabric.type if pool.fabric else None) if f]
        if features:
            node["features"] = features
        nodes.append(node)
    return nodes


def _cpu_layout(pool: PoolPlan) -> tuple[int, int, int] | None:
    """Sockets, cores per socket, threads per core as the plan carries them (from the catalog)."""
    if pool.sockets is None or pool.cores_per_socket is None or pool.threads_per_core is None:
        return None
    return pool.sockets, pool.cores_per_socket, pool.threads_per_core


def _slurm_partitions(plan: ClusterPlan) -> list[dict[str, object]]:
    configured = plan.scheduler.slurm.partitions if plan.scheduler.slurm else None
    by_name = {p.name: p for p in plan.pools}
    mapping = configured or {p.name: [p.name] for p in plan.pools if p.role == "compute"}
    partitions: list[dict[str, object]] = []
    for index, (name, pools) in enumerate(mapping.items()):
        hosts = [h for pool_name in pools if pool_name in by_name for h in by_name[pool_name].hosts]
        if hosts:
            partitions.append({"name": name, "nodes": compress(hosts), "default": index == 0})
    return partitions


_TOPOLOGY_VARS = ("slurm_topology", "slurm_topology_switches", "slurm_topology_blocks")


def _slurm_topology(plan: ClusterPlan) -> dict[str, object]:
    """topology.conf from the plan's fabric topology: tree (leaf switches under one spine per fabric)
    or block (one cluster-wide plugin: a single fabric asking for block makes every group a block)."""
    if not plan.topology:
        return {"slurm_topology": "none", "slurm_topology_switches": [], "slurm_topology_blocks": []}
    if any(t.type == "block" for t in plan.topology):
        blocks = [{"name": g.name, "nodes": compress(g.hosts)} for t in plan.topology for g in t.groups]
        return {"slurm_topology": "block", "slurm_topology_switches": [], "slurm_topology_blocks": blocks}
    switches: list[dict[str, object]] = []
    for fabric in plan.topology:
        switches += [{"name": g.name, "nodes": compress(g.hosts)} for g in fabric.groups]
        switches.append({"name": fabric.fabric, "switches": ",".join(g.name for g in fabric.groups)})
    return {"slurm_topology": "tree", "slurm_topology_switches": switches, "slurm_topology_blocks": []}


def gres_gpus(pool: PoolPlan) -> list[dict[str, str]]:
    """gres.conf lines with the cores of each GPU's NUMA node (Slurm core IDs, sockets in order).

    Only where the catalog knows the CPU layout (``host_layouts.yaml``); elsewhere the role lists
    the GPUs without ``Cores=`` (or lets NVML detect them, where the Slurm build has it).
    """
    layout = _cpu_layout(pool)
    if not pool.gpu or layout is None or not pool.gpu_numa or pool.numa_nodes < 1:
        return []
    per_node = layout[0] * layout[1] // pool.numa_nodes
    if per_node < 1:
        return []
    return [
        {"file": f"/dev/nvidia{index}", "cores": f"{numa * per_node}-{(numa + 1) * per_node - 1}"}
        for index, numa in enumerate(pool.gpu_numa)
    ]


def slurm_teams(plan: ClusterPlan) -> list[dict[str, object]]:
    """spec.teams as Slurm accounts/QOS: fair share = guaranteed GPUs, cap = guarantee + borrowing."""
    teams: list[dict[str, object]] = []
    for team in plan.teams:
        gpus = sum(q.gpus for q in team.quotas)
        unlimited = any(q.borrowing_limit is None for q in team.quotas)
        borrow = sum(q.borrowing_limit or 0 for q in team.quotas)
        teams.append(
            {
                "name": team.name,
                "priority": team.priority,
                "fairshare": max(gpus, 1),
                "gpu_limit": -1 if unlimited else gpus + borrow,
            }
        )
    return teams


def slurm_vars(plan: ClusterPlan, pool: PoolPlan, ctx: RoleContext) -> RoleVars:
    slurm = plan.scheduler.slurm
    if "slurm_topology" not in ctx.cluster_wide:  # three cluster-wide variables, computed together
        ctx.cluster_wide.update(_slurm_topology(plan))
    topology = {k: ctx.cluster_wide[k] for k in _TOPOLOGY_VARS}
    return {
        "slurm_cluster_name": plan.name,
        "slurm_node_role": pool.role,
        "slurm_controller_hosts": ctx.once(
            "slurm_controller_hosts",
            lambda: [h for p in plan.pools if p.role == "controller" for h in p.hosts],
        ),
        "slurm_nodes": ctx.once("slurm_nodes", lambda: _slurm_nodes(plan)),
        "slurm_partitions": ctx.once("slurm_partitions", lambda: _slurm_partitions(plan)),
        "slurm_gpu_count": pool.gpus_per_node,
        "slurm_gres_gpus": gres_gpus(pool),
        "slurm_gpu_type": gres_type(pool.gpu.model) if pool.gpu else "",
        **topology,
        "slurm_pyxis": bool(slurm and slurm.pyxis),
        "slurm_teams": ctx.once("slurm_teams", lambda: slurm_teams(plan)),
        **(SANDBOX_SLURM_VARS if _is_chroot_sandbox(plan) else {}),
        # slurm_munge_key stays empty: the controller generates the key and the role copies it to the
        # other nodes, so no secret ever passes through the inventory.
    }


def validation_tools_vars(plan: ClusterPlan, pool: PoolPlan, ctx: RoleContext) -> RoleVars:
    # The plan carries the catalog's CUDA compute capability ("9.0"); nvcc spells it "90".
    capability = pool.gpu.compute_capability.replace(".", "") if pool.gpu else ""
    if not capability:
        return {}
    return {
        "validation_tools_gpu_burn_compute": capability,
        "validation_tools_nccl_tests_gencode": f"-gencode=arch=compute_{capability},code=sm_{capability}",
    }


def observability_vars(plan: ClusterPlan, pool: PoolPlan, ctx: RoleContext) -> RoleVars:
    obs = plan.observability
    fabric = pool.fabric
    return {
        "observability_node_exporter": obs.metrics == "prometheus",
        "observability_dcgm_exporter": pool.gpus_per_node > 0 and obs.gpu_exporter == "dcgm",
        "observability_alerts": obs.alerts,
        "observability_cluster": plan.name,
        "observability_pool": pool.name,
        "observability_gpu_count": pool.gpus_per_node,
        "observability_nvlink": bool(pool.gpu and pool.gpu.nvswitch),
        "observability_fabric_type": fabric.type if fabric else "none",
        "observability_grafana_dashboards": obs.dashboards == "grafana" and pool.role == "controller",
        "observability_dashboards_src": str(DASHBOARDS_DIR),
        "observability_fabric_devices": [r.device for r in pool.rails]
        if fabric and fabric.type != "efa"
        else [],
    }


ROLE_VARS: dict[str, Callable[[ClusterPlan, PoolPlan, RoleContext], RoleVars]] = {
    "host_tuning": host_tuning_vars,
    "nvidia_driver": nvidia_driver_vars,
    "rdma_infiniband": rdma_infiniband_vars,
    "roce": roce_vars,
    "efa": efa_vars,
    "bluefield_dpu": bluefield_dpu_vars,
    "nccl": nccl_vars,
    "storage_client": storage_client_vars,
    "slurm": slurm_vars,
    "validation_tools": validation_tools_vars,
    "observability": observability_vars,
}
