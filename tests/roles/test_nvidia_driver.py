"""nvidia_driver in a bookworm chroot: GPU Operator hand-off, real converge of the host configuration,
and a check-mode --diff run for the CUDA repository parts (the repository is not reachable here)."""

from __future__ import annotations

import pytest
from harness import Chroot, ConvergeResult

ROLE = "nvidia_driver"
CONFIG_ONLY = {
    "nvidia_driver_install": False,
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


@pytest.fixture(scope="module")
def check_run(chroot: Chroot, config_run: ConvergeResult) -> ConvergeResult:
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
    assert config_run.task("Report nvidia-peermem").msg.startswith("skipped: no hardware")
    assert config_run.task("Load nvidia-peermem now").skipped


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
    assert packages[:6] == [
        "nvidia-driver-cuda",
        "nvidia-kernel-dkms",
        "nvidia-persistenced",
        "nvidia-fabricmanager",
        "libnvidia-nscq",
        "datacenter-gpu-manager-4-cuda12",
    ]
    assert packages[-1].startswith("linux-headers-")
    assert check_run.task("Install the driver packages").skipped


def test_config_only_names_what_the_image_must_carry(config_run: ConvergeResult) -> None:
    msg = config_run.task("Report driver packages left to the image").msg
    assert msg.startswith("skipped: nvidia_driver_install is false; the image must carry ")
    packages = msg.split("must carry ")[1].split()
    assert packages[:5] == [
        "nvidia-open",
        "nvidia-persistenced",
        "nvidia-fabricmanager",
        "libnvidia-nscq",
        "datacenter-gpu-manager-4-cuda12",
    ]
