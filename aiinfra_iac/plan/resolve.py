"""``resolve(blueprint) -> ClusterPlan``: join the blueprint with the catalog, once.

resolve() expects a blueprint that passed the checks of :mod:`aiinfra_iac.blueprint.checks`, but
never crashes on one that did not: a fact it cannot join raises :class:`BlueprintError` with one
:class:`Problem` (ID ``AI199``) naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aiinfra_iac.blueprint.models import Blueprint, Dpu, Fabric, NodePool
from aiinfra_iac.catalog.hosts import HostLayout, instance_layout, system
from aiinfra_iac.catalog.store import load_catalog, normalize_gpu_model
from aiinfra_iac.catalog.types import Catalog, InstanceType
from aiinfra_iac.errors import BlueprintError, Problem
from aiinfra_iac.plan.cost import pool_cost, total_hourly
from aiinfra_iac.plan.expectations import validation_checks
from aiinfra_iac.plan.fabrics import FabricError, resolve_fabric
from aiinfra_iac.plan.model import (
    ClusterPlan,
    FabricPlan,
    GpuPlan,
    NetworkInterfacePlan,
    PoolPlan,
    Rail,
    Summary,
    TeamPlan,
    TopologyPlan,
)
from aiinfra_iac.plan.nccl_env import nccl_env
from aiinfra_iac.plan.rails import default_gpu_numa, default_numa_nodes, efa_rails, hca_rails, spread_cards
from aiinfra_iac.plan.roles import with_roles
from aiinfra_iac.plan.topology import TopologyError, fabric_topology

RESOLVE_PROBLEM_ID = "AI199"


class _Failure(Exception):
    def __init__(self, loc: str, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _pool_loc(index: int, field: str) -> str:
    return f"spec.nodePools[{index}].{field}"


def _gpu(index: int, pool: NodePool, instance: InstanceType | None, catalog: Catalog) -> GpuPlan | None:
    if pool.gpu is not None:
        model = normalize_gpu_model(pool.gpu.model)
        if model is None:
            raise _Failure(_pool_loc(index, "gpu.model"), f"unknown GPU model '{pool.gpu.model}'")
        count = pool.gpu.count
    elif instance is not None and instance.gpu_model is not None:
        model, count = instance.gpu_model, instance.gpu_count
    elif (found := system(pool.system) if pool.system else None) is not None and found.gpu_model:
        model, count = found.gpu_model, found.gpu_count
    else:
        return None
    facts = catalog.gpus[model]
    return GpuPlan(
        model=model,
        count=count,
        memory_gib=facts.memory_gib,
        nvlink_gbps=facts.nvlink_gbps,
        nvswitch=facts.nvswitch,
        architecture=facts.architecture,
        compute_capability=facts.compute_capability,
    )


def _hosts(index: int, pool: NodePool, provider: str) -> tuple[int, tuple[str, ...]]:
    if provider == "onprem" and not pool.hosts:
        raise _Failure(_pool_loc(index, "hosts"), "on-prem pools list their hosts")
    names = pool.node_names(provider)
    return len(names), names


class _Resolver:
    def __init__(self, blueprint: Blueprint, catalog: Catalog) -> None:
        self.blueprint = blueprint
        self.catalog = catalog
        self.spec = blueprint.spec
        self.provider = self.spec.provider.type
        self.fabrics: dict[str, tuple[int, Fabric]] = {
            f.name: (i, f) for i, f in enumerate(self.spec.fabrics)
        }
        self.dpus: dict[str, Dpu] = {d.name: d for d in self.spec.dpus}
        self.storage_names = tuple(s.name for s in self.spec.storage)
        self.resolved_fabrics: dict[str, FabricPlan] = {}

    def instance(self, index: int, pool: NodePool) -> InstanceType | None:
        if pool.instance_type is None:
            return None
        instance = self.catalog.instance_types.get(pool.instance_type)
        if instance is None:
            raise _Failure(_pool_loc(index, "instanceType"), f"unknown instance type '{pool.instance_type}'")
        return instance

    def dpu(self, index: int, pool: NodePool) -> Dpu | None:
        if pool.dpu is None:
            return None
        if pool.dpu not in self.dpus:
            raise _Failure(_pool_loc(index, "dpu"), f"no DPU named '{pool.dpu}' in spec.dpus")
        return self.dpus[pool.dpu]

    def storage(self, index: int, pool: NodePool) -> tuple[str, ...]:
        if pool.storage is None:
            return self.storage_names
        for name in pool.storage:
            if name not in self.storage_names:
                raise _Failure(_pool_loc(index, "storage"), f"no storage named '{name}' in spec.storage")
        return tuple(pool.storage)

    def fabric(
        self,
        index: int,
        pool: NodePool,
        instance: InstanceType | None,
        gpu_count: int,
        dpu: Dpu | None,
        system_hcas: tuple[str, ...] = (),
    ) -> FabricPlan | None:
        if pool.fabric is None:
            return None
        if pool.fabric not in self.fabrics:
            raise _Failure(_pool_loc(index, "fabric"), f"no fabric named '{pool.fabric}' in spec.fabrics")
        fabric_index, fabric = self.fabrics[pool.fabric]
        try:
            plan = resolve_fabric(fabric, self.catalog, instance, gpu_count, dpu, system_hcas)
        except FabricError as error:
            raise _Failure(f"spec.fabrics[{fabric_index}].{error.field}", error.message) from None
        self.resolved_fabrics.setdefault(fabric.name, plan)
        return plan

    @staticmethod
    def system(index: int, pool: NodePool) -> HostLayout | None:
        if pool.system is None:
            return None
        found = system(pool.system)
        if found is None:
            raise _Failure(_pool_loc(index, "system"), f"unknown system '{pool.system}'")
        return found

    def pool(self, index: int, pool: NodePool) -> PoolPlan:
        instance = self.instance(index, pool)
        dgx = self.system(index, pool)
        gpu = _gpu(index, pool, instance, self.catalog)
        gpu_count = gpu.count if gpu else 0
        count, hosts = _hosts(index, pool, self.provider)
        if instance is not None and gpu is not None and instance.gpu_model is not None:
            numa_nodes = instance.numa_nodes
            gpu_numa = (
                instance.gpu_numa
                if gpu_count == instance.gpu_count
                else default_gpu_numa(gpu_count, numa_nodes)
            )
        elif instance is not None:
            numa_nodes, gpu_numa = instance.numa_nodes, default_gpu_numa(gpu_count, instance.numa_nodes)
        else:
            numa_nodes = 1 if self.provider == "local" else default_numa_nodes(gpu_count)
            gpu_numa = default_gpu_numa(gpu_count, numa_nodes)
        dpu = self.dpu(index, pool)
        fabric = self.fabric(index, pool, instance, gpu_count, dpu, dgx.compute_hcas if dgx else ())
        rails = self.rails(fabric, instance, gpu_count, gpu_numa, numa_nodes)
        cost = pool_cost(self.provider, instance, pool.capacity)
        layout = instance_layout(pool.instance_type) or dgx
        return PoolPlan(
            name=pool.name,
            role=pool.role,
            count=count,
            hosts=hosts,
            instance_type=pool.instance_type,
            image_id=pool.image_id,
            gpu=gpu,
            vcpus=instance.vcpus if instance else None,
            memory_gib=instance.memory_gib if instance else (dgx.memory_gib if dgx else None),
            numa_nodes=numa_nodes,
            gpu_numa=gpu_numa,
            capacity=pool.capacity,
            fabric=fabric,
            rails=rails,
            dpu=dpu,
            storage=self.storage(index, pool),
            nccl_env=nccl_env(fabric, gpu_count > 0, self.spec.tuning.nccl.env),
            labels=dict(pool.labels),
            taints=tuple(pool.taints),
            hourly_usd_per_node=cost.usd_per_node,
            network_interfaces=self.interfaces(instance, fabric),
            local_nvme_gib=instance.local_nvme_gib if instance else 0,
            cost_note=cost.note,
            root_volume_gib=pool.root_volume_gib,
            sockets=layout.sockets if layout else None,
            cores_per_socket=layout.cores_per_socket if layout else None,
            threads_per_core=layout.threads_per_core if layout else None,
        )

    @staticmethod
    def rails(
        fabric: FabricPlan | None,
        instance: InstanceType | None,
        gpu_count: int,
        gpu_numa: tuple[int, ...],
        numa_nodes: int,
    ) -> tuple[Rail, ...]:
        if fabric is None:
            return ()
        if fabric.type == "efa" and instance is not None:
            cards = sorted({s.network_card_index for s in instance.interface_layout if s.kind != "interface"})
            chosen = spread_cards(cards, fabric.rails_per_node)
            return efa_rails(chosen, gpu_count, gpu_numa, numa_nodes, fabric.link_gbps)
        return hca_rails(fabric.hcas, gpu_count, gpu_numa, numa_nodes, fabric.link_gbps)

    @staticmethod
    def interfaces(
        instance: InstanceType | None, fabric: FabricPlan | None
    ) -> tuple[NetworkInterfacePlan, ...]:
        """aws: the documented EFA layout when the pool is on an EFA fabric, else one ENA interface."""
        if instance is None:
            return ()
        if fabric is None or fabric.type != "efa":
            return (NetworkInterfacePlan(network_card_index=0, device_index=0, kind="interface"),)
        return tuple(
            NetworkInterfacePlan(
                network_card_index=s.network_card_index, device_index=s.device_index, kind=s.kind
            )
            for s in instance.interface_layout
        )

    def plan(self, source_files: Sequence[str]) -> ClusterPlan:
        pools = tuple(self.pool(index, pool) for index, pool in enumerate(self.spec.node_pools))
        fabrics = tuple(
            self.resolved_fabrics.get(f.name) or self.unused_fabric(i, f)
            for i, f in enumerate(self.spec.fabrics)
        )
        validation = self.spec.validation
        topology = tuple(t for i, f in enumerate(self.spec.fabrics) if (t := self.topology(i, f, pools)))
        return ClusterPlan(
            name=self.blueprint.metadata.name,
            team=self.blueprint.metadata.team,
            labels=dict(self.blueprint.metadata.labels),
            stack=self.blueprint.metadata.stack,
            source_files=tuple(source_files),
            provider=self.spec.provider,
            scheduler=self.spec.scheduler,
            platform=self.spec.platform,
            observability=self.spec.observability,
            tuning=self.spec.tuning,
            pools=pools,
            fabrics=fabrics,
            dpus=tuple(self.spec.dpus),
            storage=tuple(self.spec.storage),
            validation=validation_checks(pools, validation, self.provider),
            rules=validation.rules,
            summary=Summary(
                nodes=sum(p.count for p in pools),
                gpus=sum(p.count * p.gpus_per_node for p in pools),
                estimated_hourly_usd=total_hourly([(p.hourly_usd_per_node, p.count) for p in pools]),
            ),
            teams=tuple(
                TeamPlan(
                    name=t.name,
                    namespace=t.namespace or t.name,
                    cohort=t.cohort or self.blueprint.metadata.name,
                    priority=t.priority,
                    quotas=tuple(t.quotas),
                )
                for t in self.spec.teams
            ),
            topology=topology,
        )

    @staticmethod
    def topology(index: int, fabric: Fabric, pools: Sequence[PoolPlan]) -> TopologyPlan | None:
        try:
            return fabric_topology(fabric, pools)
        except TopologyError as error:
            raise _Failure(f"spec.fabrics[{index}].{error.field}", error.message) from None

    def unused_fabric(self, index: int, fabric: Fabric) -> FabricPlan:
        """A fabric no pool uses: resolved on its own (EFA without an instance keeps blueprint values)."""
        if fabric.type == "efa":
            return FabricPlan(
                name=fabric.name,
                type="efa",
                nic=fabric.nic or "efa",
                link_gbps=fabric.link_gbps or 0,
                rails_per_node=fabric.rails_per_node or 0,
                gpu_direct_rdma=fabric.gpu_direct_rdma,
                hcas=(),
            )
        try:
            return resolve_fabric(fabric, self.catalog, None, 0, None)
        except FabricError as error:
            raise _Failure(f"spec.fabrics[{index}].{error.field}", error.message) from None


def with_system_pool_cost(plan: ClusterPlan, catalog: Catalog | None = None) -> ClusterPlan:
    """The summary's hourly estimate with the EKS system node group added: AWS bills those nodes too."""
    from aiinfra_iac.plan.system_pool import system_pool

    extra = system_pool(plan, catalog)
    if extra is None:
        return plan
    pools = [(p.hourly_usd_per_node, p.count) for p in (*plan.pools, extra)]
    summary = plan.summary.model_copy(update={"estimated_hourly_usd": total_hourly(pools)})
    return plan.model_copy(update={"summary": summary})


