"""roce: real converge into a bookworm chroot; the QoS script runs in dry-run and no-hardware modes."""

from __future__ import annotations

from typing import Any

import pytest
from harness import Chroot, ConvergeResult

ROLE = "roce"
VARS: dict[str, Any] = {
    "roce_interfaces": ["ens1f0np0", "ens2f0np0"],
    "roce_pfc_priority": 5,
    "roce_dscp": 24,
    "roce_mtu": 9000,
    "roce_traffic_class": 98,
}


@pytest.fixture(scope="module")
def first_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok(ROLE, VARS)


def test_packages_and_dcb_tool(chroot: Chroot, first_run: ConvergeResult) -> None:
    for package in ("iproute2", "rdma-core", "ibverbs-utils"):
        assert chroot.installed(package), package
    assert "dcb utility" in chroot.chroot_run("dcb", "-V").stdout


def test_sysctls(chroot: Chroot, first_run: ConvergeResult) -> None:
    lines = set(chroot.read_file("/etc/sysctl.d/90-aiinfra-roce.conf").splitlines())
    for expected in (
        "net.ipv4.conf.all.arp_ignore = 1",
        "net.ipv4.conf.all.arp_announce = 2",
        "net.ipv4.conf.all.rp_filter = 2",
    ):
        assert expected in lines


def test_settings_file_and_unit(chroot: Chroot, first_run: ConvergeResult) -> None:
    env = chroot.read_file("/etc/aiinfra/roce.env")
    assert 'ROCE_INTERFACES="ens1f0np0 ens2f0np0"' in env
    assert "ROCE_PFC_PRIORITY=5" in env and "ROCE_DSCP=24" in env and "ROCE_MTU=9000" in env
    unit = chroot.read_file("/etc/systemd/system/aiinfra-roce.service")
    assert "Type=oneshot" in unit and "ExecStart=/usr/local/sbin/aiinfra-roce-apply" in unit
    enabled = chroot.chroot_run("systemctl", "is-enabled", "aiinfra-roce.service", check=False)
    assert enabled.stdout.strip() == "enabled"


def test_script_dry_run_plans_the_blueprint_qos(chroot: Chroot, first_run: ConvergeResult) -> None:
    out = chroot.chroot_run("/usr/local/sbin/aiinfra-roce-apply", "--dry-run").stdout
    assert "+ ip link set dev ens1f0np0 mtu 9000" in out
    assert "+ dcb pfc set dev ens2f0np0 prio-pfc 0:off 1:off 2:off 3:off 4:off 5:on 6:off 7:off" in out
    assert "+ dcb app replace dev ens1f0np0 dscp-prio 24:5" in out
    assert "/ecn/roce_np/enable/5" in out
    assert "+ echo '98' > /sys/kernel/config/rdma_cm/" in out


def test_script_fails_on_missing_interface(chroot: Chroot, first_run: ConvergeResult) -> None:
    proc = chroot.chroot_run("/usr/local/sbin/aiinfra-roce-apply", check=False)
    assert proc.returncode == 1
    assert "ens1f0np0: error: no such network interface" in proc.stderr


def test_script_skips_without_hardware_when_autodetecting(chroot: Chroot, first_run: ConvergeResult) -> None:
    chroot.converge_ok(ROLE, {**VARS, "roce_interfaces": []})
    proc = chroot.chroot_run("/usr/local/sbin/aiinfra-roce-apply")
    assert "skipped: no hardware" in proc.stdout


def test_hardware_report(first_run: ConvergeResult) -> None:
    assert "skipped: no hardware" in first_run.task("Report the RoCE hardware state").msg
    assert first_run.task("Load the RoCE sysctls").skipped


def test_idempotent(chroot: Chroot, first_run: ConvergeResult) -> None:
    chroot.assert_idempotent(ROLE, {**VARS, "roce_interfaces": []})


@pytest.mark.parametrize(("var", "value"), [("roce_pfc_priority", 8), ("roce_dscp", 64)])
def test_out_of_range_rejected(chroot: Chroot, first_run: ConvergeResult, var: str, value: int) -> None:
    result = chroot.converge(ROLE, {var: value})
    assert result.rc != 0
    assert any(var in failure for failure in result.failures())
