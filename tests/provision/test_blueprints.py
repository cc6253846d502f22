"""Every blueprint in blueprints/ renders offline, and the inputs that matter follow the blueprint."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra_iac.catalog import load_catalog
from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.document import plan_document
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


def test_the_library_has_blueprints_for_every_provider() -> None:
    providers = {plan_from_file(path)[0].provider.type for path in BLUEPRINTS}
    assert {"aws", "kubernetes", "onprem", "local"} <= providers


@pytest.fixture(scope="module", params=BLUEPRINTS, ids=lambda p: p.stem)
def rendered(request: pytest.FixtureRequest) -> tuple[ClusterPlan, list[RenderedResource], dict[str, object]]:
    plan, _warnings = plan_from_file(request.param)
    return plan, render_detailed(plan), plan_document(plan)


def test_plan_document_has_the_design_shape(
    rendered: tuple[ClusterPlan, list[RenderedResource], dict[str, object]],
) -> None:
    plan, resources, doc = rendered
    assert list(doc) == ["cluster", "resources", "configuration", "validation", "summary"]
    assert doc["cluster"] == plan.name
    assert doc["resources"] == [r.as_json() for r in resources]
    assert all(set(r) == {"type", "name", "inputs"} for r in doc["resources"])  # type: ignore[attr-defined]
    assert [c["pool"] for c in doc["configuration"]] == [p.name for p in plan.pools]  # type: ignore[attr-defined]
    assert all(set(c) == {"pool", "hosts", "roles", "vars"} for c in doc["configuration"])  # type: ignore[attr-defined]
    assert [v["id"] for v in doc["validation"]] == [c.id for c in plan.validation]  # type: ignore[attr-defined]
    assert all(set(v) == {"id", "kind", "pool", "expected", "unit"} for v in doc["validation"])  # type: ignore[attr-defined]
    assert doc["summary"] == {
        "nodes": plan.summary.nodes,
        "gpus": plan.summary.gpus,
        "estimatedHourlyUSD": plan.summary.estimated_hourly_usd,
    }


def test_aws_pools_follow_the_catalog_and_capacity(
    rendered: tuple[ClusterPlan, list[RenderedResource], dict[str, object]],
) -> None:
    plan, resources, _ = rendered
    if plan.provider.type != "aws":
        pytest.skip("aws only")
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


def test_aws_storage_follows_the_blueprint(
    rendered: tuple[ClusterPlan, list[RenderedResource], dict[str, object]],
) -> None:
    plan, resources, _ = rendered
    if plan.provider.type != "aws":
        pytest.skip("aws only")
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


def test_kubernetes_releases_use_the_pinned_versions(
    rendered: tuple[ClusterPlan, list[RenderedResource], dict[str, object]],
) -> None:
    plan, resources, _ = rendered
    if plan.scheduler.type != "kubernetes" or plan.provider.type not in ("aws", "kubernetes"):
        pytest.skip("kubernetes scheduler on a provisioned cluster only")
    releases = of_type(resources, RELEASE)
    assert releases, "a Kubernetes cluster gets at least the GPU Operator"
    for release in releases:
        pin = PINS[release.inputs["name"]]
        assert (release.inputs["chart"], release.inputs["version"]) == (pin.chart, pin.version)
    if any(p.fabric is not None and p.fabric.type in ("infiniband", "roce") for p in plan.pools):
        assert "network-operator" in {r.inputs["name"] for r in releases}


def test_hosts_providers_create_nothing_but_still_configure_and_validate(
    rendered: tuple[ClusterPlan, list[RenderedResource], dict[str, object]],
) -> None:
    plan, resources, doc = rendered
    if plan.provider.type not in ("onprem", "local"):
        pytest.skip("onprem/local only")
    assert resources == []
    assert doc["configuration"] and doc["validation"]
