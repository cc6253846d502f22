"""Node snapshot: parsers on nvidia-smi/ibstat/ip formats, drift from the plan, provenance."""

from __future__ import annotations

from pathlib import Path

from aiinfra_iac.blueprint.models import RoceSpec
from aiinfra_iac.validate import snapshot
from aiinfra_iac.validate.judge import judge

from . import builders as b

SMI_BANNER = """Tue Dec  1 10:02:11 2026
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 580.65.06              Driver Version: 580.65.06      CUDA Version: 13.0     |
|-----------------------------------------+------------------------+----------------------+"""

IBSTAT_BLOCK = """CA '{dev}'
\tCA type: MT4129
\tNumber of ports: 1
\tFirmware version: 28.39.1002
\tHardware version: 0
\tNode GUID: 0xa088c20300f1{n:02x}
\tSystem image GUID: 0xa088c20300f1{n:02x}
\tPort 1:
\t\tState: {state}
\t\tPhysical state: LinkUp
\t\tRate: {rate}
\t\tBase lid: {n}
\t\tLMC: 0
\t\tSM lid: 1
\t\tCapability mask: 0xa651e848
\t\tPort GUID: 0xa088c20300f1{n:02x}
\t\tLink layer: {layer}
"""

_TAIL = "qdisc mq state UP mode DEFAULT group default qlen 1000\\    link/ether 0c:42:a1:00:00:01"
IP_LINK = "\n".join(
    [
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default "
        "qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
        "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu {mtu} " + _TAIL,
        "3: eth1: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000",
    ]
)


def snapshot_text(
    *, gpus: int = 8, driver: str = "580.65.06", rate: int = 400, mtu: int = 9000, layer: str = "InfiniBand"
) -> str:
    smi = "\n".join(f"NVIDIA H100 80GB HBM3, {driver}" for _ in range(gpus))
    ib = "".join(IBSTAT_BLOCK.format(dev="mlx5_0", n=1, state="Active", rate=rate, layer=layer))
    return (
        f"### gpus\n{smi}\n### smi\n{SMI_BANNER.replace('580.65.06', driver)}\n### ibstat\n{ib}"
        f"### links\n{IP_LINK.format(mtu=mtu)}\n"
        "### cmdline\nBOOT_IMAGE=/vmlinuz-6.8.0-1017-nvidia root=UUID=1 ro iommu=pt "
        "transparent_hugepage=madvise\n"
    )


def test_parsers_read_the_real_formats() -> None:
    snap = snapshot.parse_snapshot(snapshot_text())
    assert snap.gpus == ("NVIDIA H100 80GB HBM3",) * 8 and snap.driver == "580.65.06" and snap.cuda == "13.0"
    assert snap.hcas == (snapshot.Hca("mlx5_0", 400, "InfiniBand", "Active"),)
    assert snap.mtus == {"eth0": 9000}  # loopback and DOWN links left out
    assert "iommu=pt" in snap.cmdline


def _drift(text: str, fabric: str = "infiniband") -> list[str]:
    pool = b.pool("gpu", 1, gpu_plan=b.gpu("H100", 8), fabric_plan=b.fabric(fabric))
    plan = b.plan([pool], b.gpu_checks("gpu"))
    return snapshot.drift(plan, pool, snapshot.parse_snapshot(text))


def test_matching_node_has_no_drift() -> None:
    assert _drift(snapshot_text()) == []


def test_seven_gpus_fail() -> None:
    assert _drift(snapshot_text(gpus=7)) == ["7 GPUs seen, the plan has 8 H100"]


def test_200g_link_on_a_400g_fabric_fails() -> None:
    assert _drift(snapshot_text(rate=200)) == ["mlx5_0 links at 200G on a 400G fabric"]


def test_wrong_driver_branch_fails() -> None:
    (found,) = _drift(snapshot_text(driver="550.54.15"))
    assert found == "driver 550.54.15 (branch 550), the plan pins branch 580"


def test_mtu_1500_on_roce_fails() -> None:
    pool = b.pool("gpu", 1, gpu_plan=b.gpu("H100", 8), fabric_plan=b.fabric("roce"))
    assert pool.fabric is not None
    roce = pool.fabric.model_copy(update={"roce": RoceSpec()})
    pool = pool.model_copy(update={"fabric": roce})
    plan = b.plan([pool], b.gpu_checks("gpu"))
    found = snapshot.drift(plan, pool, snapshot.parse_snapshot(snapshot_text(mtu=1500, layer="Ethernet")))
    assert found == ["MTU eth0 1500 below the fabric's 4200"]


def test_judge_fails_the_drifting_node_and_records_provenance(tmp_path: Path) -> None:
    pool = b.pool("gpu", 2, gpu_plan=b.gpu("H100", 8), fabric_plan=b.fabric("infiniband"))
    plan = b.plan([pool], b.gpu_checks("gpu"))
    tree = b.results_tree(tmp_path, {"gpu-0": "healthy-h100x8", "gpu-1": "healthy-h100x8"})
    (tree / "gpu-0" / snapshot.FILE).write_text(snapshot_text())
    (tree / "gpu-1" / snapshot.FILE).write_text(snapshot_text(gpus=7))
    verdict = judge(plan, tree)
    snaps = {c.node: c for c in verdict.checks if c.kind == "snapshot"}
    assert snaps["gpu-0"].status == "pass" and snaps["gpu-1"].status == "fail"
    assert snaps["gpu-1"].detail == "drift from the plan: 7 GPUs seen, the plan has 8 H100"
    assert verdict.provenance is not None
    versions = verdict.provenance.nodes["gpu-0"]["versions"]
    assert isinstance(versions, dict) and versions["driver"] == "580.65.06" and versions["cuda"] == "13.0"
    assert versions["dcgm"] and versions["nccl"]


def test_kernel_args_fail_only_where_the_roles_reboot() -> None:
    pool = b.pool("gpu", 1, gpu_plan=b.gpu("H100", 8), fabric_plan=b.fabric("infiniband"))
    plan = b.plan([pool], b.gpu_checks("gpu"))
    # iommu=pt is set only where the blueprint asks for it (tuning.host.iommuPassthrough).
    asked = plan.tuning.host.model_copy(update={"iommu_passthrough": True})
    plan = plan.model_copy(update={"tuning": plan.tuning.model_copy(update={"host": asked})})
    text = snapshot_text().replace(" iommu=pt", "")
    snap = snapshot.parse_snapshot(text)
    assert snapshot.drift(plan, pool, snap) == []  # reboot off: pending, reported in the detail
    assert "pending a reboot" in snapshot.result(plan, pool, "gpu-0", snap).detail
    rebooting = plan.model_copy(
        update={
            "tuning": plan.tuning.model_copy(
                update={"host": plan.tuning.host.model_copy(update={"reboot": True})}
            )
        }
    )
    assert snapshot.drift(rebooting, pool, snap) == ["kernel arguments missing: iommu=pt"]
