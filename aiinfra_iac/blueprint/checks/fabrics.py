"""Fabric checks: fabric type vs provider and instance type, line rates, rails, RoCE QoS, DPUs."""

from __future__ import annotations

from collections.abc import Iterator

from aiinfra_iac.blueprint.checks.base import Context, Finding, pool_loc, rule, suggest
from aiinfra_iac.blueprint.models import Fabric

_LINK_TYPE = {"efa": "efa", "infiniband": "infiniband", "roce": "ethernet"}


def _fabrics(ctx: Context) -> Iterator[tuple[int, Fabric]]:
    yield from enumerate(ctx.blueprint.spec.fabrics)


def _loc(index: int, *rest: str | int) -> tuple[str | int, ...]:
    return ("spec", "fabrics", index, *rest)


@rule("AI130", "error", "EFA fabric on an instance type without EFA")
def efa_needs_efa_instance(ctx: Context) -> Iterator[Finding]:
    for index, pool in ctx.pools():
        found = ctx.fabric(pool.fabric)
        instance = ctx.instance(pool)
        if found is None or instance is None or found[1].type != "efa":
            continue
        if instance.efa_interfaces == 0:
            with_efa = sorted(
                name for name, it in ctx.catalog.instance_types.items() if it.efa_interfaces > 0
            )
            yield Finding(
                pool_loc(index, "fabric"),
                f"{instance.name} has no EFA interfaces, so it cannot join EFA fabric '{found[1].name}'; "
                f"use one of {', '.join(with_efa)} or remove 'fabric'",
            )


@rule("AI131", "error", "EFA fabric outside AWS")
def efa_only_on_aws(ctx: Context) -> Iterator[Finding]:
    # kubernetes may be an existing EKS cluster, where EFA exists; onprem and local have none
    if ctx.provider not in ("onprem", "local"):
        return
    for index, fabric in _fabrics(ctx):
        if fabric.type == "efa":
            yield Finding(
                _loc(index, "type"), f"EFA exists only on AWS, not on {ctx.provider}; use infiniband or roce"
            )


@rule("AI132", "error", "InfiniBand or RoCE fabric on AWS")
def no_ib_on_aws(ctx: Context) -> Iterator[Finding]:
    if ctx.provider != "aws":
        return
    for index, fabric in _fabrics(ctx):
        if fabric.type in ("infiniband", "roce"):
            yield Finding(
                _loc(index, "type"), f"AWS offers no {fabric.type} between instances; use type: efa"
            )


@rule("AI133", "error", "settings block of another fabric type")
def settings_match_type(ctx: Context) -> Iterator[Finding]:
    for index, fabric in _fabrics(ctx):
        if fabric.roce is not None and fabric.type != "roce":
            yield Finding(
                _loc(index, "roce"), f"'roce' settings apply to type roce, not {fabric.type}; remove them"
            )
        if fabric.infiniband is not None and fabric.type != "infiniband":
            yield Finding(
                _loc(index, "infiniband"),
                f"'infiniband' settings apply to type infiniband, not {fabric.type}; remove them",
            )


@rule("AI134", "error", "link rate above what the NIC or instance can do")
def link_rate_reachable(ctx: Context) -> Iterator[Finding]:
    for index, fabric in _fabrics(ctx):
        if fabric.link_gbps is None:
            continue
        nic = ctx.catalog.nics.get(fabric.nic) if fabric.nic else None
        if nic is not None and fabric.link_gbps > nic.line_rate_gbps:
            yield Finding(
                _loc(index, "linkGbps"),
                f"{nic.id} runs at most {nic.line_rate_gbps} Gb/s per port; set linkGbps: "
                f"{nic.line_rate_gbps} or less",
            )
            continue
        for _, pool in ctx.pools_on(fabric.name):
            instance = ctx.instance(pool)
            if fabric.type != "efa" or instance is None or instance.efa_interfaces == 0:
                continue
            per_rail = instance.network_gbps // instance.efa_interfaces
            if fabric.link_gbps > per_rail:
                yield Finding(
                    _loc(index, "linkGbps"),
                    f"{instance.name} has {instance.network_gbps} Gb/s over {instance.efa_interfaces} EFA "
                    f"interfaces ({per_rail} Gb/s each); set linkGbps: {per_rail} or leave it out",
                )
                break


