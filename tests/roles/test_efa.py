"""efa in a bookworm chroot: settings converged for real, the installer (download not reachable here)
shown in check mode; no EFA device is visible in a chroot, so hardware steps report skipped."""

from __future__ import annotations

import pytest
from harness import Chroot, ConvergeResult

ROLE = "efa"
CONVERGE = {
    "efa_hugepages_2m": 5128,
    "efa_fi_env": {"FI_PROVIDER": "efa", "FI_EFA_USE_DEVICE_RDMA": "1", "FI_EFA_FORK_SAFE": "1"},
    "efa_apt_cache_valid_time": 172800,
}


@pytest.fixture(scope="module")
def first_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok(ROLE, CONVERGE, label=f"{ROLE} (converge)")


def test_converge_is_idempotent(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert first_run.changed > 0
    chroot.assert_idempotent(ROLE, CONVERGE)


def test_no_device_means_no_installer(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert first_run.task("Report EFA devices").msg.startswith("skipped: no hardware (no EFA device")
    assert first_run.task("Report the EFA installer not run").msg.startswith("skipped: no hardware")
    assert first_run.task("Download the EFA installer").skipped
    assert not chroot.exists("/etc/aiinfra/efa-installer-version")
    assert not chroot.exists("/var/cache/aiinfra/efa")


def test_memlock_and_hugepages(chroot: Chroot, first_run: ConvergeResult) -> None:
    limits = chroot.read_file("/etc/security/limits.d/91-aiinfra-efa.conf")
    assert "*    hard    memlock    unlimited" in limits
    assert "vm.nr_hugepages = 5128" in chroot.read_file("/etc/sysctl.d/91-aiinfra-efa.conf")


def test_profile_in_a_real_shell(chroot: Chroot, first_run: ConvergeResult) -> None:
    out = chroot.chroot_run(
        "/bin/sh",
        "-c",
        "PATH=/usr/bin:/bin; . /etc/profile.d/aiinfra-efa.sh; . /etc/profile.d/aiinfra-efa.sh; env",
    ).stdout.splitlines()
    assert "FI_PROVIDER=efa" in out
    assert "FI_EFA_FORK_SAFE=1" in out
    assert "PATH=/usr/bin:/bin:/opt/amazon/efa/bin" in out
    assert "LD_LIBRARY_PATH=/opt/amazon/ofi-nccl/lib:/opt/amazon/efa/lib" in out


def test_installer_in_check_mode(chroot: Chroot, first_run: ConvergeResult) -> None:
    result = chroot.converge_ok(
        ROLE,
        {**CONVERGE, "efa_install": "always", "efa_installer_extra_args": ["--minimal"]},
        check=True,
        diff=True,
        label=f"{ROLE} (--check, installer)",
    )
    assert result.task("Report the EFA installer step").msg == (
        "would run: efa_installer.sh -y --skip-kmod --no-verify --minimal from "
        "https://efa-installer.amazonaws.com/aws-efa-installer-1.41.0.tar.gz"
    )
    download = result.task("Download the EFA installer")
    assert not download.skipped
    assert download.raw["invocation"]["module_args"]["checksum"] == (
        "sha256:3506354cdfbe31ff552fe75f5d0d9bb7efd29cf79bd99457347d29c751c38f9f"
    )
    assert result.task("Run the EFA installer").skipped
    assert not chroot.exists("/etc/aiinfra/efa-installer-version")


def test_preinstalled_efa_is_verified_not_installed(chroot: Chroot, first_run: ConvergeResult) -> None:
    preinstalled = {**CONVERGE, "efa_preinstalled": True}
    record = chroot.path("/opt/amazon/efa_installed_packages")
    record.parent.mkdir(parents=True, exist_ok=True)
    # The file the EFA installer writes (efa_installer.sh write_package_file).
    record.write_text(
        "# EFA installer version: 1.50.0\n# Debug packages installed: no\n# Packages installed:\n"
    )
    good = chroot.converge_ok(ROLE, preinstalled, check=True)
    assert (
        good.task("Report the image's EFA software").msg
        == "preinstalled EFA installer 1.50.0 (at least 1.41.0)"
    )
    assert good.task("Download the EFA installer").skipped
    record.write_text("# EFA installer version: 1.30.0\n")
    old = chroot.converge(ROLE, preinstalled, check=True)
    (failure,) = old.failures()
    assert "the image must carry the EFA installer 1.41.0 or newer, but found EFA installer 1.30.0" in failure
    record.unlink()
