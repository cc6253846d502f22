"""An existing Kubernetes cluster under mocks: provider, namespaces, pinned charts and their values."""

from __future__ import annotations

import base64

import pytest

from aiinfra_iac.provision.kubernetes import charts
from aiinfra_iac.provision.kubernetes.alerts import relabel_to_node
from aiinfra_iac.provision.kubernetes.values import needs_network_operator, releases_for
from aiinfra_iac.provision.offline import RenderedResource, render_detailed

from .helpers import K8S_PROVIDER, NAMESPACE, RELEASE, of_type, one
from .plans import fabric, k8s_ib, pool


@pytest.fixture(scope="module")
def k8s() -> list[RenderedResource]:
    return render_detailed(k8s_ib())


def test_provider_uses_the_blueprint_kubeconfig_and_context(k8s: list[RenderedResource]) -> None:
    provider = one(k8s, K8S_PROVIDER).inputs
    assert provider["context"] == "prod"
    assert provider["kubeconfig"] == "[secret]"  # paths and contents of kubeconfigs never reach the plan


@pytest.mark.parametrize(
    "pin",
    [
        charts.GPU_OPERATOR,
        charts.NETWORK_OPERATOR,
        charts.KUEUE,
        charts.KUBE_PROMETHEUS_STACK,
        charts.MLFLOW,
        charts.MILVUS,
        charts.FEAST,
    ],
    ids=lambda pin: pin.release,
)
def test_releases_are_pinned_to_the_chart_versions(k8s: list[RenderedResource], pin: charts.ChartPin) -> None:
    release = one(k8s, RELEASE, f"-{pin.release}").inputs
    assert (release["chart"], release["version"], release["namespace"]) == (
        pin.chart,
        pin.version,
        pin.namespace,
    )
    assert release.get("repositoryOpts", {}).get("repo", "") == pin.repo
    assert pin.source.startswith("https://")


def test_gpu_operator_values_follow_the_blueprint(k8s: list[RenderedResource]) -> None:
    values = one(k8s, RELEASE, "-gpu-operator").inputs["values"]
    assert values["driver"]["enabled"] is False  # tuning.driver.managedBy defaults to host
    assert values["driver"]["kernelModuleType"] == "open"
    assert values["toolkit"]["enabled"] is True
    assert values["dcgmExporter"] == {
        "enabled": True,
        "serviceMonitor": {"enabled": True, "relabelings": relabel_to_node("Hostname")},
        "config": {"name": "aiinfra-dcgm-metrics"},
        "env": [{"name": "DCGM_EXPORTER_COLLECTORS", "value": "/etc/dcgm-exporter/dcgm-metrics.csv"}],
    }


def test_network_operator_for_infiniband_leaves_nfd_to_the_gpu_operator(k8s: list[RenderedResource]) -> None:
    values = one(k8s, RELEASE, "-network-operator").inputs["values"]
    assert values["nfd"]["enabled"] is False and values["sriovNetworkOperator"]["enabled"] is False


def test_nic_cluster_policy_advertises_the_rdma_resource_validation_requests(
    k8s: list[RenderedResource],
) -> None:
    import json

    from aiinfra_iac.validate.runners.k8s_manifests import DEFAULT_RDMA_RESOURCE

    policy = one(k8s, "kubernetes:mellanox.com/v1alpha1:NicClusterPolicy").inputs
    plugin = policy["spec"]["rdmaSharedDevicePlugin"]
    (entry,) = json.loads(plugin["config"])["configList"]
    assert f"rdma/{entry['resourceName']}" == DEFAULT_RDMA_RESOURCE
    assert entry["selectors"] == {"vendors": ["15b3"]}
    assert plugin["version"].startswith("v") and "ofedDriver" not in policy["spec"]


def test_no_nic_cluster_policy_without_the_network_operator() -> None:
    plain = k8s_ib().model_copy(update={"pools": (pool("gpu"),)})
    assert of_type(render_detailed(plain), "kubernetes:mellanox.com/v1alpha1:NicClusterPolicy") == []


def test_operator_namespaces_are_privileged_and_labelled(k8s: list[RenderedResource]) -> None:
    namespaces = {
        r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"] for r in of_type(k8s, NAMESPACE)
    }
    assert namespaces["gpu-operator"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert namespaces["nvidia-network-operator"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert "pod-security.kubernetes.io/enforce" not in namespaces["mlflow"]
    assert all(labels["aiinfra.dev/cluster"] == "k8s-ib" for labels in namespaces.values())


def test_feast_gets_a_decodable_feature_store_yaml(k8s: list[RenderedResource]) -> None:
    encoded = one(k8s, RELEASE, "-feast").inputs["values"]["feature_store_yaml_base64"]
    text = base64.b64decode(encoded).decode()
    assert "project: k8s_ib" in text and "online_store:" in text


def test_pool_expectations_config_map(k8s: list[RenderedResource]) -> None:
    data = one(k8s, "kubernetes:core/v1:ConfigMap", "-expectations").inputs["data"]["pools.json"]
    assert '"gpusPerNode": 8' in data and '"fabric": "infiniband"' in data


def test_roce_needs_the_network_operator_and_efa_or_plain_ethernet_does_not() -> None:
    roce = k8s_ib().model_copy(update={"pools": (pool("gpu", fabric=fabric("roce", 8, 400)),)})
    assert needs_network_operator(roce)
    plain = k8s_ib().model_copy(update={"pools": (pool("gpu"),)})
    assert not needs_network_operator(plain)
    names = [r.pin.release for r in releases_for(plain, on_eks=False)]
    assert "network-operator" not in names and names[0] == "gpu-operator"


def test_standalone_dcgm_exporter_only_without_the_gpu_operator() -> None:
    from aiinfra_iac.blueprint.models import KubernetesScheduler, Scheduler

    plan = k8s_ib()
    no_operator = plan.model_copy(
        update={"scheduler": Scheduler(type="kubernetes", kubernetes=KubernetesScheduler(gpu_operator=False))}
    )
    assert "dcgm-exporter" not in [r.pin.release for r in releases_for(plan, on_eks=False)]
    assert "dcgm-exporter" in [r.pin.release for r in releases_for(no_operator, on_eks=False)]


def test_loki_logs_install_a_monolithic_loki_and_alloy_on_every_node() -> None:
    from aiinfra_iac.blueprint.models import Observability

    with_logs = k8s_ib().model_copy(update={"observability": Observability(logs="loki")})
    names = [r.pin.release for r in releases_for(with_logs, on_eks=False)]
    assert names.index("loki") < names.index("alloy") and "promtail" not in names
    alloy = next(r for r in releases_for(with_logs, on_eks=False) if r.pin.release == "alloy")
    assert alloy.values["controller"] == {"type": "daemonset", "tolerations": [{"operator": "Exists"}]}
    assert 'loki.write "default"' in alloy.values["alloy"]["configMap"]["content"]
    loki = next(r for r in releases_for(with_logs, on_eks=False) if r.pin.release == "loki")
    assert loki.values["deploymentMode"] == "SingleBinary" and loki.values["singleBinary"]["replicas"] == 1
    without = [r.pin.release for r in releases_for(k8s_ib(), on_eks=False)]
    assert "loki" not in without and "alloy" not in without
