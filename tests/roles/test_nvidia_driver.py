"""nvidia_driver in a bookworm chroot: GPU Operator hand-off, real converge of the host configuration,
a check-mode --diff run for the CUDA repository parts (the repository is not reachable here) with a
stand-in driver package installed (Fabric Manager at its exact version, holds), and the preinstalled-image
check (``nvidia_driver_install: false``) against a stand-in /proc/driver/nvidia/version."""

from __future__ import annotations

import pytest
from harness import Chroot, ConvergeResult

ROLE = "nvidia_driver"
CONFIG_ONLY = {
    "nvidia_driver_install": False,
    "nvidia_driver_gpudirect": "peermem",
    "nvidia_driver_hardware_mode": "sandbox",
    "nvidia_driver_compute_only": False,
    "nvidia_driver_fabricmanager": True,
    "nvidia_driver_apt_cache_valid_time": 172800,
}
REPO_CHECK = {
    "nvidia_driver_branch": "570",
    "nvidia_driver_open": False,
    "nvidia_driver_fabricmanager": True,
    "nvidia_driver_dcgm_cuda_major": "12",
    "nvidia_driver_apt_cache_valid_time": 172800,
}


@pytest.fixture(scope="module")
def operator_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok(
        ROLE, {"nvidia_driver_managed_by": "gpu-operator"}, label=f"{ROLE} (gpu-operator)"
    )


@pytest.fixture(scope="module")
def config_run(chroot: Chroot, operator_run: ConvergeResult) -> ConvergeResult:
    return chroot.converge_ok(ROLE, CONFIG_ONLY, label=f"{ROLE} (converge, no packages)")


STAND_IN_DRIVER = "570.195.03-1"
"""Version of the stand-in nvidia-driver-cuda package the check-mode run finds installed."""


def install_stand_in_driver(chroot: Chroot, version: str) -> None:
    """An empty ``nvidia-driver-cuda`` package at ``version``, built and installed with dpkg in the chroot."""
    build = chroot.path("/tmp/stand-in/DEBIAN")
    build.mkdir(parents=True, exist_ok=True)
    (build / "control").write_text(
        f"Package: nvidia-driver-cuda\nVersion: {version}\nArchitecture: all\n"
        "Maintainer: aiinfra-iac tests <tests@example.invalid>\nDescription: stand-in for the driver\n"
    )
    chroot.chroot_run("dpkg-deb", "--build", "/tmp/stand-in", "/tmp/stand-in.deb")
    chroot.chroot_run("dpkg", "-i", "/tmp/stand-in.deb")


@pytest.fixture(scope="module")
def check_run(chroot: Chroot, config_run: ConvergeResult) -> ConvergeResult:
    install_stand_in_driver(chroot, STAND_IN_DRIVER)
    return chroot.converge_ok(ROLE, REPO_CHECK, check=True, diff=True, label=f"{ROLE} (--check --diff)")


def test_gpu_operator_changes_nothing(operator_run: ConvergeResult) -> None:
    assert operator_run.changed == 0
    assert "GPU Operator" in operator_run.task("Leave the driver to the GPU Operator").msg
    ran = [t.name.split(" : ")[-1] for t in operator_run.tasks if not t.skipped and " : " in t.name]
    ran = [name for name in ran if not name.startswith("Validating arguments")]
    assert ran == ["Leave the driver to the GPU Operator"]


def test_config_converge_is_idempotent(chroot: Chroot, config_run: ConvergeResult) -> None:
    assert config_run.changed > 0
    chroot.assert_idempotent(ROLE, CONFIG_ONLY)


def test_kernel_module_config(chroot: Chroot, config_run: ConvergeResult) -> None:
    assert chroot.read_file("/etc/modules-load.d/nvidia-peermem.conf").splitlines()[-1] == "nvidia-peermem"
    blacklist = chroot.read_file("/etc/modprobe.d/aiinfra-blacklist-nouveau.conf")
    assert "blacklist nouveau" in blacklist
    assert config_run.task("Report the GPUDirect RDMA path").msg.startswith("skipped: no hardware")
    assert config_run.task("Load the nvidia_peermem module").skipped


