"""Every blueprint in blueprints/ renders offline, and the inputs that matter follow the blueprint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiinfra_iac.catalog import load_catalog
from aiinfra_iac.lifecycle.document import plan_document
from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.kubernetes import charts
from aiinfra_iac.provision.offline import RenderedResource, render_detailed

from .helpers import (
    BUCKET,
    EGRESS,
    FSX,
    INGRESS,
    LT,
    PLACEMENT,
    PUBLIC_BLOCK,
    RELEASE,
    SG,
    SSE,
    efa_interfaces,
    of_type,
    one,
)

BLUEPRINTS = sorted((Path(__file__).resolve().parents[2] / "blueprints").glob("*.yaml"))
PINS = {pin.release: pin for pin in vars(charts).values() if isinstance(pin, charts.ChartPin)}
PROVIDER = {path: plan_from_file(path)[0].provider.type for path in BLUEPRINTS}
Rendered = tuple[ClusterPlan, list[RenderedResource], dict[str, Any]]
_CACHE: dict[Path, Rendered] = {}


def _render(path: Path) -> Rendered:
    if path not in _CACHE:
        plan, _warnings = plan_from_file(path)
        resources = render_detailed(plan)
        _CACHE[path] = (plan, resources, plan_document(plan, [r.as_json() for r in resources]))
    return _CACHE[path]


def _of(*providers: str) -> list[Path]:
    return [path for path in BLUEPRINTS if PROVIDER[path] in providers]


def test_the_library_has_blueprints_for_every_provider() -> None:
    assert {"aws", "kubernetes", "onprem", "local"} <= set(PROVIDER.values())


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: p.stem)
def test_plan_document_has_the_design_shape(path: Path) -> None:
    plan, resources, doc = _render(path)
    assert list(doc) == [
        "schemaVersion",
        "cluster",
        "resources",
        "configuration",
        "validation",
        "summary",
        "review",
    ]
    assert doc["cluster"] == plan.name
    assert doc["resources"] == [r.as_json() for r in resources]
    assert plan_document(plan)["resources"] == doc["resources"]  # rendering is deterministic
    assert all(set(r) == {"type", "name", "inputs"} for r in doc["resources"])
    assert [c["pool"] for c in doc["configuration"]] == [p.name for p in plan.pools]
    assert all(set(c) == {"pool", "hosts", "roles", "vars"} for c in doc["configuration"])
    assert [v["id"] for v in doc["validation"]] == [c.id for c in plan.validation]
    assert all(set(v) == {"id", "kind", "pool", "expected", "unit"} for v in doc["validation"])
    assert doc["summary"] == {
        "nodes": plan.summary.nodes,
        "gpus": plan.summary.gpus,
        "estimatedHourlyUSD": plan.summary.estimated_hourly_usd,
    }


@pytest.mark.parametrize("path", _of("aws"), ids=lambda p: p.stem)
def test_aws_pools_follow_the_catalog_and_capacity(path: Path) -> None:
    plan, resources, _ = _render(path)
    catalog = load_catalog()
    group = one(resources, SG, "-efa")
    for rule in (one(resources, INGRESS, "efa-ingress-self"), one(resources, EGRESS, "efa-egress-self")):
        assert (
            rule.inputs["referencedSecurityGroupId"] == rule.inputs["securityGroupId"] == f"{group.name}-id"
        )
    for pool in plan.pools:
        template = one(resources, LT, f"-{pool.name}-lt")
        assert template.inputs["instanceType"] == pool.instance_type
        instance = catalog.instance_types[pool.instance_type or ""]
        if pool.fabric is not None and pool.fabric.type == "efa":
            efa = efa_interfaces(template)
            assert len(efa) == instance.efa_interfaces
            assert sorted({i["networkCardIndex"] for i in efa}) == list(range(instance.network_cards))
        else:
            assert "networkInterfaces" not in template.inputs
        reservation = pool.capacity.reservation_id
        if reservation:
            target = template.inputs["capacityReservationSpecification"]["capacityReservationTarget"]
            assert target == {"capacityReservationId": reservation}
        if pool.capacity.type == "capacity-block":
            assert template.inputs["instanceMarketOptions"] == {"marketType": "capacity-block"}
            assert "placement" not in template.inputs
        elif pool.fabric is not None and pool.fabric.type == "efa" and pool.count > 1:
            placement = one(resources, PLACEMENT, f"-{pool.name}-pg")
            assert placement.inputs["strategy"] == "cluster"
            assert template.inputs["placement"] == {"groupName": placement.name}


@pytest.mark.parametrize("path", _of("aws"), ids=lambda p: p.stem)
def test_aws_storage_follows_the_blueprint(path: Path) -> None:
    plan, resources, _ = _render(path)
    for storage in plan.storage:
        if storage.type == "fsx-lustre":
            fs = one(resources, FSX, f"-{storage.name}-fs")
            assert fs.inputs["deploymentType"] == (storage.deployment_type or "PERSISTENT_2")
            assert fs.inputs.get("efaEnabled", False) is storage.efa
            assert (fs.protect, fs.retain_on_delete) == (storage.retain, storage.retain)
        elif storage.type == "s3":
            bucket = one(resources, BUCKET, f"-{storage.name}-bucket")
            assert (bucket.protect, bucket.retain_on_delete) == (storage.retain, storage.retain)
            sse = one(resources, SSE, f"-{storage.name}-encryption").inputs["rules"][0]
            assert sse["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
            block = one(resources, PUBLIC_BLOCK, f"-{storage.name}-public-access").inputs
            assert block["blockPublicAcls"] and block["blockPublicPolicy"] and block["restrictPublicBuckets"]
    cloud = [s for s in plan.storage if s.type in ("fsx-lustre", "s3")]
    assert len(of_type(resources, FSX)) + len(of_type(resources, BUCKET)) == len(cloud)


@pytest.mark.parametrize("path", _of("aws", "kubernetes"), ids=lambda p: p.stem)
def test_kubernetes_releases_use_the_pinned_versions(path: Path) -> None:
    plan, resources, _ = _render(path)
    releases = of_type(resources, RELEASE)
    if plan.scheduler.type != "kubernetes":
        assert releases == []  # Slurm/Ray on AWS: no Kubernetes at all
        return
    assert releases, "a Kubernetes cluster gets at least the GPU Operator"
    for release in releases:
        pin = PINS[release.inputs["name"]]
        assert (release.inputs["chart"], release.inputs["version"]) == (pin.chart, pin.version)
    if any(p.fabric is not None and p.fabric.type in ("infiniband", "roce") for p in plan.pools):
        assert "network-operator" in {r.inputs["name"] for r in releases}


@pytest.mark.parametrize("path", _of("onprem", "local"), ids=lambda p: p.stem)
def test_hosts_providers_create_nothing_but_still_configure_and_validate(path: Path) -> None:
    _plan, resources, doc = _render(path)
    assert resources == []
    assert doc["configuration"] and doc["validation"]
