"""Loader errors on bad data, closest-match suggestions and the expectation helpers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiinfra_iac.catalog import (
    CatalogDataError,
    closest,
    expected_nccl_busbw,
    expected_rdma_gbps,
    fabric_bound_gbytes,
    load_catalog,
    store,
)


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A writable copy of the data directory the loader reads instead of the real one."""
    copy = tmp_path / "data"
    shutil.copytree(store.DATA_DIR, copy)
    monkeypatch.setattr(store, "DATA_DIR", copy)
    load_catalog.cache_clear()
    store._gpu_names.cache_clear()
    yield copy
    load_catalog.cache_clear()
    store._gpu_names.cache_clear()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "gpus.yaml",
            "    tdp_watts: 400\n",
            "",
            "gpus.yaml: gpus[0] (A100-SXM-40GB): missing key 'tdp_watts'",
        ),
        ("gpus.yaml", "memory_gib: 40\n", "memory_gib: forty\n", "'memory_gib' has type str"),
        ("gpus.yaml", "aliases: [A100-SXM4-40GB,", "aliases: [H100-SXM5-80GB,", "is also a name of"),
        ("gpus.yaml", "nvswitch: true\n", "nvswitch: 1\n", "'nvswitch' has type int"),
        ("aws_instances.yaml", "gpu_model: H100-SXM\n", "gpu_model: H100-SXMX\n", "is not in gpus.yaml"),
        (
            "aws_instances.yaml",
            '{cards: "1-31", device_index: 0, kind: efa-only}',
            '{cards: "1-30", device_index: 0, kind: efa-only}',
            "p5.48xlarge: interface_layout must cover network cards 0..31",
        ),
        (
            "aws_instances.yaml",
            '{cards: "1-31", device_index: 0, kind: efa-only}',
            '{cards: "1-31", device_index: 0, kind: efa_only}',
            "kind must be interface, efa or efa-only",
        ),
        (
            "aws_instances.yaml",
            "gpu_numa: [0, 0, 0, 0, 1, 1, 1, 1]\n    local_nvme_gb: 30720",
            "gpu_numa: [0, 0, 0, 0, 1, 1, 1, 2]\n    local_nvme_gb: 30720",
            "gpu_numa must give a NUMA node < numa_nodes",
        ),
        ("nics.yaml", "line_rate_gbps: 200   # HDR", "line_rate_gbps: 0   # HDR", "must be >= 1"),
        ("dpus.yaml", "nic: bluefield-3", "nic: bluefield-9", "nic 'bluefield-9' is not in nics.yaml"),
        (
            "nccl_variables.yaml",
            "name: NCCL_DEBUG,",
            "name: NCCL_DEBUG_FILE,",
            "duplicate name 'NCCL_DEBUG_FILE'",
        ),
        ("expectations.yaml", "efficiency: 0.92,", "efficiency: 1.5,", "efficiency must be in (0, 1]"),
        (
            "nics.yaml",
            "      - https://www.nvidia.com/en-us/networking/infiniband-adapters/\n      - https://nvdam",
            "      - http://example.com/\n      - https://nvdam",
            "'sources' must list at least one https:// URL",
        ),
    ],
)
def test_bad_data_fails_loudly_naming_file_and_entry(
    data_copy: Path, file: str, old: str, new: str, message: str
) -> None:
    _edit(data_copy / file, old, new)
    with pytest.raises(CatalogDataError) as caught:
        load_catalog()
    assert message in str(caught.value)


def test_invalid_yaml_and_missing_file(data_copy: Path) -> None:
    (data_copy / "nics.yaml").write_text("nics: [\n")
    with pytest.raises(CatalogDataError, match=r"nics\.yaml is not valid YAML"):
        load_catalog()
    (data_copy / "nics.yaml").unlink()
    with pytest.raises(CatalogDataError, match="cannot read catalog file"):
        load_catalog()


def test_closest_suggests_a_near_name() -> None:
    catalog = load_catalog()
    assert closest("p5.48xlarg", catalog.instance_types) == "p5.48xlarge"
    assert closest("h100-smx", catalog.gpus) == "H100-SXM"
    assert closest("zzz", catalog.gpus) is None


def test_node_expectations_match_published_figures() -> None:
    assert expected_nccl_busbw("A100-SXM4-40GB", 8, "all_reduce") == (
        230.0,
        _source("A100-SXM-40GB", "all_reduce"),
    )
    value, source = expected_nccl_busbw("H100-SXM", 8, "all_reduce") or (0.0, "")
    assert value >= 450 and "derived" in source
    # Another GPU count of an NVSwitch part uses the 8-GPU figure, and says so.
    value, source = expected_nccl_busbw("H200-SXM", 4, "all_gather") or (0.0, "")
    assert value == 360 and "figure for 8 GPUs" in source
    # A collective without its own figure falls back to all_reduce, and says so.
    value, source = expected_nccl_busbw("L40S", 8, "alltoall") or (0.0, "")
    assert value == 13 and "all_reduce used" in source
    assert expected_nccl_busbw("H100-SXM", 1, "all_reduce") is None
    assert expected_nccl_busbw("unknown-gpu", 8, "all_reduce") is None


def _source(model: str, collective: str) -> str:
    row = next(
        r
        for r in load_catalog().nccl_expectations
        if (r.gpu_model, r.collective, r.gpus_per_node) == (model, collective, 8)
    )
    return row.source


def test_fabric_expectation_is_efficiency_times_rails_times_link() -> None:
    efficiency = load_catalog().expectations.fabric_efficiency["infiniband"].efficiency
    value, source = expected_nccl_busbw("A100-SXM-80GB", 8, "all_reduce", "fabric", 200, 8, "infiniband") or (
        0,
        "",
    )
    assert value == pytest.approx(efficiency * 200)
    assert fabric_bound_gbytes(200, 8) == 200
    assert "8 x 200 Gb/s / 8" in source
    # A fabric faster than NVLink is capped by the single-node figure.
    capped = expected_nccl_busbw("A100-SXM-80GB", 8, "all_reduce", "fabric", 800, 32, "infiniband")
    assert capped is not None and capped[0] == 230 and capped[1].startswith("capped")
    assert expected_nccl_busbw("H100-SXM", 8, "all_reduce", "fabric", None, None, "efa") is None
    assert expected_nccl_busbw("H100-SXM", 8, "all_reduce", "fabric", 100, 32, "token-ring") is None


def test_rdma_expectation() -> None:
    value, source = expected_rdma_gbps(400)
    assert value == pytest.approx(load_catalog().expectations.rdma_efficiency * 400)
    assert 0.9 * 400 <= value <= 0.95 * 400
    assert "400 Gb/s" in source
