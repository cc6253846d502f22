"""$AIINFRA_CATALOG: a user file adds instance types and NICs, checked like the built-in data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiinfra_iac.blueprint import load_blueprint, run_checks
from aiinfra_iac.catalog import load_catalog, store
from aiinfra_iac.catalog.shape import CatalogDataError
from aiinfra_iac.commands import catalog as catalog_command

SITE = """\
instance_types:
  - {name: m7i.8xlarge, gpu_model: null, gpu_count: 0, vcpus: 32, memory_gib: 128, numa_nodes: 1,
     network_cards: 1, efa_interfaces: 0, efa_generation: null, network_gbps: 12,
     interface_layout: [{cards: "0", device_index: 0, kind: interface}], gpu_numa: [], local_nvme_gb: 0,
     gpudirect_rdma: false, supports_capacity_blocks: false, price_usd_hour: 1.6128,
     sources: [https://aws.amazon.com/ec2/instance-types/m7i/]}
nics:
  - {id: site-cx7-eth, kind: hca, line_rate_gbps: 400, link_types: [ethernet],
     sources: [https://www.nvidia.com/en-us/networking/ethernet-adapters/]}
"""

BLUEPRINT = """\
apiVersion: aiinfra/v1
kind: Cluster
metadata: {name: site}
spec:
  provider: {type: aws, region: us-east-1, availabilityZone: us-east-1a}
  nodePools:
    - {name: head, role: controller, instanceType: m7i.8xlarge, count: 1}
  scheduler: {type: slurm}
"""


@pytest.fixture
def user_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "site-catalog.yaml"
    monkeypatch.setenv(store.USER_CATALOG_ENV, str(path))
    load_catalog.cache_clear()
    yield path
    monkeypatch.delenv(store.USER_CATALOG_ENV)
    load_catalog.cache_clear()


def test_added_entries_are_used_by_check_and_listed(user_catalog: Path, tmp_path: Path) -> None:
    user_catalog.write_text(SITE)
    blueprint = tmp_path / "site.yaml"
    blueprint.write_text(BLUEPRINT)
    assert [p.id for p in run_checks(load_blueprint(blueprint)) if p.level == "error"] == []
    catalog = load_catalog()
    assert catalog.instance_types["m7i.8xlarge"].vcpus == 32 and "site-cx7-eth" in catalog.nics
    rows = catalog_command.rows(catalog_command.Section.nics)
    assert "site-cx7-eth" in {row["id"] for row in json.loads(json.dumps(rows))}


def test_without_the_file_the_type_is_unknown(tmp_path: Path) -> None:
    load_catalog.cache_clear()
    blueprint = tmp_path / "site.yaml"
    blueprint.write_text(BLUEPRINT)
    assert "AI101" in {p.id for p in run_checks(load_blueprint(blueprint))}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SITE.replace("sources: [https://aws.amazon.com/ec2/instance-types/m7i/]", "sources: []"), "sources"),
        (SITE.replace("m7i.8xlarge", "p5.48xlarge"), "built-in catalog already"),
        (SITE.replace("gpu_count: 0", "gpu_count: 2"), "gpu_model and gpu_count disagree"),
        (SITE + "gpus: []\n", "unknown section"),
    ],
)
def test_entries_are_checked_like_the_built_in_ones(user_catalog: Path, text: str, message: str) -> None:
    user_catalog.write_text(text)
    with pytest.raises(CatalogDataError, match=message) as caught:
        load_catalog()
    assert "AIINFRA_CATALOG" in str(caught.value) or str(user_catalog) in str(caught.value)