@rule("AI135", "error", "railsPerNode disagrees with the instance type")
def rails_match_instance(ctx: Context) -> Iterator[Finding]:
    for index, fabric in _fabrics(ctx):
        if fabric.rails_per_node is None or fabric.type != "efa":
            continue
        for _, pool in ctx.pools_on(fabric.name):
            instance = ctx.instance(pool)
            if (
                instance is not None
                and instance.efa_interfaces
                and fabric.rails_per_node != instance.efa_interfaces
            ):
                yield Finding(
                    _loc(index, "railsPerNode"),
                    f"{instance.name} has {instance.efa_interfaces} EFA interfaces; set railsPerNode: "
                    f"{instance.efa_interfaces} or leave it out (the catalog supplies it)",
                )
                break


@rule("AI136", "error", "DPU does not fit the pool's fabric")
def dpu_fits_fabric(ctx: Context) -> Iterator[Finding]:
    dpus = {dpu.name: dpu for dpu in ctx.blueprint.spec.dpus}
    for index, pool in ctx.pools():
        dpu = dpus.get(pool.dpu) if pool.dpu else None
        if dpu is None:
            continue
        if ctx.provider == "aws":
            yield Finding(pool_loc(index, "dpu"), "EC2 instances cannot carry BlueField DPUs; remove 'dpu'")
            continue
        found = ctx.fabric(pool.fabric)
        if found is None:
            continue
        fabric = found[1]
        if fabric.type == "efa":
            yield Finding(pool_loc(index, "dpu"), f"a BlueField DPU cannot serve EFA fabric '{fabric.name}'")
            continue
        facts = ctx.catalog.dpus.get(dpu.model)
        if facts is not None and fabric.link_gbps is not None and fabric.link_gbps > facts.line_rate_gbps:
            yield Finding(
                pool_loc(index, "dpu"),
                f"{dpu.model} runs at most {facts.line_rate_gbps} Gb/s per port but fabric '{fabric.name}' "
                f"has linkGbps {fabric.link_gbps}; lower linkGbps or use a faster DPU",
            )


@rule("AI137", "warning", "RoCE traffic class does not carry the DSCP value")
def traffic_class_matches_dscp(ctx: Context) -> Iterator[Finding]:
    for index, fabric in _fabrics(ctx):
        roce = fabric.roce
        if roce is not None and roce.traffic_class >> 2 != roce.dscp:
            expected = roce.dscp << 2 | (2 if roce.ecn else 0)
            yield Finding(
                _loc(index, "roce", "trafficClass"),
                f"trafficClass {roce.traffic_class} encodes DSCP {roce.traffic_class >> 2}, but dscp is "
                f"{roce.dscp}; NCCL_IB_TC = DSCP << 2 (+ ECN bits), e.g. trafficClass: {expected}",
            )


@rule("AI138", "error", "unknown NIC or NIC of another link type")
def nic_known(ctx: Context) -> Iterator[Finding]:
    for index, fabric in _fabrics(ctx):
        if fabric.nic is None:
            continue
        nic = ctx.catalog.nics.get(fabric.nic)
        if nic is None:
            yield Finding(
                _loc(index, "nic"),
                f"unknown NIC '{fabric.nic}'{suggest(fabric.nic, ctx.catalog.nics)} "
                f"(known: {', '.join(sorted(ctx.catalog.nics))})",
            )
        elif _LINK_TYPE[fabric.type] not in nic.link_types:
            yield Finding(
                _loc(index, "nic"),
                f"{nic.id} speaks {', '.join(nic.link_types)}, not {_LINK_TYPE[fabric.type]} (fabric "
                f"type {fabric.type})",
            )


