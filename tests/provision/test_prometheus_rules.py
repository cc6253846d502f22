"""Kubernetes: the role's alert rules as PrometheusRule objects (Pulumi mocks), scoped by node labels."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiinfra_iac.blueprint.models import TeamQuota
from aiinfra_iac.observability.rules import alert_names, render_alert_rules
from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.plan.model import ClusterPlan, TeamPlan
from aiinfra_iac.provision.kubernetes import charts
from aiinfra_iac.provision.kubernetes.alerts import pool_rule_vars, prometheus_rules
from aiinfra_iac.provision.kubernetes.queues import kueue_objects
from aiinfra_iac.provision.kubernetes.values import efa_node_exporter_values, releases_for
from aiinfra_iac.provision.offline import RenderedResource, render_detailed

from .helpers import RELEASE, of_type, one
from .plans import k8s_ib

P5 = Path(__file__).parents[2] / "blueprints" / "h100-p5-eks-fsx-training.yaml"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian: prometheus)")


@pytest.fixture(scope="module")
def p5_plan() -> ClusterPlan:
    plan, _ = plan_from_file(P5)
    return plan


@pytest.fixture(scope="module")
def p5(p5_plan: ClusterPlan) -> list[RenderedResource]:
    return render_detailed(p5_plan)


def test_one_prometheus_rule_per_pool_from_the_role_template(
    p5_plan: ClusterPlan, p5: list[RenderedResource]
) -> None:
    rules = {r.inputs["metadata"]["name"]: r.inputs for r in of_type(p5, RULE)}
    expected = {f"aiinfra-{p5_plan.name}-{pool.name}" for pool in p5_plan.pools}
    assert set(rules) == expected | {f"aiinfra-{p5_plan.name}-node-info"}
    for pool in p5_plan.pools:
        rule = rules[f"aiinfra-{p5_plan.name}-{pool.name}"]
        assert rule["metadata"]["namespace"] == charts.KUBE_PROMETHEUS_STACK.namespace
        # the same file the role writes on Slurm nodes, less the textfile-only RdmaDeviceMissing
        role_file = yaml.safe_load(render_alert_rules(pool_rule_vars(p5_plan, pool)))
        assert rule["spec"]["groups"] == role_file["groups"]
    train = alert_names(yaml.safe_dump({"groups": rules[f"aiinfra-{p5_plan.name}-train"]["spec"]["groups"]}))
    assert {"GpuXidCritical", "NvlinkErrors", "RdmaPortErrors", "ValidationCheckFailed"} <= set(train)
    assert "RdmaDeviceMissing" not in train


def test_prometheus_selects_the_rules_and_exports_the_pool_label(p5: list[RenderedResource]) -> None:
    values = one(p5, RELEASE, "-kube-prometheus-stack").inputs["values"]
    assert values["prometheus"]["prometheusSpec"]["ruleSelectorNilUsesHelmValues"] is False
    assert values["kube-state-metrics"]["metricLabelsAllowlist"] == ["nodes=[aiinfra.dev/pool]"]
    node_relabel = values["prometheus-node-exporter"]["prometheus"]["monitor"]["relabelings"]
    assert node_relabel[0]["targetLabel"] == "instance"
    operator = one(p5, RELEASE, "-gpu-operator").inputs["values"]
    assert operator["dcgmExporter"]["serviceMonitor"]["relabelings"][0]["targetLabel"] == "Hostname"


def test_no_rules_without_alerts() -> None:
    plan = k8s_ib()
    quiet = plan.model_copy(update={"observability": plan.observability.model_copy(update={"alerts": False})})
    assert prometheus_rules(quiet) == {}
    assert not of_type(render_detailed(quiet), RULE)


def k8s_team() -> tuple[TeamPlan, ...]:
    quota = TeamQuota(pool="gpu", gpus=8)
    return (TeamPlan(name="a", namespace="a", cohort="c", priority=100, quotas=(quota,)),)


def _rule_file(plan: ClusterPlan) -> dict[str, Any]:
    return {"groups": [g for groups in prometheus_rules(plan).values() for g in groups]}


def _unit_test(label: str, value: str, other_value: str) -> dict[str, Any]:
    """n1 (the gpu pool's label value, 95 C, port down) and n2 (``other_value``, same faults)."""
    series = [
        (f'kube_node_labels{{node="n1",{label}="{value}",job="kube-state-metrics"}}', "1x20"),
        (f'kube_node_labels{{node="n2",{label}="{other_value}"}}', "1x20"),
        ('DCGM_FI_DEV_GPU_TEMP{gpu="0",Hostname="n1",exported_Hostname="dcgm-pod-a"}', "95x20"),
        ('DCGM_FI_DEV_GPU_TEMP{gpu="0",Hostname="n2",exported_Hostname="dcgm-pod-b"}', "95x20"),
        ('node_infiniband_state_id{device="mlx5_0",port="1",instance="n1"}', "1x20"),
        ('node_infiniband_state_id{device="mlx5_0",port="1",instance="n2"}', "1x20"),
    ]
    temp = {"severity": "warning", "cluster": "k8s-ib", "pool": "gpu", "gpu": "0", "Hostname": "n1"}
    port_down = "infiniband port mlx5_0/1 on n1 is not ACTIVE (state 1)"
    port = {"severity": "critical", "cluster": "k8s-ib", "pool": "gpu", "device": "mlx5_0", "port": "1"}
    return {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": s, "values": v} for s, v in series],
                "alert_rule_test": [
                    {
                        "eval_time": "10m",
                        "alertname": "GpuTemperatureHigh",
                        "exp_alerts": [
                            {
                                "exp_labels": {**temp, "exported_Hostname": "dcgm-pod-a"},
                                "exp_annotations": {"summary": "GPU 0 of n1 at 95 C"},
                            }
                        ],
                    },
                    {
                        "eval_time": "10m",
                        "alertname": "RdmaPortNotActive",
                        "exp_alerts": [
                            {
                                "exp_labels": {**port, "instance": "n1"},
                                "exp_annotations": {"summary": port_down},
                            }
                        ],
                    },
                ],
            }
        ],
    }


