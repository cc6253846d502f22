"""Which Helm releases a plan needs on its Kubernetes cluster, and their values (pure data).

Kept free of Pulumi so tests and ``plan`` reviewers can reason about the values directly;
:mod:`.addons` turns each :class:`Release` into a ``kubernetes:helm.sh/v3:Release``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from aiinfra_iac.blueprint.models import KubernetesScheduler
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.kubernetes import charts
from aiinfra_iac.provision.kubernetes.charts import ChartPin

RDMA_FABRICS = ("infiniband", "roce")


@dataclass(frozen=True)
class Release:
    """A chart pin plus the values this plan gives it."""

    pin: ChartPin
    values: dict[str, Any] = field(default_factory=dict)


def kubernetes_settings(plan: ClusterPlan) -> KubernetesScheduler:
    """The scheduler's Kubernetes section, defaults filled in where the blueprint left it out."""
    return plan.scheduler.kubernetes or KubernetesScheduler()


def needs_network_operator(plan: ClusterPlan) -> bool:
    """Explicit setting, else: some pool runs on InfiniBand or RoCE."""
    explicit = kubernetes_settings(plan).network_operator
    if explicit is not None:
        return explicit
    return any(pool.fabric is not None and pool.fabric.type in RDMA_FABRICS for pool in plan.pools)


def uses_efa(plan: ClusterPlan) -> bool:
    return any(pool.fabric is not None and pool.fabric.type == "efa" for pool in plan.pools)


def gpu_operator_values(plan: ClusterPlan, *, on_eks: bool) -> dict[str, Any]:
    """Values per the GPU Operator's getting-started page (driver, toolkit, DCGM exporter, RDMA).

    On EKS the accelerated AL2023 AMI already carries the driver and the container toolkit,
    so the operator runs only the device plugin, GFD and the DCGM exporter there.
    """
    driver = plan.tuning.driver
    operator_driver = driver.managed_by == "gpu-operator" and not on_eks
    rdma = needs_network_operator(plan) and any(p.fabric and p.fabric.gpu_direct_rdma for p in plan.pools)
    exporter = plan.observability.gpu_exporter == "dcgm"
    return {
        "driver": {
            "enabled": operator_driver,
            "kernelModuleType": "open" if driver.open else "proprietary",
            "rdma": {"enabled": operator_driver and rdma, "useHostMofed": False},
        },
        "toolkit": {"enabled": not on_eks},
        "dcgmExporter": {
            "enabled": exporter,
            "serviceMonitor": {"enabled": exporter and plan.observability.metrics == "prometheus"},
        },
        "nfd": {"enabled": True},
        # the operator's per-node DaemonSets (device plugin, GFD, DCGM exporter) run on tainted GPU pools
        "daemonsets": {"tolerations": pool_tolerations(plan)},
    }


def network_operator_values(plan: ClusterPlan) -> dict[str, Any]:
    """The GPU Operator already runs Node Feature Discovery; a second copy would fight over labels."""
    return {
        "nfd": {"enabled": not kubernetes_settings(plan).gpu_operator},
        "sriovNetworkOperator": {"enabled": False},
    }


# RDMA shared device plugin run by the Network Operator's NicClusterPolicy: one resource
# ``rdma/<RDMA_SHARED_RESOURCE>`` for every Mellanox/NVIDIA HCA (PCI vendor 15b3) of a node, shared
# by up to 63 pods. Source (shape and resource name): the NicClusterPolicy example,
# https://docs.nvidia.com/networking/display/kubernetes2410/customizations/cr-full-example.html;
# plugin release: https://pkg.go.dev/github.com/Mellanox/k8s-rdma-shared-dev-plugin (v1.5.3).
# The validate stage's Kubernetes runner requests the same resource name.
RDMA_SHARED_RESOURCE = "rdma_shared_device_a"
RDMA_SHARED_PLUGIN_VERSION = "v1.5.3"


def nic_cluster_policy_spec() -> dict[str, Any]:
    """NicClusterPolicy: the host's inbox/MOFED driver stays (no ofedDriver), the shared RDMA plugin runs."""
    config = {
        "configList": [
            {
                "resourceName": RDMA_SHARED_RESOURCE,
                "rdmaHcaMax": 63,
                "selectors": {"vendors": ["15b3"]},
            }
        ]
    }
    return {
        "rdmaSharedDevicePlugin": {
            "image": "k8s-rdma-shared-dev-plugin",
            "repository": "ghcr.io/mellanox",
            "version": RDMA_SHARED_PLUGIN_VERSION,
            "config": json.dumps(config, indent=2),
        }
    }


def loki_values() -> dict[str, Any]:
    """Monolithic Loki on the filesystem (the chart's single-binary install): the other modes run 0."""
    return {
        "deploymentMode": "SingleBinary",
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "storage": {"type": "filesystem"},
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-04-01",
                        "store": "tsdb",
                        "object_store": "filesystem",
                        "schema": "v13",
                        "index": {"prefix": "loki_index_", "period": "24h"},
                    }
                ]
            },
        },
        "singleBinary": {"replicas": 1},
        "backend": {"replicas": 0},
        "read": {"replicas": 0},
        "write": {"replicas": 0},
    }


