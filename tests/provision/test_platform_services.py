"""Operators and platform services as pinned Helm releases, dashboards and DCGM fields, team alert routing."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from aiinfra_iac.blueprint.models import Platform, TeamQuota
from aiinfra_iac.observability.grafana import dashboard_files
from aiinfra_iac.plan.model import ClusterPlan, TeamPlan
from aiinfra_iac.provision.kubernetes import charts
from aiinfra_iac.provision.kubernetes.values import (
    alertmanager_config,
    artifact_bucket,
    releases_for,
)
from aiinfra_iac.provision.offline import RenderedResource, render_detailed

from .helpers import RELEASE, of_type, one
from .plans import aws_p5_eks, k8s_ib

CONFIGMAP = "kubernetes:core/v1:ConfigMap"
OPERATORS = Platform(ray=True, training_operator="kubeflow-trainer", batch_scheduler="volcano")


def _release_values(plan: ClusterPlan, pin: charts.ChartPin, *, on_eks: bool = True) -> dict[str, object]:
    (found,) = [r for r in releases_for(plan, on_eks=on_eks) if r.pin == pin]
    return found.values


@pytest.fixture(scope="module")
def operators() -> list[RenderedResource]:
    return render_detailed(k8s_ib().model_copy(update={"platform": OPERATORS}))


@pytest.mark.parametrize(
    "pin", [charts.KUBERAY, charts.KUBEFLOW_TRAINER, charts.VOLCANO], ids=lambda p: p.release
)
def test_operators_are_pinned_releases_when_asked(
    operators: list[RenderedResource], pin: charts.ChartPin
) -> None:
    release = one(operators, RELEASE, f"-{pin.release}").inputs
    assert (release["chart"], release["version"], release["namespace"]) == (
        pin.chart,
        pin.version,
        pin.namespace,
    )
    assert pin.source.startswith("https://")


def test_no_operator_unless_the_blueprint_asks() -> None:
    names = {r.pin.release for r in releases_for(k8s_ib(), on_eks=False)}
    assert not names & {"kuberay-operator", "kubeflow-trainer", "volcano"}


def test_trainer_brings_jobset_and_the_torch_runtime(operators: list[RenderedResource]) -> None:
    values = one(operators, RELEASE, "-kubeflow-trainer").inputs["values"]
    assert values["jobset"] == {"install": True}
    assert values["runtimes"]["torchDistributed"] == {"enabled": True}


def test_every_pin_names_its_version_source() -> None:
    pins = [v for v in vars(charts).values() if isinstance(v, charts.ChartPin)]
    assert len(pins) >= 14
    for pin in pins:
        assert re.match(r"^v?[0-9]+\.[0-9]+\.[0-9]+$", pin.version), pin
        assert pin.source.startswith("https://"), pin


def test_mlflow_runs_on_postgres_with_the_s3_bucket() -> None:
    values = _release_values(aws_p5_eks(), charts.MLFLOW)
    assert values["postgresql"]["enabled"] is True  # type: ignore[index]
    assert values["backendStore"] == {"databaseMigration": True, "databaseConnectionCheck": True}
    assert values["artifactRoot"] == {
        "proxiedArtifactStorage": True,
        "s3": {"enabled": True, "bucket": "llm-p5-checkpoints", "path": "mlflow"},
    }
    assert "password" not in json.dumps(values["postgresql"])  # the sub-chart generates it into a Secret


def test_artifact_storage_picks_the_named_bucket() -> None:
    plan = aws_p5_eks()
    named = plan.model_copy(
        update={"platform": Platform(experiment_tracking="mlflow", artifact_storage="tmp-artifacts")}
    )
    assert artifact_bucket(plan) == "llm-p5-checkpoints"
    assert artifact_bucket(named) == "llm-p5-tmp-artifacts"
    assert artifact_bucket(k8s_ib()) is None
    assert _release_values(k8s_ib(), charts.MLFLOW, on_eks=False)["artifactRoot"] == {
        "proxiedArtifactStorage": True
    }


def test_milvus_and_feast_use_the_bucket_on_aws() -> None:
    plan = aws_p5_eks().model_copy(
        update={"platform": Platform(vector_store="milvus", feature_store="feast")}
    )
    milvus = _release_values(plan, charts.MILVUS)
    assert milvus["minio"] == {"enabled": False}
    external = milvus["externalS3"]
    assert external["bucketName"] == "llm-p5-checkpoints" and external["useIAM"] is True  # type: ignore[index]
    assert external["host"] == "s3.us-east-1.amazonaws.com"  # type: ignore[index]
    feast = base64.b64decode(str(_release_values(plan, charts.FEAST)["feature_store_yaml_base64"])).decode()
    assert "registry: s3://llm-p5-checkpoints/feast/registry.db" in feast
    # without a bucket Milvus keeps its bundled MinIO
    assert _release_values(k8s_ib(), charts.MILVUS, on_eks=False) == {"cluster": {"enabled": True}}


def test_dashboards_are_sidecar_config_maps(operators: list[RenderedResource]) -> None:
    maps = {r.inputs["metadata"]["name"]: r.inputs for r in of_type(operators, CONFIGMAP)}
    for path in dashboard_files():
        found = maps[path.stem]
        assert found["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert found["metadata"]["namespace"] == charts.KUBE_PROMETHEUS_STACK.namespace
        assert json.loads(found["data"][path.name])["uid"] == path.stem
    stack = one(operators, RELEASE, "-kube-prometheus-stack").inputs["values"]
    assert stack["grafana"]["sidecar"]["dashboards"]["label"] == "grafana_dashboard"


def test_dcgm_exporter_collects_aiinfra_fields(operators: list[RenderedResource]) -> None:
    counters = one(operators, CONFIGMAP, "-dcgm-metrics").inputs
    assert counters["metadata"]["namespace"] == "gpu-operator"
    csv = counters["data"]["dcgm-metrics.csv"]
    assert "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL, counter" in csv
    assert "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL" in csv  # H100 SXM has NVSwitch
    assert "{{" not in csv and "{%" not in csv


def test_alertmanager_routes_each_team_namespace() -> None:
    teams = (
        TeamPlan(
            name="a", namespace="a-jobs", cohort="c", priority=1, quotas=(TeamQuota(pool="gpu", gpus=8),)
        ),
        TeamPlan(name="b", namespace="b", cohort="c", priority=1, quotas=(TeamQuota(pool="gpu", gpus=8),)),
    )
    plan = k8s_ib().model_copy(update={"teams": teams})
    config = alertmanager_config(plan)
    assert config["route"]["routes"][1:] == [
        {"receiver": "team-a", "matchers": ['namespace = "a-jobs"']},
        {"receiver": "team-b", "matchers": ['namespace = "b"']},
    ]
    assert {r["name"] for r in config["receivers"]} == {"null", "team-a", "team-b"}
    stack = _release_values(plan, charts.KUBE_PROMETHEUS_STACK, on_eks=False)
    assert stack["alertmanager"] == {"enabled": True, "config": config}
    without = _release_values(k8s_ib(), charts.KUBE_PROMETHEUS_STACK, on_eks=False)
    assert "config" not in without["alertmanager"]  # type: ignore[operator]


def test_plan_shows_operator_values() -> None:
    """`aiinfra plan` lists every release with its rendered values, operators included."""
    plan = aws_p5_eks().model_copy(
        update={"platform": OPERATORS.model_copy(update={"experiment_tracking": "mlflow"})}
    )
    releases = {r.name.rsplit("-", 1)[-1]: r for r in of_type(render_detailed(plan), RELEASE)}
    assert {"operator", "trainer", "volcano", "mlflow"} <= set(releases)
    assert releases["mlflow"].inputs["values"]["postgresql"]["enabled"] is True


@pytest.mark.skipif(
    shutil.which("amtool") is None, reason="amtool not installed (apt-get install prometheus-alertmanager)"
)
def test_team_routing_is_a_valid_alertmanager_config(tmp_path: Path) -> None:
    teams = tuple(
        TeamPlan(name=n, namespace=n, cohort="c", priority=1, quotas=(TeamQuota(pool="gpu", gpus=8),))
        for n in ("pretrain", "finetune")
    )
    config = alertmanager_config(k8s_ib().model_copy(update={"teams": teams}))
    # the chart's default route receiver is "null"; Helm merges our route keys into it
    full = {"route": {"receiver": "null", **config["route"]}, "receivers": config["receivers"]}
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(full))
    proc = subprocess.run(
        [str(shutil.which("amtool")), "check-config", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    routed = subprocess.run(
        [
            str(shutil.which("amtool")),
            "config",
            "routes",
            "test",
            "--config.file",
            str(path),
            "namespace=finetune",
        ],
        capture_output=True,
        text=True,
    )
    assert routed.stdout.strip() == "team-finetune", routed.stdout + routed.stderr


CHART_FIXTURES = Path(__file__).parents[1] / "fixtures" / "charts"


def _merged(defaults: dict[str, object], ours: dict[str, object]) -> dict[str, object]:
    """Helm's merge of user values into chart defaults: maps merge key by key, anything else replaces."""
    out = dict(defaults)
    for key, value in ours.items():
        current = out.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            out[key] = _merged(current, value)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize("plan_factory", [aws_p5_eks, k8s_ib], ids=["aws-s3", "existing-no-bucket"])
def test_mlflow_values_pass_the_pinned_charts_schema(plan_factory: object) -> None:
    import jsonschema

    assert charts.MLFLOW.version == "1.11.5"  # the fixtures below belong to this version
    schema = json.loads((CHART_FIXTURES / "mlflow-1.11.5.values.schema.json").read_text())
    defaults = yaml.safe_load((CHART_FIXTURES / "mlflow-1.11.5.values.yaml").read_text())
    assert callable(plan_factory)
    values = _merged(defaults, _release_values(plan_factory(), charts.MLFLOW, on_eks=False))
    errors = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(values)]
    assert errors == []
    # and the schema does catch a wrong key
    broken = _merged(values, {"backendStore": {"postgress": {}}})
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))
