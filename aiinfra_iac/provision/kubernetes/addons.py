"""``ClusterAddons``: namespaces, Helm releases and the pool expectations on a Kubernetes cluster.

Used twice: on an existing cluster (provider ``kubernetes``) and on the EKS cluster the AWS
program creates. The caller passes the Kubernetes provider through ``opts.providers``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from aiinfra_iac.observability.grafana import dashboard_files
from aiinfra_iac.observability.rules import render_dcgm_counters
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.common import cluster_labels
from aiinfra_iac.provision.kubernetes import charts
from aiinfra_iac.provision.kubernetes.alerts import PROMETHEUS_RULE_API, prometheus_rules
from aiinfra_iac.provision.kubernetes.queues import kueue_objects
from aiinfra_iac.provision.kubernetes.values import (
    DCGM_METRICS_CONFIGMAP,
    DCGM_METRICS_FILE,
    EFA_METRICS_CONFIGMAP,
    EFA_METRICS_SCRIPT,
    GRAFANA_DASHBOARD_LABEL,
    Release,
    needs_network_operator,
    nic_cluster_policy_spec,
    releases_for,
    uses_efa,
)
from aiinfra_iac.resources import bundled_path

SYSTEM_NAMESPACE = "aiinfra-system"


@dataclass(frozen=True)
class ClusterAddonsArgs:
    plan: ClusterPlan
    on_eks: bool = False


def pool_expectations(plan: ClusterPlan) -> dict[str, object]:
    """What each pool's nodes must look like; the validate stage and operators read this ConfigMap."""
    return {
        pool.name: {
            "count": pool.count,
            "gpusPerNode": pool.gpus_per_node,
            "gpuModel": pool.gpu.model if pool.gpu else None,
            "fabric": pool.fabric.type if pool.fabric else None,
            "labels": dict(pool.labels),
            "taints": [t.model_dump(by_alias=True) for t in pool.taints],
        }
        for pool in plan.pools
    }