def test_dmabuf_drops_peermem_and_proprietary_modules_fail(
    chroot: Chroot, config_run: ConvergeResult
) -> None:
    dmabuf = {**CONFIG_ONLY, "nvidia_driver_gpudirect": "dmabuf"}
    run = chroot.converge_ok(ROLE, dmabuf, label=f"{ROLE} (dmabuf)")
    assert not chroot.exists("/etc/modules-load.d/nvidia-peermem.conf")
    assert run.task("Report the GPUDirect RDMA path").msg.startswith(
        "GPUDirect RDMA: DMA-BUF (open kernel modules"
    )
    wrong = chroot.converge(
        ROLE, {**dmabuf, "nvidia_driver_open": False}, check=True, label=f"{ROLE} (dmabuf, proprietary)"
    )
    assert wrong.failed == 1
    (failure,) = wrong.failures()
    assert "DMA-BUF, which needs the open GPU kernel modules" in failure


def test_initramfs_update_recorded_pending_for_a_live_converge(
    chroot: Chroot, config_run: ConvergeResult
) -> None:
    # a chroot has no running kernel of its own: update-initramfs is left to the next live converge
    assert config_run.task("Update the initramfs for nvidia_driver").skipped
    marker = chroot.read_file("/var/lib/aiinfra/pending/update-initramfs")
    assert marker.startswith("nvidia_driver: nouveau blacklist in /etc/modprobe.d/")


def test_persistence_mode_drop_in(chroot: Chroot, config_run: ConvergeResult) -> None:
    drop_in = chroot.read_file("/etc/systemd/system/nvidia-persistenced.service.d/aiinfra.conf")
    assert "ExecStart=/usr/bin/nvidia-persistenced --persistence-mode --verbose" in drop_in


def test_services_not_installed_are_reported(config_run: ConvergeResult) -> None:
    report = config_run.task("Report driver services not run")
    messages = [item["msg"] for item in report.raw["results"]]
    assert messages == [
        "skipped: nvidia-persistenced not installed",
        "skipped: nvidia-fabricmanager not installed",
        "skipped: nvidia-dcgm not installed",
    ]
    assert config_run.task("Install the driver packages").skipped


def test_no_repository_without_install(chroot: Chroot, config_run: ConvergeResult) -> None:
    assert not chroot.exists("/etc/apt/sources.list.d/nvidia-cuda.sources")


def test_check_mode_shows_repository_and_pins(chroot: Chroot, check_run: ConvergeResult) -> None:
    diff = check_run.diff_text()
    assert "URIs: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/" in diff
    assert "Suites: /" in diff
    assert "Signed-By: /etc/apt/keyrings/nvidia-cuda-archive-keyring.asc" in diff
    assert "Pin: origin developer.download.nvidia.com" in diff
    assert "Pin: version 570.*\nPin-Priority: 1000" in diff
    # check mode writes nothing
    assert not chroot.exists("/etc/apt/sources.list.d/nvidia-cuda.sources")
    assert not chroot.exists("/etc/apt/preferences.d/nvidia-driver-branch")


def test_check_mode_names_the_packages(check_run: ConvergeResult) -> None:
    msg = check_run.task("Report packages that would be installed").msg
    assert msg.startswith("skipped: CUDA repository not in the apt index yet (check mode); would install: ")
    packages = msg.split("would install: ")[1].split()
    assert packages[:4] == [
        "nvidia-driver-cuda",
        "nvidia-kernel-dkms",
        "nvidia-persistenced",
        "datacenter-gpu-manager-4-cuda12",
    ]
    assert packages[-1].startswith("linux-headers-")
    assert check_run.task("Install the driver packages").skipped


