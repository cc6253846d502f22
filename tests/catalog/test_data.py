"""Shape and consistency of the catalog data files."""

from __future__ import annotations

import time

import pytest

from aiinfra_iac.catalog import load_catalog, normalize_gpu_model
from aiinfra_iac.catalog.store import DATA_DIR
from aiinfra_iac.catalog.types import DpuModel, GpuModel, InstanceType, Nic

CANONICAL_GPUS = [
    "A100-SXM-40GB",
    "A100-SXM-80GB",
    "H100-SXM",
    "H100-PCIE",
    "H200-SXM",
    "B200",
    "L40S",
    "A10G",
]
SIZES = ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")
REQUIRED_TYPES = [
    "p4d.24xlarge",
    "p4de.24xlarge",
    "p5.48xlarge",
    "p5e.48xlarge",
    "p5en.48xlarge",
    "p6-b200.48xlarge",
    *(f"{family}.{size}" for family in ("g5", "g6e") for size in SIZES),
    "m5.xlarge",
    "m6i.xlarge",
    "c6i.xlarge",
]


def test_every_design_gpu_and_instance_type_is_present() -> None:
    catalog = load_catalog()
    assert set(CANONICAL_GPUS) <= set(catalog.gpus)
    assert set(REQUIRED_TYPES) <= set(catalog.instance_types)
    assert {"connectx-6", "connectx-7", "efa-v1", "efa-v2", "efa-v3", "bluefield-2", "bluefield-3"} <= set(
        catalog.nics
    )
    assert set(catalog.dpus) == {"bluefield-2", "bluefield-3"}


def test_every_entry_cites_a_public_source() -> None:
    catalog = load_catalog()
    records: list[GpuModel | InstanceType | Nic | DpuModel] = [
        *catalog.gpus.values(),
        *catalog.instance_types.values(),
        *catalog.nics.values(),
        *catalog.dpus.values(),
    ]
    for record in records:
        assert record.sources, record
        assert all(url.startswith("https://") for url in record.sources), record
    for variable in catalog.nccl_variables.values():
        assert variable.source.startswith("https://docs.nvidia.com/"), variable
    for row in catalog.nccl_expectations:
        assert row.source.startswith(("measured:", "derived:", "same NVLink")), row
    expectations = catalog.expectations
    assert {"efa", "infiniband", "roce"} <= set(expectations.fabric_efficiency)
    assert all(f.source for f in expectations.fabric_efficiency.values())
    assert expectations.rdma_source and expectations.cpu_source


def test_gpu_names_are_unique_across_models() -> None:
    seen: dict[str, str] = {}
    for gpu in load_catalog().gpus.values():
        for name in (gpu.id, *gpu.aliases):
            assert seen.setdefault(name.lower(), gpu.id) == gpu.id, (
                f"{name} names {gpu.id} and {seen[name.lower()]}"
            )


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("A100-SXM4-80GB", "A100-SXM-80GB"),
        ("a100-sxm4-40gb", "A100-SXM-40GB"),
        ("H100-SXM5-80GB", "H100-SXM"),
        ("NVIDIA H100 80GB HBM3", "H100-SXM"),
        (" h200-sxm ", "H200-SXM"),
        ("B200", "B200"),
        ("H100 PCIe", "H100-PCIE"),
        ("V100", None),
    ],
)
def test_normalize_gpu_model(spelling: str, canonical: str | None) -> None:
    assert normalize_gpu_model(spelling) == canonical


