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
from aiinfra_iac.plan.kubernetes import RDMA_SHARED_PLUGIN_VERSION, RDMA_SHARED_RESOURCE
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.kubernetes import charts
from aiinfra_iac.provision.kubernetes.alerts import ksm_values, relabel_to_node
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
            "serviceMonitor": {
                "enabled": exporter and plan.observability.metrics == "prometheus",
                # the alert rules join GPU series to their pool on Hostname = node name (alerts.py);
                # ClusterPolicy dcgmExporter.serviceMonitor.relabelings:
                # https://github.com/NVIDIA/gpu-operator/blob/main/deployments/gpu-operator/values.yaml
                "relabelings": relabel_to_node("Hostname"),
            },
            **(dcgm_exporter_config() if exporter else {}),
        },
        "nfd": {"enabled": True},
        # the operator's per-node DaemonSets (device plugin, GFD, DCGM exporter) run on tainted GPU pools
        "daemonsets": {"tolerations": pool_tolerations(plan)},
    }


# The exporter collects aiinfra's field list (the observability role's counters file: ECC, NVLink
# errors, remapped rows … that the default dcp-metrics-included.csv leaves out) from a ConfigMap, as the
# GPU Operator documents: https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/getting-started.html#gpu-telemetry
DCGM_METRICS_CONFIGMAP = "aiinfra-dcgm-metrics"
DCGM_METRICS_FILE = "dcgm-metrics.csv"


def dcgm_exporter_config() -> dict[str, Any]:
    return {
        "config": {"name": DCGM_METRICS_CONFIGMAP},
        "env": [{"name": "DCGM_EXPORTER_COLLECTORS", "value": f"/etc/dcgm-exporter/{DCGM_METRICS_FILE}"}],
    }


def network_operator_values(plan: ClusterPlan) -> dict[str, Any]:
    """The GPU Operator already runs Node Feature Discovery; a second copy would fight over labels."""
    return {
        "nfd": {"enabled": not kubernetes_settings(plan).gpu_operator},
        "sriovNetworkOperator": {"enabled": False},
    }


# The RDMA shared device plugin resource (sources in aiinfra_iac/plan/kubernetes.py); the validate
# stage's Kubernetes runner requests the same resource name.


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


GRAFANA_DASHBOARD_LABEL = "grafana_dashboard"
"""The label the chart's Grafana sidecar watches for dashboard ConfigMaps (value "1")."""


def alertmanager_config(plan: ClusterPlan) -> dict[str, Any]:
    """Route each team's alerts (its namespace: its pods, and GPUs the DCGM exporter maps to its pods).

    The receivers are named and empty, an example for the platform team to give a Slack, PagerDuty or
    e-mail integration; the chart's own ``null`` receiver and Watchdog route are kept, since Helm
    replaces (not merges) these lists:
    https://github.com/prometheus-community/helm-charts/blob/main/charts/kube-prometheus-stack/values.yaml
    """
    routes: list[dict[str, Any]] = [{"receiver": "null", "matchers": ['alertname = "Watchdog"']}]
    receivers: list[dict[str, Any]] = [{"name": "null"}]
    for team in plan.teams:
        routes.append({"receiver": f"team-{team.name}", "matchers": [f'namespace = "{team.namespace}"']})
        receivers.append({"name": f"team-{team.name}"})
    return {"route": {"group_by": ["namespace", "alertname"], "routes": routes}, "receivers": receivers}


EFA_METRICS_CONFIGMAP = "aiinfra-efa-metrics"
"""Holds the observability role's aiinfra-efa-metrics.py for the node-exporter pods (addons.py)."""
EFA_METRICS_SCRIPT = "aiinfra-efa-metrics.py"
EFA_TEXTFILE_DIR = "/run/aiinfra-textfiles"
EFA_METRICS_IMAGE = "python:3.12-slim-bookworm"
"""Docker's official Python image (https://hub.docker.com/_/python): the script needs only the stdlib."""
EFA_METRICS_INTERVAL_S = 15


