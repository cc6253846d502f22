"""Node pool checks: instance types, GPU facts, capacity, on-prem hosts."""

from __future__ import annotations

from collections.abc import Iterator

from aiinfra_iac.blueprint.checks.base import Context, Finding, pool_loc, rule, suggest
from aiinfra_iac.catalog.hosts import system, systems


@rule("AI101", "error", "unknown instance type")
def unknown_instance_type(ctx: Context) -> Iterator[Finding]:
    if ctx.provider != "aws":
        return  # AI120 reports instanceType on other providers
    for index, pool in ctx.pools():
        if pool.instance_type is not None and ctx.instance(pool) is None:
            known = ctx.catalog.instance_types
            hint = suggest(pool.instance_type, known)
            if not hint:
                gpu_types = sorted(name for name, it in known.items() if it.gpu_model is not None)
                hint = f" (GPU instance types in the catalog: {', '.join(gpu_types)})"
            yield Finding(
                pool_loc(index, "instanceType"), f"unknown instance type '{pool.instance_type}'{hint}"
            )


@rule("AI104", "error", "unknown GPU model")
def unknown_gpu_model(ctx: Context) -> Iterator[Finding]:
    names = [name for gpu in ctx.catalog.gpus.values() for name in (gpu.id, *gpu.aliases)]
    for index, pool in ctx.pools():
        if pool.gpu is not None and ctx.gpu_model(pool.gpu.model) is None:
            yield Finding(
                pool_loc(index, "gpu", "model"),
                f"unknown GPU model '{pool.gpu.model}'{suggest(pool.gpu.model, names)} "
                f"(canonical IDs: {', '.join(sorted(ctx.catalog.gpus))})",
            )


@rule("AI105", "error", "GPU facts contradict the instance type")
def gpu_matches_instance(ctx: Context) -> Iterator[Finding]:
    for index, pool in ctx.pools():
        instance = ctx.instance(pool)
        if pool.gpu is None or instance is None:
            continue
        if instance.gpu_model is None:
            yield Finding(
                pool_loc(index, "gpu"),
                f"{instance.name} has no GPUs; remove 'gpu' or pick a GPU instance type",
            )
            continue
        model = ctx.gpu_model(pool.gpu.model)
        if model is not None and model.id != instance.gpu_model:
            yield Finding(
                pool_loc(index, "gpu", "model"),
                f"{instance.name} has {instance.gpu_model} GPUs, not {model.id}; "
                f"set model: {instance.gpu_model} or drop 'gpu' (the instance type implies it)",
            )
        if pool.gpu.count != instance.gpu_count:
            yield Finding(
                pool_loc(index, "gpu", "count"),
                f"{instance.name} has {instance.gpu_count} GPUs per node, not {pool.gpu.count}; "
                f"set count: {instance.gpu_count}",
            )


@rule("AI106", "error", "compute pool with neither gpu, system nor instanceType")
def compute_pool_needs_hardware(ctx: Context) -> Iterator[Finding]:
    if ctx.provider == "local":
        return  # the local sandbox runs CPU-only pools (CPU fallback of validation)
    for index, pool in ctx.pools():
        if pool.role == "compute" and pool.gpu is None and pool.instance_type is None and pool.system is None:
            hint = "instanceType" if ctx.provider == "aws" else "gpu: {model: H100-SXM, count: 8}"
            yield Finding(
                pool_loc(index),
                f"compute pool '{pool.name}' says nothing about its hardware; add {hint}",
            )


@rule("AI107", "error", "capacity block without a reservation id")
def capacity_block_needs_reservation(ctx: Context) -> Iterator[Finding]:
    for index, pool in ctx.pools():
        if pool.capacity.type == "capacity-block" and pool.capacity.reservation_id is None:
            yield Finding(
                pool_loc(index, "capacity"),
                "capacity-block needs 'reservationId' (the cr-… ID of the purchased capacity block)",
            )