def test_fabric_manager_at_the_installed_driver_version_and_held(check_run: ConvergeResult) -> None:
    msg = check_run.task("Report Fabric Manager at the driver's exact version").msg
    assert msg == (
        f"Fabric Manager at the driver version {STAND_IN_DRIVER}: "
        f"nvidia-fabricmanager={STAND_IN_DRIVER} libnvidia-nscq={STAND_IN_DRIVER}"
    )
    # Only the stand-in is installed: it would be held now, the rest once apt has installed them.
    hold = check_run.task("Hold the driver and Fabric Manager packages")
    assert [item["item"] for item in hold.raw["results"] if item.get("changed")] == ["nvidia-driver-cuda"]
    assert check_run.task("Report packages held once installed").msg == (
        "skipped: not installed yet (check mode); held once installed: "
        "nvidia-kernel-dkms nvidia-persistenced nvidia-fabricmanager libnvidia-nscq"
    )


def test_installed_driver_off_the_plans_version_fails(chroot: Chroot, check_run: ConvergeResult) -> None:
    run = chroot.converge(ROLE, {**REPO_CHECK, "nvidia_driver_version": "570.200.01"}, check=True, diff=True)
    assert run.failed == 1
    ours = "Fail when the installed driver is not the plan's version"
    (failure,) = [f for f in run.failures() if ours in f]
    assert f"nvidia-driver-cuda {STAND_IN_DRIVER} is installed but the plan asks for 570.200.01" in failure


def test_exact_version_pins_packages(chroot: Chroot, check_run: ConvergeResult) -> None:
    run = chroot.converge(ROLE, {**REPO_CHECK, "nvidia_driver_version": "570.195.03"}, check=True, diff=True)
    assert run.failed == 0, run.failures()
    assert "Pin: version 570.195.03-*\nPin-Priority: 1000" in run.diff_text()
    packages = run.task("Report packages that would be installed").msg.split("would install: ")[1].split()
    assert packages[:3] == [
        "nvidia-driver-cuda=570.195.03*",
        "nvidia-kernel-dkms=570.195.03*",
        "nvidia-persistenced=570.195.03*",
    ]


PROC_VERSION = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  {version}  Release Build  "
    "(dvs-builder@U22-I3-AE18-09-3)  Wed Sep 17 00:00:00 UTC 2025\nGCC version:  gcc version 12.2.0\n"
)


def test_preinstalled_driver_not_verified_in_sandbox(config_run: ConvergeResult) -> None:
    msg = config_run.task("Report the preinstalled driver").msg
    assert (
        msg == "skipped: sandbox mode: preinstalled driver 580.* not verified (no loaded NVIDIA driver); "
        "nothing installed"
    )
    assert config_run.task("Install the driver packages").skipped


def test_preinstalled_driver_is_verified(chroot: Chroot, config_run: ConvergeResult) -> None:
    chroot.path("/tmp/nvidia-version").write_text(PROC_VERSION.format(version="580.95.05"))
    preinstalled = {**CONFIG_ONLY, "_nvidia_driver_proc_version_file": "/tmp/nvidia-version"}
    good = chroot.converge_ok(ROLE, {**preinstalled, "nvidia_driver_version": "580.95.05"}, check=True)
    assert (
        good.task("Report the preinstalled driver").msg == "preinstalled driver 580.95.05 matches 580.95.05"
    )
    bad = chroot.converge(ROLE, {**preinstalled, "nvidia_driver_version": "580.105.08"}, check=True)
    (failure,) = bad.failures()
    assert "the image must carry driver 580.105.08 (open kernel modules)" in failure
    assert "but found driver 580.95.05 (open kernel modules)" in failure


def test_peermem_that_does_not_load_fails_the_converge(chroot: Chroot, config_run: ConvergeResult) -> None:
    # A GPU node (forced: a chroot has none) whose kernel has no loadable nvidia_peermem, as on the inbox
    # RDMA stack: the converge fails, naming the module and the way out, instead of carrying on.
    run = chroot.converge(ROLE, {**CONFIG_ONLY, "_nvidia_driver_gpu_present": True}, check=True)
    assert run.failed == 1  # the modprobe (rescued) and the fail task that ends the play
    (failure,) = [f for f in run.failures() if "Fail when nvidia-peermem does not load" in f]
    assert "the plan chose GPUDirect RDMA through nvidia-peermem but the module did not load" in failure
    assert "set tuning.driver.gpuDirect to dmabuf" in failure