GPU_PRODUCT = {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}


def _labelled(plan: ClusterPlan, labels: dict[str, str]) -> ClusterPlan:
    return plan.model_copy(
        update={"pools": tuple(p.model_copy(update={"labels": labels}) for p in plan.pools)}
    )


@needs_promtool
@pytest.mark.parametrize(
    ("labels", "series_label", "value", "other", "fires_on_n2"),
    [
        ({}, "label_aiinfra_dev_pool", "gpu", "cpu", False),
        ({}, "label_aiinfra_dev_pool", "gpu", "gpu", True),
        (GPU_PRODUCT, "label_nvidia_com_gpu_product", "NVIDIA-H100-80GB-HBM3", "NVIDIA-A10G", False),
    ],
    ids=["pool-label-other-pool-silent", "pool-label-same-pool-fires", "existing-cluster-product-label"],
)
def test_kubernetes_rules_fire_through_the_pool_node_labels(
    tmp_path: Path, labels: dict[str, str], series_label: str, value: str, other: str, fires_on_n2: bool
) -> None:
    """promtool: the recorded aiinfra_node_info scopes the alerts; a node of another pool stays silent.

    Where n2 is in the pool too, it fires as well, so the single expected alert is wrong and promtool
    must fail: the scope, not a rule that matches everything, keeps n2 out.
    """
    plan = _labelled(k8s_ib(), labels)
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(_rule_file(plan)))
    (tmp_path / "test.yml").write_text(yaml.safe_dump(_unit_test(series_label, value, other)))
    proc = subprocess.run(
        [str(PROMTOOL), "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    if fires_on_n2:
        assert proc.returncode != 0 and "n2" in proc.stdout + proc.stderr
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_existing_cluster_pools_are_picked_by_their_blueprint_labels() -> None:
    """The Kueue flavor and the kube-state-metrics allow-list use the labels the nodes already carry."""
    plan = _labelled(k8s_ib(), GPU_PRODUCT).model_copy(update={"teams": k8s_team()})
    flavor = next(o for o in kueue_objects(plan) if o.kind == "ResourceFlavor")
    assert flavor.spec["nodeLabels"] == GPU_PRODUCT
    values = next(r for r in releases_for(plan, on_eks=False) if r.pin == charts.KUBE_PROMETHEUS_STACK).values
    assert values["kube-state-metrics"]["metricLabelsAllowlist"] == ["nodes=[nvidia.com/gpu.product]"]
    # a pool without labels on an existing cluster falls back to aiinfra.dev/pool (the operator labels it)
    bare = next(
        o
        for o in kueue_objects(k8s_ib().model_copy(update={"teams": k8s_team()}))
        if o.kind == "ResourceFlavor"
    )
    assert bare.spec["nodeLabels"] == {"aiinfra.dev/pool": "gpu"}


@needs_promtool
def test_every_pools_rules_pass_promtool_check(tmp_path: Path, p5_plan: ClusterPlan) -> None:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(_rule_file(p5_plan)))
    command = [str(PROMTOOL), "check", "rules", "rules.yml"]
    proc = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_eks_release_values_stay_consistent(p5_plan: ClusterPlan) -> None:
    """The standalone DCGM exporter chart (no GPU Operator) relabels Hostname the same way."""
    settings = p5_plan.scheduler.kubernetes
    assert settings is not None
    plan = p5_plan.model_copy(
        update={
            "scheduler": p5_plan.scheduler.model_copy(
                update={"kubernetes": settings.model_copy(update={"gpu_operator": False})}
            )
        }
    )
    exporter = next(r for r in releases_for(plan, on_eks=True) if r.pin == charts.DCGM_EXPORTER)
    assert exporter.values["serviceMonitor"]["relabelings"][0]["targetLabel"] == "Hostname"


def test_eks_efa_nodes_run_the_role_script_beside_node_exporter(p5: list[RenderedResource]) -> None:
    """The same script as on Slurm nodes, from a ConfigMap made before the chart, in a sidecar."""
    script = one(p5, "kubernetes:core/v1:ConfigMap", "-efa-metrics").inputs
    assert script["metadata"]["namespace"] == charts.KUBE_PROMETHEUS_STACK.namespace
    role_file = Path(__file__).parents[2] / "roles" / "observability" / "files" / "aiinfra-efa-metrics.py"
    assert script["data"]["aiinfra-efa-metrics.py"] == role_file.read_text()
    exporter = one(p5, RELEASE, "-kube-prometheus-stack").inputs["values"]["prometheus-node-exporter"]
    textfiles = exporter["sidecarVolumeMount"][0]["mountPath"]
    assert exporter["extraArgs"] == [f"--collector.textfile.directory={textfiles}"]
    sidecar = exporter["sidecars"][0]
    run = sidecar["command"][-1]
    assert "--sysfs /host/sys" in run and f"--output {textfiles}/aiinfra_efa.prom" in run
    mounts = {m["name"]: m["mountPath"] for m in sidecar["volumeMounts"]}
    assert mounts == {"aiinfra-efa-metrics": "/opt/aiinfra", "sys": "/host/sys"}
    assert exporter["extraVolumes"][0]["configMap"]["name"] == script["metadata"]["name"]


def test_no_efa_sidecar_without_efa() -> None:
    stack = next(r for r in releases_for(k8s_ib(), on_eks=False) if r.pin == charts.KUBE_PROMETHEUS_STACK)
    assert "sidecars" not in stack.values["prometheus-node-exporter"]
    assert not [r for r in render_detailed(k8s_ib()) if r.name.endswith("-efa-metrics")]


def test_the_sidecar_command_writes_the_counters(tmp_path: Path) -> None:
    """The sidecar's shell loop, run here with its three paths pointed at a fake sysfs and tmp dirs."""
    exporter = efa_node_exporter_values()
    run = exporter["sidecars"][0]["command"][-1]
    textfiles = exporter["sidecarVolumeMount"][0]["mountPath"]
    hw = tmp_path / "sys" / "class" / "infiniband" / "rdmap0" / "ports" / "1" / "hw_counters"
    hw.mkdir(parents=True)
    (hw / "tx_bytes").write_text("4096\n")
    (tmp_path / "out").mkdir()
    scripts = Path(__file__).parents[2] / "roles" / "observability" / "files"
    local = (
        run.replace("/opt/aiinfra", str(scripts))
        .replace("/host/sys", str(tmp_path / "sys"))
        .replace(textfiles, str(tmp_path / "out"))
        .replace("python3", sys.executable)
    )
    subprocess.run(["timeout", "3", "/bin/sh", "-c", local], capture_output=True, text=True, check=False)
    written = (tmp_path / "out" / "aiinfra_efa.prom").read_text()
    assert 'aiinfra_efa_tx_bytes_total{device="rdmap0",port="1"} 4096' in written