@rule("AI139", "error", "hcas list and railsPerNode disagree")
def hcas_match_rails(ctx: Context) -> Iterator[Finding]:
    for index, fabric in _fabrics(ctx):
        if fabric.hcas is None:
            continue
        if len(set(fabric.hcas)) != len(fabric.hcas):
            yield Finding(_loc(index, "hcas"), "hcas lists a device twice; name each HCA once")
        elif fabric.rails_per_node is not None and len(fabric.hcas) != fabric.rails_per_node:
            yield Finding(
                _loc(index, "hcas"),
                f"hcas names {len(fabric.hcas)} devices but railsPerNode is {fabric.rails_per_node}; "
                "list one HCA per rail",
            )


def _node_names(ctx: Context, fabric_name: str) -> set[str]:
    """The node names of the pools on a fabric, as the plan names them (hosts on-prem, else <pool>-<n>)."""
    return {name for _, pool in ctx.pools_on(fabric_name) for name in pool.node_names(ctx.provider)}


@rule("AI146", "error", "fabric topology groups do not match the fabric's nodes")
def topology_matches_nodes(ctx: Context) -> Iterator[Finding]:
    for index, fabric in _fabrics(ctx):
        topology = fabric.topology
        if topology is None:
            continue
        if (topology.groups is None) == (topology.group_size is None):
            yield Finding(
                _loc(index, "topology"),
                "give either groupSize (nodes per leaf switch or block) or groups (named, with their "
                "hosts), not both and not neither",
            )
            continue
        nodes = _node_names(ctx, fabric.name)
        placed: dict[str, str] = {}
        for number, group in enumerate(topology.groups or ()):
            for host in group.hosts:
                if host not in nodes:
                    yield Finding(
                        _loc(index, "topology", "groups", number, "hosts"),
                        f"'{host}' is not a node of a pool on fabric '{fabric.name}'{suggest(host, nodes)}",
                    )
                elif host in placed:
                    yield Finding(
                        _loc(index, "topology", "groups", number, "hosts"),
                        f"'{host}' is already under '{placed[host]}'; "
                        "a node hangs off one leaf switch or block",
                    )
                else:
                    placed[host] = group.name
        missing = sorted(nodes - set(placed)) if topology.groups is not None else []
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            yield Finding(
                _loc(index, "topology", "groups"),
                f"{shown} of fabric '{fabric.name}' {'is' if len(missing) == 1 else 'are'} in no group; "
                "Slurm cannot place a job across them and the others — "
                "add them to their leaf switch or block",
            )


@rule("AI147", "warning", "fabric topology without a scheduler that uses it")
def topology_needs_slurm(ctx: Context) -> Iterator[Finding]:
    if ctx.blueprint.spec.scheduler.type == "slurm":
        return
    for index, fabric in _fabrics(ctx):
        if fabric.topology is not None:
            yield Finding(
                _loc(index, "topology"),
                f"fabric topology feeds Slurm's topology.conf; scheduler "
                f"{ctx.blueprint.spec.scheduler.type} does not read it (Kubernetes: node labels and Kueue "
                "topology levels come from the pools)",
            )


@rule("AI148", "error", "subnet manager hosts that cannot run the fabric's SM")
def subnet_manager_hosts_fit(ctx: Context) -> Iterator[Finding]:
    for index, fabric in _fabrics(ctx):
        infiniband = fabric.infiniband
        if infiniband is None or infiniband.subnet_manager_hosts is None:
            continue
        where = _loc(index, "infiniband", "subnetManagerHosts")
        if fabric.type != "infiniband" or infiniband.subnet_manager != "host":
            yield Finding(
                where,
                "subnetManagerHosts names the nodes that run opensm, which only subnetManager: host does "
                f"(this fabric's SM: {infiniband.subnet_manager}); set subnetManager: host or remove it",
            )
            continue
        nodes = _node_names(ctx, fabric.name)
        hosts = infiniband.subnet_manager_hosts
        for host in hosts:
            if host not in nodes:
                yield Finding(
                    where,
                    f"'{host}' is not a node of a pool on fabric '{fabric.name}'{suggest(host, nodes)} "
                    f"(opensm needs a port on the fabric: put its pool on fabric '{fabric.name}')",
                )
        if len(set(hosts)) != len(hosts):
            yield Finding(where, "the master and the standby subnet manager must be two different nodes")