@rule("AI108", "error", "capacity block on an instance type that has none")
def capacity_block_supported(ctx: Context) -> Iterator[Finding]:
    for index, pool in ctx.pools():
        instance = ctx.instance(pool)
        if (
            pool.capacity.type == "capacity-block"
            and instance is not None
            and not instance.supports_capacity_blocks
        ):
            able = sorted(
                name for name, it in ctx.catalog.instance_types.items() if it.supports_capacity_blocks
            )
            yield Finding(
                pool_loc(index, "capacity", "type"),
                f"EC2 Capacity Blocks are not offered for {instance.name}; use on-demand or one of "
                f"{', '.join(able)}",
            )


@rule("AI109", "error", "on-prem pool without hosts")
def onprem_pool_needs_hosts(ctx: Context) -> Iterator[Finding]:
    if ctx.provider != "onprem":
        return
    for index, pool in ctx.pools():
        if not pool.hosts:
            yield Finding(pool_loc(index), f"on-prem pool '{pool.name}' needs 'hosts: [name-or-address, …]'")


@rule("AI110", "error", "count differs from the number of hosts")
def count_matches_hosts(ctx: Context) -> Iterator[Finding]:
    for index, pool in ctx.pools():
        if pool.hosts and pool.count is not None and pool.count != len(pool.hosts):
            yield Finding(
                pool_loc(index, "count"),
                f"count is {pool.count} but {len(pool.hosts)} hosts are listed; set count: {len(pool.hosts)} "
                "or leave count out",
            )


@rule("AI111", "warning", "spot capacity for a GPU training pool")
def spot_for_training(ctx: Context) -> Iterator[Finding]:
    for index, pool in ctx.pools():
        if pool.capacity.type == "spot" and pool.role == "compute" and ctx.pool_gpu(pool) is not None:
            yield Finding(
                pool_loc(index, "capacity", "type"),
                "spot GPU nodes can be reclaimed with two minutes' notice, killing synchronous "
                "training jobs; "
                "prefer capacity-block or on-demand",
            )


@rule("AI112", "error", "duplicate host in a pool")
def duplicate_hosts(ctx: Context) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    for index, pool in ctx.pools():
        for position, host in enumerate(pool.hosts or []):
            if host in seen:
                yield Finding(
                    pool_loc(index, "hosts", position),
                    f"host '{host}' is already listed in pool '{seen[host]}'; each host belongs to "
                    "one pool once",
                )
            else:
                seen[host] = pool.name


@rule("AI113", "warning", "pool with zero nodes")
def empty_pool(ctx: Context) -> Iterator[Finding]:
    for index, pool in ctx.pools():
        if pool.count == 0:
            yield Finding(
                pool_loc(index, "count"),
                f"pool '{pool.name}' has count: 0: it gets no nodes, so nothing is configured or "
                "validated there and `validate` has no result to pass; remove the pool or set count ≥ 1",
            )


@rule("AI114", "error", "unknown DGX system, or GPUs that contradict it")
def known_system(ctx: Context) -> Iterator[Finding]:
    for index, pool in ctx.pools():
        if pool.system is None:
            continue
        found = system(pool.system)
        if found is None:
            names = [s.name for s in systems()]
            yield Finding(
                pool_loc(index, "system"),
                f"unknown system '{pool.system}'{suggest(pool.system, names)} (known: {', '.join(names)})",
            )
            continue
        wanted = ctx.gpu_model(pool.gpu.model) if pool.gpu is not None else None
        if (
            pool.gpu is not None
            and wanted is not None
            and (wanted.id != found.gpu_model or pool.gpu.count != found.gpu_count)
        ):
            yield Finding(
                pool_loc(index, "gpu"),
                f"a {found.name} has {found.gpu_count} x {found.gpu_model}, not {pool.gpu.count} x "
                f"{wanted.id}; remove 'gpu' (the system gives it) or fix 'system'",
            )