class ClusterAddons(pulumi.ComponentResource):
    """Everything aiinfra installs into a Kubernetes cluster for one blueprint."""

    TYPE = "aiinfra:kubernetes:ClusterAddons"

    def __init__(
        self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        plan = args.plan
        labels = cluster_labels(plan)
        self.namespaces: dict[str, k8s.core.v1.Namespace] = {}
        self.releases: dict[str, k8s.helm.v3.Release] = {}

        system = self._namespace(name, SYSTEM_NAMESPACE, labels, privileged=False)
        self.expectations = k8s.core.v1.ConfigMap(
            f"{name}-expectations",
            metadata={"name": "aiinfra-expectations", "namespace": SYSTEM_NAMESPACE, "labels": labels},
            data={"pools.json": json.dumps(pool_expectations(plan), sort_keys=True)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system]),
        )
        releases = releases_for(plan, on_eks=args.on_eks)
        previous: list[pulumi.Resource] = [
            *self._dcgm_metrics(name, plan, labels, releases),
            *self._efa_metrics_script(name, plan, labels, releases),
        ]
        for release in releases:
            created = self._release(name, release, labels, previous)
            previous = [created]
        self.queues = self._kueue_objects(name, plan, labels)
        self.dashboards = self._dashboards(name, plan, labels)
        self.alert_rules = self._alert_rules(name, plan, labels)
        self.nic_cluster_policy: k8s.apiextensions.CustomResource | None = None
        if needs_network_operator(plan):
            # The Network Operator's CRD comes with its chart: create the policy after the release.
            self.nic_cluster_policy = k8s.apiextensions.CustomResource(
                f"{name}-nic-cluster-policy",
                api_version="mellanox.com/v1alpha1",
                kind="NicClusterPolicy",
                metadata={"name": "nic-cluster-policy", "labels": labels},
                spec=nic_cluster_policy_spec(),
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[self.releases[charts.NETWORK_OPERATOR.release]]
                ),
            )

        self.register_outputs(
            {
                "namespaces": sorted(self.namespaces),
                "releases": {r: rel.id for r, rel in self.releases.items()},
                "expectations": self.expectations.id,
                "queues": sorted(f"{o.kind}/{o.name}" for o in kueue_objects(plan)),
            }
        )

    def _dcgm_metrics(
        self, name: str, plan: ClusterPlan, labels: dict[str, str], releases: list[Release]
    ) -> list[pulumi.Resource]:
        """The field list the GPU Operator's DCGM exporter reads (``dcgmExporter.config``), made first."""
        operator = next((r for r in releases if r.pin == charts.GPU_OPERATOR), None)
        if operator is None or not operator.values["dcgmExporter"]["enabled"]:
            return []
        namespace = self._namespace(name, charts.GPU_OPERATOR.namespace, labels, privileged=True)
        nvlink = any(p.gpu is not None and p.gpu.nvswitch for p in plan.pools)
        counters = k8s.core.v1.ConfigMap(
            f"{name}-dcgm-metrics",
            metadata={
                "name": DCGM_METRICS_CONFIGMAP,
                "namespace": charts.GPU_OPERATOR.namespace,
                "labels": labels,
            },
            data={DCGM_METRICS_FILE: render_dcgm_counters(nvlink=nvlink)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
        )
        return [counters]

    def _efa_metrics_script(
        self, name: str, plan: ClusterPlan, labels: dict[str, str], releases: list[Release]
    ) -> list[pulumi.Resource]:
        """The EFA counters script the node-exporter sidecar runs (efa_node_exporter_values), made first."""
        if not uses_efa(plan) or not any(r.pin == charts.KUBE_PROMETHEUS_STACK for r in releases):
            return []
        namespace = self._namespace(
            name,
            charts.KUBE_PROMETHEUS_STACK.namespace,
            labels,
            privileged=charts.KUBE_PROMETHEUS_STACK.privileged,
        )
        script = bundled_path("roles") / "observability" / "files" / EFA_METRICS_SCRIPT
        return [
            k8s.core.v1.ConfigMap(
                f"{name}-efa-metrics",
                metadata={
                    "name": EFA_METRICS_CONFIGMAP,
                    "namespace": charts.KUBE_PROMETHEUS_STACK.namespace,
                    "labels": labels,
                },
                data={EFA_METRICS_SCRIPT: script.read_text()},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
            )
        ]

    def _dashboards(self, name: str, plan: ClusterPlan, labels: dict[str, str]) -> list[pulumi.Resource]:
        """aiinfra's Grafana dashboards as ConfigMaps the kube-prometheus-stack Grafana sidecar loads."""
        stack = self.releases.get(charts.KUBE_PROMETHEUS_STACK.release)
        if stack is None or plan.observability.dashboards != "grafana":
            return []
        return [
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{path.stem}",
                metadata={
                    "name": path.stem,
                    "namespace": charts.KUBE_PROMETHEUS_STACK.namespace,
                    "labels": {**labels, GRAFANA_DASHBOARD_LABEL: "1"},
                },
                data={path.name: path.read_text()},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[stack]),
            )
            for path in dashboard_files()
        ]

    def _alert_rules(self, name: str, plan: ClusterPlan, labels: dict[str, str]) -> list[pulumi.Resource]:
        """The role's alert rules as PrometheusRule objects; the CRD comes with kube-prometheus-stack."""
        stack = self.releases.get(charts.KUBE_PROMETHEUS_STACK.release)
        if stack is None:
            return []
        return [
            k8s.apiextensions.CustomResource(
                f"{name}-{rule}",
                api_version=PROMETHEUS_RULE_API,
                kind="PrometheusRule",
                metadata={
                    "name": rule,
                    "namespace": charts.KUBE_PROMETHEUS_STACK.namespace,
                    "labels": labels,
                },
                spec={"groups": groups},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[stack]),
            )
            for rule, groups in prometheus_rules(plan).items()
        ]

    def _kueue_objects(self, name: str, plan: ClusterPlan, labels: dict[str, str]) -> list[pulumi.Resource]:
        """Team namespaces and Kueue objects; Kueue's CRDs come with its chart, so after the release."""
        kueue = self.releases.get(charts.KUEUE.release)
        if kueue is None:
            return []
        created: list[pulumi.Resource] = []
        cluster_scoped: list[pulumi.Resource] = [kueue]
        objects = kueue_objects(plan)
        priorities = [o for o in objects if o.value is not None]
        if priorities:
            # A WorkloadPriorityClass has a top-level ``value`` and no spec, which CustomResource
            # cannot express; a ConfigGroup applies the plain objects.
            group = k8s.yaml.v2.ConfigGroup(
                f"{name}-workload-priorities",
                objs=[
                    {
                        "apiVersion": o.api_version,
                        "kind": o.kind,
                        "metadata": {"name": o.name, "labels": labels},
                        "value": o.value,
                        "description": f"priority of team {o.name}'s workloads",
                    }
                    for o in priorities
                ],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[kueue]),
            )
            created.append(group)
        for obj in objects:
            if obj.value is not None:
                continue
            depends: list[pulumi.Resource] = list(cluster_scoped)
            if obj.namespace is not None:
                depends.append(self._namespace(name, obj.namespace, labels, privileged=False))
            metadata: dict[str, object] = {"name": obj.name, "labels": labels}
            if obj.namespace is not None:
                metadata["namespace"] = obj.namespace
            resource = k8s.apiextensions.CustomResource(
                f"{name}-{obj.kind.lower()}-{obj.namespace + '-' if obj.namespace else ''}{obj.name}",
                api_version=obj.api_version,
                kind=obj.kind,
                metadata=metadata,
                spec=obj.spec,
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
            )
            created.append(resource)
            if obj.kind in ("Topology", "ResourceFlavor", "ClusterQueue"):
                cluster_scoped = [*cluster_scoped, resource]
        return created

    def _namespace(
        self, name: str, namespace: str, labels: dict[str, str], *, privileged: bool
    ) -> pulumi.Resource:
        if namespace in self.namespaces:
            return self.namespaces[namespace]
        ns_labels = dict(labels)
        if privileged:
            ns_labels["pod-security.kubernetes.io/enforce"] = "privileged"
        created = k8s.core.v1.Namespace(
            f"{name}-ns-{namespace}",
            metadata={"name": namespace, "labels": ns_labels},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.namespaces[namespace] = created
        return created

    def _release(
        self, name: str, release: Release, labels: dict[str, str], after: list[pulumi.Resource]
    ) -> k8s.helm.v3.Release:
        pin = release.pin
        depends: list[pulumi.Resource] = list(after)
        if pin.namespace != "kube-system":
            depends.append(self._namespace(name, pin.namespace, labels, privileged=pin.privileged))
        repository = k8s.helm.v3.RepositoryOptsArgs(repo=pin.repo) if pin.repo else None
        created = k8s.helm.v3.Release(
            f"{name}-{pin.release}",
            name=pin.release,
            chart=pin.chart,
            version=pin.version,
            repository_opts=repository,
            namespace=pin.namespace,
            values=release.values,
            atomic=True,
            timeout=900,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        self.releases[pin.release] = created
        return created