LOKI_PUSH = "http://loki-gateway.loki.svc.cluster.local/loki/api/v1/push"

# Alloy pipeline per Loki's "send Kubernetes logs with Alloy" page: every Alloy pod (a DaemonSet)
# tails the pods of its own node (HOSTNAME is the node name in the chart) through the API.
ALLOY_CONFIG = f"""discovery.kubernetes "pods" {{
  role = "pod"
  selectors {{
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }}
}}

discovery.relabel "pods" {{
  targets = discovery.kubernetes.pods.targets
  rule {{
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_node_name"]
    target_label  = "node"
  }}
}}

loki.source.kubernetes "pods" {{
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.default.receiver]
}}

loki.write "default" {{
  endpoint {{
    url = "{LOKI_PUSH}"
  }}
}}
"""


def alloy_values() -> dict[str, Any]:
    """Alloy on every node (GPU nodes too: it tolerates every taint) pushing to the Loki gateway."""
    return {
        "alloy": {"configMap": {"create": True, "content": ALLOY_CONFIG}},
        "controller": {"type": "daemonset", "tolerations": [{"operator": "Exists"}]},
    }


def pool_tolerations(plan: ClusterPlan) -> list[dict[str, str]]:
    """Tolerations for every taint the plan's pools carry: what a per-node agent needs on them."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for pool in plan.pools:
        for taint in pool.taints:
            seen[(taint.key, taint.effect)] = {"key": taint.key, "operator": "Exists", "effect": taint.effect}
    return [seen[k] for k in sorted(seen)]


def prometheus_values(plan: ClusterPlan) -> dict[str, Any]:
    obs = plan.observability
    return {
        # node-exporter runs on every node, tainted GPU pools included
        "prometheus-node-exporter": {"tolerations": [{"operator": "Exists"}]},
        "grafana": {"enabled": obs.dashboards == "grafana"},
        "alertmanager": {"enabled": obs.alerts},
        "prometheus": {
            "prometheusSpec": {
                # pick up ServiceMonitors of every release (dcgm-exporter, kueue), not only this chart's
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "retention": "15d",
            }
        },
    }


def mlflow_values(plan: ClusterPlan) -> dict[str, Any]:
    buckets = [s for s in plan.storage if s.type == "s3"]
    if plan.provider.type == "aws" and buckets:
        bucket = buckets[0].bucket or f"{plan.name}-{buckets[0].name}"
        return {"artifactRoot": {"s3": {"enabled": True, "bucket": bucket, "path": "mlflow"}}}
    return {"artifactRoot": {"proxiedArtifactStorage": True}}


def feast_values(plan: ClusterPlan) -> dict[str, Any]:
    """The feature server reads its ``feature_store.yaml`` from a base64 value (Feast's chart README)."""
    feature_store = (
        f"project: {plan.name.replace('-', '_')}\n"
        "provider: local\n"
        "registry: /tmp/feast/registry.db\n"
        "online_store:\n  type: sqlite\n  path: /tmp/feast/online_store.db\n"
        "entity_key_serialization_version: 3\n"
    )
    return {"feature_store_yaml_base64": base64.b64encode(feature_store.encode()).decode()}


def releases_for(plan: ClusterPlan, *, on_eks: bool) -> list[Release]:
    """Every release the plan asks for, in install order (operators first)."""
    settings = kubernetes_settings(plan)
    out: list[Release] = []
    if on_eks and uses_efa(plan):
        out.append(Release(charts.EFA_DEVICE_PLUGIN, {"tolerations": [{"operator": "Exists"}]}))
    if settings.gpu_operator:
        out.append(Release(charts.GPU_OPERATOR, gpu_operator_values(plan, on_eks=on_eks)))
    if needs_network_operator(plan):
        out.append(Release(charts.NETWORK_OPERATOR, network_operator_values(plan)))
    if settings.queueing == "kueue":
        out.append(Release(charts.KUEUE, {}))
    if plan.observability.metrics == "prometheus":
        out.append(Release(charts.KUBE_PROMETHEUS_STACK, prometheus_values(plan)))
    if plan.observability.logs == "loki":
        out.append(Release(charts.LOKI, loki_values()))
        out.append(Release(charts.ALLOY, alloy_values()))
    if plan.observability.gpu_exporter == "dcgm" and not settings.gpu_operator:
        monitor = plan.observability.metrics == "prometheus"
        out.append(Release(charts.DCGM_EXPORTER, {"serviceMonitor": {"enabled": monitor}}))
    if plan.platform.experiment_tracking == "mlflow":
        out.append(Release(charts.MLFLOW, mlflow_values(plan)))
    if plan.platform.vector_store == "milvus":
        out.append(Release(charts.MILVUS, {"cluster": {"enabled": True}}))
    if plan.platform.feature_store == "feast":
        out.append(Release(charts.FEAST, feast_values(plan)))
    return out