def efa_node_exporter_values() -> dict[str, Any]:
    """prometheus-node-exporter values: a sidecar writes the EFA counters for the textfile collector.

    The same script the observability role runs on Slurm nodes (node_exporter skips EFA hw_counters,
    https://github.com/prometheus/node_exporter/pull/3670), every 15 s into an in-memory volume the
    exporter reads. Chart values ``extraArgs``, ``sidecars``, ``sidecarVolumeMount`` (an emptyDir,
    read-only in the exporter), ``extraVolumes``; the pod's ``sys`` volume is the host's /sys:
    https://github.com/prometheus-community/helm-charts/blob/main/charts/prometheus-node-exporter/values.yaml
    https://github.com/prometheus-community/helm-charts/blob/main/charts/prometheus-node-exporter/templates/daemonset.yaml
    """
    run = (
        f"while true; do python3 /opt/aiinfra/{EFA_METRICS_SCRIPT} --sysfs /host/sys"
        f" --output {EFA_TEXTFILE_DIR}/aiinfra_efa.prom; sleep {EFA_METRICS_INTERVAL_S}; done"
    )
    return {
        "extraArgs": [f"--collector.textfile.directory={EFA_TEXTFILE_DIR}"],
        "sidecarVolumeMount": [{"name": "aiinfra-textfiles", "mountPath": EFA_TEXTFILE_DIR}],
        "extraVolumes": [{"name": EFA_METRICS_CONFIGMAP, "configMap": {"name": EFA_METRICS_CONFIGMAP}}],
        "sidecars": [
            {
                "name": "aiinfra-efa-metrics",
                "image": EFA_METRICS_IMAGE,
                "command": ["/bin/sh", "-c", run],
                "volumeMounts": [
                    {"name": EFA_METRICS_CONFIGMAP, "mountPath": "/opt/aiinfra", "readOnly": True},
                    {"name": "sys", "mountPath": "/host/sys", "readOnly": True},
                ],
                "resources": {"requests": {"cpu": "5m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
            }
        ],
    }


def prometheus_values(plan: ClusterPlan) -> dict[str, Any]:
    obs = plan.observability
    alertmanager: dict[str, Any] = {"enabled": obs.alerts}
    if obs.alerts and plan.teams:
        alertmanager["config"] = alertmanager_config(plan)
    return {
        # node-exporter runs on every node, tainted GPU pools included; its series carry the node name
        # as instance, which the alert rules join on (alerts.py). Subchart value
        # prometheus.monitor.relabelings:
        # https://github.com/prometheus-community/helm-charts/blob/main/charts/prometheus-node-exporter/values.yaml
        "prometheus-node-exporter": {
            "tolerations": [{"operator": "Exists"}],
            "prometheus": {"monitor": {"relabelings": relabel_to_node("instance")}},
            **(efa_node_exporter_values() if uses_efa(plan) else {}),
        },
        "kube-state-metrics": ksm_values(plan),
        "grafana": {
            "enabled": obs.dashboards == "grafana",
            "sidecar": {"dashboards": {"enabled": True, "label": GRAFANA_DASHBOARD_LABEL, "labelValue": "1"}},
        },
        "alertmanager": alertmanager,
        "prometheus": {
            "prometheusSpec": {
                # pick up ServiceMonitors of every release (dcgm-exporter, kueue), not only this chart's
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                # and aiinfra's PrometheusRule objects, which do not carry the chart's release label
                "ruleSelectorNilUsesHelmValues": False,
                "retention": "15d",
            }
        },
    }


def artifact_bucket(plan: ClusterPlan) -> str | None:
    """The bucket for platform artifacts: ``platform.artifactStorage``, else the first s3 entry."""
    buckets = [s for s in plan.storage if s.type == "s3"]
    wanted = plan.platform.artifact_storage
    chosen = next((s for s in buckets if s.name == wanted), None) if wanted else None
    chosen = chosen or (buckets[0] if buckets else None)
    if chosen is None:
        return None
    return chosen.bucket or f"{plan.name}-{chosen.name}"


def mlflow_values(plan: ClusterPlan) -> dict[str, Any]:
    """MLflow on PostgreSQL (the chart's Bitnami sub-chart on a volume, not the SQLite default).

    Artifacts go to the blueprint's S3 bucket, proxied by the server. On AWS the nodes' instance role
    already grants that bucket (iam.py) and the launch template allows pods the IMDS hop, so no keys are
    handed to the chart; without a bucket the server stores artifacts on its own disk (check AI195 warns).
    The database password is generated by the sub-chart into its Secret and never appears in the plan.
    """
    values: dict[str, Any] = {
        "backendStore": {"databaseMigration": True, "databaseConnectionCheck": True},
        "postgresql": {
            "enabled": True,
            "auth": {"username": "mlflow", "database": "mlflow"},
            "primary": {"persistence": {"enabled": True, "size": "20Gi"}},
        },
    }
    bucket = artifact_bucket(plan)
    if bucket:
        values["artifactRoot"] = {
            "proxiedArtifactStorage": True,
            "s3": {"enabled": True, "bucket": bucket, "path": "mlflow"},
        }
    else:
        values["artifactRoot"] = {"proxiedArtifactStorage": True}
    return values


def milvus_values(plan: ClusterPlan) -> dict[str, Any]:
    """Milvus cluster; its object storage is the blueprint's bucket on AWS (IAM from the node role)."""
    bucket = artifact_bucket(plan)
    if plan.provider.type != "aws" or bucket is None:
        return {"cluster": {"enabled": True}}
    region = plan.provider.region or ""
    return {
        "cluster": {"enabled": True},
        "minio": {"enabled": False},
        "externalS3": {
            "enabled": True,
            "host": f"s3.{region}.amazonaws.com",
            "port": "443",
            "useSSL": True,
            "bucketName": bucket,
            "rootPath": "milvus",
            "useIAM": True,
            "cloudProvider": "aws",
            "region": region,
        },
    }


def feast_values(plan: ClusterPlan) -> dict[str, Any]:
    """The feature server reads its ``feature_store.yaml`` from a base64 value (Feast's chart README).

    On AWS the registry lives in the blueprint's bucket (the server image is Feast's multicloud build,
    with the AWS extra); elsewhere it stays on the pod's disk.
    """
    bucket = artifact_bucket(plan) if plan.provider.type == "aws" else None
    registry = f"s3://{bucket}/feast/registry.db" if bucket else "/tmp/feast/registry.db"
    feature_store = (
        f"project: {plan.name.replace('-', '_')}\n"
        "provider: local\n"
        f"registry: {registry}\n"
        "online_store:\n  type: sqlite\n  path: /tmp/feast/online_store.db\n"
        "entity_key_serialization_version: 3\n"
    )
    return {"feature_store_yaml_base64": base64.b64encode(feature_store.encode()).decode()}


def trainer_values() -> dict[str, Any]:
    """Kubeflow Trainer with its JobSet dependency and the PyTorch runtime (no custom image needed)."""
    return {"jobset": {"install": True}, "runtimes": {"torchDistributed": {"enabled": True}}}


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
        # chart value serviceMonitor.relabelings:
        # https://github.com/NVIDIA/dcgm-exporter/blob/main/deployment/values.yaml
        monitor_values = {"enabled": monitor, "relabelings": relabel_to_node("Hostname")}
        out.append(Release(charts.DCGM_EXPORTER, {"serviceMonitor": monitor_values}))
    if plan.platform.ray:
        out.append(Release(charts.KUBERAY, {}))
    if plan.platform.training_operator == "kubeflow-trainer":
        out.append(Release(charts.KUBEFLOW_TRAINER, trainer_values()))
    if plan.platform.batch_scheduler == "volcano":
        out.append(Release(charts.VOLCANO, {}))
    if plan.platform.experiment_tracking == "mlflow":
        out.append(Release(charts.MLFLOW, mlflow_values(plan)))
    if plan.platform.vector_store == "milvus":
        out.append(Release(charts.MILVUS, milvus_values(plan)))
    if plan.platform.feature_store == "feast":
        out.append(Release(charts.FEAST, feast_values(plan)))
    return out
