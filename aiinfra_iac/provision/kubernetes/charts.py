"""Pinned Helm charts the Kubernetes components install, each with the page its version comes from.

A pin is data: bumping a chart is a one-line change here, and ``aiinfra plan`` shows the
version in the release's inputs so a reviewer sees it in the pull request.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiinfra_iac.catalog.aws_pins import load_aws_pins


@dataclass(frozen=True)
class ChartPin:
    """One Helm chart at one version."""

    release: str
    """Helm release name (also the Pulumi child-name suffix)."""
    chart: str
    """Chart name, or a full ``oci://`` reference (then ``repo`` is empty)."""
    repo: str
    version: str
    namespace: str
    privileged: bool
    """The namespace needs Pod Security ``privileged`` (operators that load drivers or touch devices)."""
    source: str


NVIDIA_NGC = "https://helm.ngc.nvidia.com/nvidia"

GPU_OPERATOR = ChartPin(
    release="gpu-operator",
    chart="gpu-operator",
    repo=NVIDIA_NGC,
    version="v25.3.4",
    namespace="gpu-operator",
    privileged=True,
    # Install: https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/getting-started.html
    # v25.3.4 published in the chart index: https://github.com/NVIDIA/gpu-operator/pull/1708
    source="https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/getting-started.html",
)

NETWORK_OPERATOR = ChartPin(
    release="network-operator",
    chart="network-operator",
    repo=NVIDIA_NGC,
    version="v25.7.0",
    namespace="nvidia-network-operator",
    privileged=True,
    source="https://docs.nvidia.com/networking/display/kubernetes2570/quick-start/quick-start-k8s.html",
)

KUEUE = ChartPin(
    release="kueue",
    chart="oci://registry.k8s.io/kueue/charts/kueue",
    repo="",
    version="0.14.2",
    namespace="kueue-system",
    privileged=False,
    source="https://kueue.sigs.k8s.io/docs/installation/",
)

KUBE_PROMETHEUS_STACK = ChartPin(
    release="kube-prometheus-stack",
    chart="kube-prometheus-stack",
    repo="https://prometheus-community.github.io/helm-charts",
    version="72.6.2",
    namespace="monitoring",
    privileged=True,  # node-exporter mounts the host file system
    source="https://github.com/prometheus-community/helm-charts/tree/main/charts/kube-prometheus-stack",
)

DCGM_EXPORTER = ChartPin(
    release="dcgm-exporter",
    chart="dcgm-exporter",
    repo="https://nvidia.github.io/dcgm-exporter/helm-charts",
    version="3.4.2",
    namespace="monitoring",
    privileged=True,
    source="https://nvidia.github.io/dcgm-exporter",
)

EFA_DEVICE_PLUGIN = ChartPin(
    release="aws-efa-k8s-device-plugin",
    chart="aws-efa-k8s-device-plugin",
    repo="https://aws.github.io/eks-charts",
    # the AWS pins table (catalog/data/aws_pins.yaml) holds the version and its release date
    version=load_aws_pins().chart("aws-efa-k8s-device-plugin").version,
    namespace="kube-system",
    privileged=True,
    source="https://docs.aws.amazon.com/eks/latest/userguide/node-efa.html",
)

MLFLOW = ChartPin(
    release="mlflow",
    chart="mlflow",
    repo="https://community-charts.github.io/helm-charts",
    # 1.11.5 (MLflow 3.15.1), published 2026-08-21 in the chart index (gh-pages index.yaml); its
    # values carry backendStore, the Bitnami postgresql sub-chart and artifactRoot.s3 used here:
    # https://github.com/community-charts/helm-charts/blob/main/charts/mlflow/values.yaml
    version="1.11.5",
    namespace="mlflow",
    privileged=False,
    source="https://artifacthub.io/packages/helm/community-charts/mlflow",
)

KUBERAY = ChartPin(
    release="kuberay-operator",
    chart="kuberay-operator",
    repo="https://ray-project.github.io/kuberay-helm/",
    # kuberay-operator-1.4.2, published 2025-07-16 (index.yaml of ray-project/kuberay-helm, gh-pages):
    # https://github.com/ray-project/kuberay-helm/releases/tag/kuberay-operator-1.4.2
    version="1.4.2",
    namespace="kuberay-system",
    privileged=False,
    source="https://docs.ray.io/en/latest/cluster/kubernetes/getting-started/kuberay-operator-installation.html",
)

KUBEFLOW_TRAINER = ChartPin(
    release="kubeflow-trainer",
    chart="oci://ghcr.io/kubeflow/charts/kubeflow-trainer",
    repo="",
    # Trainer v2.3.0, tagged 2026-08-06 (https://github.com/kubeflow/trainer/releases/tag/v2.3.0); the
    # chart installs JobSet 0.12.0 as its dependency (jobset.install) and serves TrainJob.
    version="2.3.0",
    namespace="kubeflow-system",
    privileged=False,
    source="https://github.com/kubeflow/trainer/tree/v2.3.0/charts/kubeflow-trainer",
)

VOLCANO = ChartPin(
    release="volcano",
    chart="volcano",
    repo="https://volcano-sh.github.io/helm-charts",
    # volcano-1.15.0, published 2026-06-01 (index.yaml of volcano-sh/helm-charts):
    # https://github.com/volcano-sh/helm-charts/releases/tag/volcano-1.15.0
    version="1.15.0",
    namespace="volcano-system",
    privileged=False,
    source="https://volcano.sh/en/docs/installation/",
)

MILVUS = ChartPin(
    release="milvus",
    chart="milvus",
    repo="https://zilliztech.github.io/milvus-helm/",
    # 4.2.49, committed 2025-05-19 (zilliztech/milvus-helm e323e2e); externalS3/minio keys as used here:
    # https://github.com/zilliztech/milvus-helm/blob/master/charts/milvus/values.yaml
    version="4.2.49",
    namespace="milvus",
    privileged=False,
    source="https://milvus.io/docs/install_cluster-helm.md",
)

FEAST = ChartPin(
    release="feast",
    chart="feast-feature-server",
    repo="https://feast-helm-charts.storage.googleapis.com",
    version="0.46.0",
    namespace="feast",
    privileged=False,
    source="https://docs.feast.dev/how-to-guides/running-feast-in-production",
)

GRAFANA_CHARTS = "https://grafana.github.io/helm-charts"

LOKI = ChartPin(
    release="loki",
    chart="loki",
    repo=GRAFANA_CHARTS,
    # helm-loki-6.5.2: https://github.com/grafana/helm-charts/releases/tag/helm-loki-6.5.2
    version="6.5.2",
    namespace="loki",
    privileged=False,
    source="https://grafana.com/docs/loki/latest/setup/install/helm/",
)

ALLOY = ChartPin(
    release="alloy",
    chart="alloy",
    repo=GRAFANA_CHARTS,
    # Grafana Alloy, the collector Loki's docs send logs with now that Promtail is deprecated
    # (https://grafana.com/docs/loki/latest/send-data/alloy/); chart alloy-1.10.0:
    # https://github.com/grafana/helm-charts/releases/tag/alloy-1.10.0
    version="1.10.0",
    namespace="loki",
    privileged=False,  # reads logs through the Kubernetes API (loki.source.kubernetes), no host mounts
    source="https://grafana.com/docs/alloy/latest/set-up/install/kubernetes/",
)
