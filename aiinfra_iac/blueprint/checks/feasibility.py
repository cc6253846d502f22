"""Combinations no stage implements (AI164-AI169, scheduler block): nothing would build them.

Each error says what to use instead. They exist because a blueprint that `check` accepts must
be one that `up` can deliver: silently skipping a service is worse than refusing it.
"""

from __future__ import annotations

from collections.abc import Iterator

from aiinfra_iac.blueprint.checks.base import Context, Finding, rule

_HOSTS = ("onprem", "local")


def _on_kubernetes(ctx: Context) -> bool:
    return ctx.blueprint.spec.scheduler.type == "kubernetes"


@rule("AI164", "error", "Kubernetes scheduler on hosts: no stage installs Kubernetes")
def kubernetes_on_hosts(ctx: Context) -> Iterator[Finding]:
    if ctx.provider in _HOSTS and _on_kubernetes(ctx):
        yield Finding(
            ("spec", "scheduler", "type"),
            f"no stage installs Kubernetes on {ctx.provider} hosts; for a Kubernetes cluster you already "
            "run, use provider: {type: kubernetes, kubeconfig: ~/.kube/config}; for these hosts, use "
            "scheduler: {type: slurm}",
        )


@rule("AI165", "error", "platform service without Kubernetes")
def platform_needs_kubernetes(ctx: Context) -> Iterator[Finding]:
    if _on_kubernetes(ctx):
        return
    platform = ctx.blueprint.spec.platform
    for key, value in (
        ("experimentTracking", platform.experiment_tracking),
        ("vectorStore", platform.vector_store),
        ("featureStore", platform.feature_store),
    ):
        if value is not None:
            yield Finding(
                ("spec", "platform", key),
                f"{value} is installed as a Helm chart, which needs scheduler kubernetes, not "
                f"{ctx.blueprint.spec.scheduler.type}; remove it or run it outside this cluster",
            )


@rule("AI166", "error", "log stack without Kubernetes")
def logs_need_kubernetes(ctx: Context) -> Iterator[Finding]:
    logs = ctx.blueprint.spec.observability.logs
    if logs != "none" and not _on_kubernetes(ctx):
        yield Finding(
            ("spec", "observability", "logs"),
            f"{logs} is installed as a Helm chart, which needs scheduler kubernetes; set logs: none and "
            "ship the nodes' journals to your existing log system",
        )


@rule("AI167", "warning", "dashboards asked for without Kubernetes: only exporters are installed")
def dashboards_without_kubernetes(ctx: Context) -> Iterator[Finding]:
    obs = ctx.blueprint.spec.observability
    # only when written in the blueprint: the default (grafana) must not warn on every Slurm cluster
    if _on_kubernetes(ctx) or "dashboards" not in obs.model_fields_set or obs.dashboards == "none":
        return
    yield Finding(
        ("spec", "observability", "dashboards"),
        "without Kubernetes, the configure stage installs node_exporter and dcgm-exporter only (no "
        "Prometheus server, no Grafana); point your Prometheus at port 9100/9400 of the nodes and set "
        "dashboards: none",
    )


@rule("AI168", "error", "suppression of an unknown or error-level check")
def suppress_known_warnings(ctx: Context) -> Iterator[Finding]:
    levels = ctx.rule_levels
    for index, entry in enumerate(ctx.blueprint.spec.suppress):
        level = levels.get(entry.id)
        loc = ("spec", "suppress", index, "id")
        if level is None:
            yield Finding(loc, f"no check has ID {entry.id}; docs/checks.md lists them")
        elif level == "error":
            yield Finding(
                loc, f"{entry.id} is an error (the cluster cannot work); only warnings can be suppressed"
            )


@rule("AI169", "error", "scheduler type ray: no stage installs a standalone Ray cluster")
def standalone_ray(ctx: Context) -> Iterator[Finding]:
    # Ray is delivered the way the Ray project recommends for clusters: the KubeRay operator
    # (platform.ray) running RayCluster/RayJob on Kubernetes; no stage starts `ray start` daemons
    # on nodes, so accepting type ray would give nodes without Ray.
    # https://docs.ray.io/en/latest/cluster/kubernetes/index.html
    if ctx.blueprint.spec.scheduler.type != "ray":
        return
    if ctx.provider in _HOSTS:
        instead = (
            "on these hosts use scheduler: {type: slurm}, or {type: none} for nodes without a scheduler; "
            "for Ray, run on Kubernetes (provider kubernetes or aws) with platform: {ray: true}"
        )
    else:
        instead = (
            "use scheduler: {type: kubernetes} with platform: {ray: true} (the KubeRay operator runs "
            "RayCluster and RayJob), or {type: none} for nodes without a scheduler"
        )
    yield Finding(("spec", "scheduler", "type"), f"no stage installs a standalone Ray cluster; {instead}")
