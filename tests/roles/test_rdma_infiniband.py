"""rdma_infiniband: real converge into a bookworm chroot (no HCA there: hardware tasks skip)."""

from __future__ import annotations

from typing import Any

import pytest
from harness import Chroot, ConvergeResult

ROLE = "rdma_infiniband"
VARS: dict[str, Any] = {
    "rdma_infiniband_subnet_manager": "host",
    "rdma_infiniband_opensm_priority": 12,
    "rdma_infiniband_partitions": [{"name": "compute", "pkey": "0x8001", "mtu": 5}],
    "rdma_infiniband_ipoib_interfaces": [{"name": "ib0", "address": "10.10.0.11/16", "mtu": 2044}],
}


def test_check_mode_on_a_fresh_host(chroot: Chroot) -> None:
    """`aiinfra diff` before the first converge: previews, changes nothing, fails nothing."""
    result = chroot.converge_ok(ROLE, VARS, check=True)
    assert result.changed > 0
    assert not chroot.installed("opensm")
    assert not chroot.exists("/etc/modules-load.d/aiinfra-rdma.conf")


@pytest.fixture(scope="module")
def first_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok(ROLE, VARS)


def test_packages_installed(chroot: Chroot, first_run: ConvergeResult) -> None:
    for package in ("rdma-core", "ibverbs-utils", "infiniband-diags", "perftest", "opensm"):
        assert chroot.installed(package), package
    for tool in ("/usr/bin/ib_write_bw", "/usr/sbin/ibstat", "/usr/bin/ibv_devinfo", "/usr/sbin/opensm"):
        assert chroot.exists(tool), tool


def test_modules_and_limits(chroot: Chroot, first_run: ConvergeResult) -> None:
    modules = chroot.read_file("/etc/modules-load.d/aiinfra-rdma.conf").split()
    for module in ("ib_umad", "ib_ipoib", "rdma_ucm"):
        assert module in modules
    limits = chroot.read_file("/etc/security/limits.d/90-aiinfra-rdma.conf")
    assert "*    soft    memlock    unlimited" in limits
    assert "*    hard    memlock    unlimited" in limits
    assert "DefaultLimitMEMLOCK=infinity" in chroot.read_file(
        "/etc/systemd/system.conf.d/90-aiinfra-rdma-memlock.conf"
    )


def test_opensm_configured_and_enabled(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert 'PORTS="ALL"' in chroot.read_file("/etc/default/opensm")
    assert "sm_priority 12" in chroot.read_file("/etc/opensm/opensm.conf")
    partitions = chroot.read_file("/etc/opensm/partitions.conf")
    assert "Default=0x7fff, ipoib : ALL=full ;" in partitions
    assert "compute=0x8001, ipoib, mtu=5 : ALL=full ;" in partitions
    enabled = chroot.chroot_run("systemctl", "is-enabled", "opensm", check=False)
    assert enabled.stdout.strip() == "enabled"


def test_ipoib_network_file(chroot: Chroot, first_run: ConvergeResult) -> None:
    network = chroot.read_file("/etc/systemd/network/60-aiinfra-ib0.network")
    assert "Name=ib0" in network and "Address=10.10.0.11/16" in network and "MTUBytes=2044" in network


def test_hardware_tasks_skipped_not_faked(first_run: ConvergeResult) -> None:
    assert first_run.task("Load the InfiniBand kernel modules now").skipped
    assert first_run.task("Query the HCA ports").skipped
    assert "skipped: no hardware" in first_run.task("Report the HCA state").msg


def test_idempotent(chroot: Chroot, first_run: ConvergeResult) -> None:
    chroot.assert_idempotent(ROLE, VARS)


def test_bad_input_rejected_before_any_task(chroot: Chroot, first_run: ConvergeResult) -> None:
    result = chroot.converge(ROLE, {"rdma_infiniband_subnet_manager": "opensm"})
    assert result.rc != 0
    assert any("rdma_infiniband_subnet_manager" in failure for failure in result.failures())