def resolve(
    blueprint: Blueprint, source_files: Sequence[str] = (), catalog: Catalog | None = None
) -> ClusterPlan:
    """The resolved cluster; raises :class:`BlueprintError` when a fact cannot be joined.

    ``catalog`` is the one the blueprint was checked against (with its ``spec.catalog``);
    default: the built-in catalog plus ``$AIINFRA_CATALOG``."""
    facts = catalog or load_catalog()
    try:
        return with_system_pool_cost(with_roles(_Resolver(blueprint, facts).plan(source_files)), facts)
    except _Failure as failure:
        file = source_files[0] if source_files else None
        raise BlueprintError(
            [Problem(RESOLVE_PROBLEM_ID, failure.loc, failure.message, file, None)]
        ) from None


def plan_from_file(path: str | Path) -> tuple[ClusterPlan, list[Problem]]:
    """Load, check and resolve a blueprint file; returns the plan and the warnings."""
    from aiinfra_iac.blueprint import load_and_check
    from aiinfra_iac.blueprint.checks import catalog_for

    checked = load_and_check(Path(path))
    loaded = checked.loaded
    try:
        # the spec.catalog file is a source too: `up` resumes only while none of them changed
        sources = (*loaded.source_files, *([loaded.catalog_file] if loaded.catalog_file else []))
        plan = resolve(loaded.blueprint, sources, catalog_for(loaded))
    except BlueprintError as error:
        located = []
        for problem in error.problems:
            file, line = loaded.locate(problem.loc)
            located.append(Problem(problem.id, problem.loc, problem.message, file, line, problem.level))
        raise BlueprintError(located) from None
    return plan, list(checked.warnings)
