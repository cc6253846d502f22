"""Team and platform checks: quotas name GPU pools, unique names, operators fit the scheduler, storage."""

from __future__ import annotations

from collections.abc import Iterator

from aiinfra_iac.blueprint.checks.base import Context, Finding, rule, suggest


@rule("AI190", "error", "team quota on an unknown or GPU-less pool")
def quota_pools_exist(ctx: Context) -> Iterator[Finding]:
    pools = {pool.name: pool for _, pool in ctx.pools()}
    for t, team in enumerate(ctx.blueprint.spec.teams):
        for q, quota in enumerate(team.quotas):
            loc = ("spec", "teams", t, "quotas", q, "pool")
            pool = pools.get(quota.pool)
            if pool is None:
                yield Finding(
                    loc,
                    f"team {team.name}: no node pool named '{quota.pool}'{suggest(quota.pool, pools)}",
                )
            elif pool.role != "compute" or ctx.pool_gpu(pool) is None:
                yield Finding(loc, f"team {team.name}: pool '{quota.pool}' has no GPUs to give a quota of")


@rule("AI191", "error", "duplicate team name, namespace or pool quota")
def teams_unique(ctx: Context) -> Iterator[Finding]:
    names: set[str] = set()
    namespaces: set[str] = set()
    for t, team in enumerate(ctx.blueprint.spec.teams):
        namespace = team.namespace or team.name
        if team.name in names:
            yield Finding(("spec", "teams", t, "name"), f"team '{team.name}' is defined twice")
        elif namespace in namespaces:
            yield Finding(
                ("spec", "teams", t, "namespace"),
                f"team {team.name}: namespace '{namespace}' already belongs to another team "
                "(one LocalQueue per team namespace)",
            )
        names.add(team.name)
        namespaces.add(namespace)
        seen: set[str] = set()
        for q, quota in enumerate(team.quotas):
            if quota.pool in seen:
                yield Finding(
                    ("spec", "teams", t, "quotas", q, "pool"),
                    f"team {team.name}: pool '{quota.pool}' has two quotas; merge them into one",
                )
            seen.add(quota.pool)


@rule("AI192", "warning", "team quotas above the pool's GPUs")
def quotas_fit_pools(ctx: Context) -> Iterator[Finding]:
    # legal (Kueue admits nothing beyond the real nodes), but the quotas then promise GPUs nobody has
    for index, pool in ctx.pools():
        found = ctx.pool_gpu(pool)
        if found is None or pool.count is None:
            continue
        total = found[1] * pool.count
        asked = sum(q.gpus for team in ctx.blueprint.spec.teams for q in team.quotas if q.pool == pool.name)
        if asked > total:
            yield Finding(
                ("spec", "nodePools", index, "count"),
                f"teams are promised {asked} GPUs of pool {pool.name}, which has {total}",
            )


@rule("AI193", "error", "Kubernetes operators on a cluster without Kubernetes")
def operators_need_kubernetes(ctx: Context) -> Iterator[Finding]:
    platform = ctx.blueprint.spec.platform
    if ctx.blueprint.spec.scheduler.type == "kubernetes":
        return
    for key, value in (
        ("ray", platform.ray),
        ("trainingOperator", platform.training_operator),
        ("batchScheduler", platform.batch_scheduler),
    ):
        if value:
            yield Finding(
                ("spec", "platform", key),
                f"platform.{key} installs a Kubernetes operator; scheduler is "
                f"{ctx.blueprint.spec.scheduler.type}",
            )


@rule("AI194", "error", "artifact storage that is not an s3 entry")
def artifact_storage_is_s3(ctx: Context) -> Iterator[Finding]:
    name = ctx.blueprint.spec.platform.artifact_storage
    if name is None:
        return
    storage = {s.name: s for s in ctx.blueprint.spec.storage}
    found = storage.get(name)
    if found is None or found.type != "s3":
        buckets = [s.name for s in storage.values() if s.type == "s3"]
        yield Finding(
            ("spec", "platform", "artifactStorage"),
            f"'{name}' is not an s3 entry of spec.storage{suggest(name, buckets)}",
        )


@rule("AI195", "warning", "MLflow artifacts without a bucket")
def mlflow_needs_a_bucket(ctx: Context) -> Iterator[Finding]:
    # legal, but the tracking server then keeps artifacts on its own disk: lost with the pod's volume
    spec = ctx.blueprint.spec
    if spec.platform.experiment_tracking == "mlflow" and not any(s.type == "s3" for s in spec.storage):
        yield Finding(
            ("spec", "platform", "experimentTracking"),
            "MLflow has no s3 entry in spec.storage for its artifacts; they stay on the server's disk",
        )