def test_instance_layouts_match_cards_and_efa_interfaces() -> None:
    """AWS "Maximize network bandwidth": ENA primary on card 0 device 0, EFA-only on card 0 device 1
    and on device 0 of every other card; single-card types may use EFA-with-ENA as the primary."""
    for it in load_catalog().instance_types.values():
        efa = [slot for slot in it.interface_layout if slot.kind != "interface"]
        assert len(efa) == it.efa_interfaces, it.name
        slots = [(slot.network_card_index, slot.device_index) for slot in it.interface_layout]
        assert len(slots) == len(set(slots)), f"{it.name}: one interface per card and device index"
        primary = it.interface_layout[0]
        assert (primary.network_card_index, primary.device_index) == (0, 0), it.name
        assert primary.kind in ("interface", "efa"), it.name
        if it.network_cards > 1 and it.efa_interfaces:
            assert primary.kind == "interface", it.name
            assert sorted({card for card, _ in slots}) == list(range(it.network_cards)), it.name
            for slot in it.interface_layout[1:]:
                expected_device = 1 if slot.network_card_index == 0 else 0
                assert (slot.kind, slot.device_index) == ("efa-only", expected_device), it.name
        assert len(it.gpu_numa) == it.gpu_count and all(n < it.numa_nodes for n in it.gpu_numa), it.name
        if it.efa_interfaces:
            assert it.network_gbps % it.efa_interfaces == 0, it.name


def test_p5_facts() -> None:
    p5 = load_catalog().instance_types["p5.48xlarge"]
    assert (p5.gpu_model, p5.gpu_count, p5.network_cards, p5.efa_interfaces) == ("H100-SXM", 8, 32, 32)
    assert p5.network_gbps == 3200 and p5.efa_generation == 2 and p5.gpudirect_rdma
    assert p5.gpu_numa == (0, 0, 0, 0, 1, 1, 1, 1)
    assert (p5.interface_layout[0].kind, p5.interface_layout[1].kind) == ("interface", "efa-only")
    assert p5.supports_capacity_blocks and p5.price_usd_hour > 0


def test_nccl_variables_cover_the_documented_page() -> None:
    variables = load_catalog().nccl_variables
    assert len(variables) >= 80
    for name in (
        "NCCL_NET_PLUGIN",
        "NCCL_TUNER_PLUGIN",
        "NCCL_IB_HCA",
        "NCCL_IB_GID_INDEX",
        "NCCL_IB_TC",
        "NCCL_IB_SL",
        "NCCL_SOCKET_IFNAME",
        "NCCL_NVLS_ENABLE",
        "NCCL_CROSS_NIC",
        "NCCL_NET_GDR_LEVEL",
        "NCCL_IB_QPS_PER_CONNECTION",
    ):
        assert name in variables, name
    assert variables["NCCL_IB_GID_INDEX"].fabrics == ("roce",)
    assert all(v.description for v in variables.values())


def test_load_is_fast_and_cached() -> None:
    """< 50 ms of CPU (process time: other jobs on a shared machine do not count)."""
    timings = []
    for _ in range(5):
        load_catalog.cache_clear()
        start = time.process_time()
        first = load_catalog()
        timings.append(time.process_time() - start)
    print(f"catalog load: best {min(timings) * 1000:.1f} ms CPU")
    assert min(timings) < 0.05
    assert load_catalog() is first


def test_data_dir_has_only_known_files() -> None:
    names = sorted(path.name for path in DATA_DIR.glob("*.yaml"))
    assert names == sorted(
        [
            "gpus.yaml",
            "aws_instances.yaml",
            "nics.yaml",
            "dpus.yaml",
            "nccl_variables.yaml",
            "expectations.yaml",
            "aws_pins.yaml",
            "host_layouts.yaml",
        ]
    )


def test_host_layouts_agree_with_instance_types_and_cite_sources() -> None:
    from aiinfra_iac.catalog import load_catalog
    from aiinfra_iac.catalog.hosts import instance_layout, system

    catalog = load_catalog()
    for name, (sockets, cores) in {"p4d.24xlarge": (2, 24), "p5.48xlarge": (2, 48)}.items():
        layout = instance_layout(name)
        assert layout is not None and (layout.sockets, layout.cores_per_socket) == (sockets, cores)
        assert layout.cpus == catalog.instance_types[name].vcpus
        assert any("docs.aws.amazon.com" in source for source in layout.sources)
    dgx = system("dgx-h100")
    assert dgx is not None and len(dgx.compute_hcas) == 8 and "mlx5_1" not in dgx.compute_hcas
    assert instance_layout("m5.xlarge") is None
