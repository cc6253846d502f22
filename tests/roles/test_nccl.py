"""nccl in a bookworm chroot: /etc/nccl.conf and the profile from the plan's env (real converge), the
pinned packages from the CUDA repository (check mode: the repository is not reachable here)."""

from __future__ import annotations

import pytest
from harness import Chroot, ConvergeResult

ROLE = "nccl"
EFA_ENV = {
    "FI_PROVIDER": "efa",
    "FI_EFA_USE_DEVICE_RDMA": "1",
    "NCCL_PROTO": "simple",
    "NCCL_SOCKET_IFNAME": "^lo,docker",
    "NCCL_DEBUG_SUBSYS": "INIT NET",
}
CONVERGE = {
    "nccl_env": EFA_ENV,
    "nccl_install": False,
    "nccl_plugin": "aws-ofi-nccl",
    "nccl_apt_cache_valid_time": 172800,
}
PINNED = {
    "nccl_env": {"NCCL_IB_HCA": "mlx5_0,mlx5_1", "NCCL_IB_GID_INDEX": "3"},
    "nccl_version": "2.27.7",
    "nccl_cuda_version": "12.9",
    "nccl_apt_cache_valid_time": 172800,
}


@pytest.fixture(scope="module")
def first_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok(ROLE, CONVERGE, label=f"{ROLE} (converge)")


def test_converge_is_idempotent(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert first_run.changed > 0
    chroot.assert_idempotent(ROLE, CONVERGE)


def test_nccl_conf(chroot: Chroot, first_run: ConvergeResult) -> None:
    lines = [line for line in chroot.read_file("/etc/nccl.conf").splitlines() if not line.startswith("#")]
    assert lines == [
        "FI_EFA_USE_DEVICE_RDMA=1",
        "FI_PROVIDER=efa",
        "NCCL_DEBUG_SUBSYS=INIT NET",
        "NCCL_PROTO=simple",
        "NCCL_SOCKET_IFNAME=^lo,docker",
    ]


def test_profile_exports_the_env_in_a_real_shell(chroot: Chroot, first_run: ConvergeResult) -> None:
    out = chroot.chroot_run("/bin/sh", "-c", ". /etc/profile.d/nccl.sh && env").stdout.splitlines()
    for key, value in EFA_ENV.items():
        assert f"{key}={value}" in out
    assert "LD_LIBRARY_PATH=/opt/amazon/ofi-nccl/lib" in out
    twice = chroot.chroot_run("/bin/sh", "-c", ". /etc/profile.d/nccl.sh; . /etc/profile.d/nccl.sh; env")
    assert "LD_LIBRARY_PATH=/opt/amazon/ofi-nccl/lib" in twice.stdout.splitlines()


def test_plugin_on_linker_path(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert (
        "/opt/amazon/ofi-nccl/lib"
        in chroot.read_file("/etc/ld.so.conf.d/aiinfra-nccl-plugin.conf").splitlines()
    )
    msg = first_run.task("Report the NCCL net plugin").msg
    assert (
        msg
        == "skipped: aws-ofi-nccl not installed yet under /opt/amazon/ofi-nccl/lib (the efa role installs it)"
    )


def test_check_mode_pins_and_names_packages(chroot: Chroot, first_run: ConvergeResult) -> None:
    result = chroot.converge_ok(ROLE, PINNED, check=True, diff=True, label=f"{ROLE} (--check --diff)")
    diff = result.diff_text()
    assert "Package: libnccl2 libnccl-dev\nPin: version 2.27.7-1+cuda12.9\nPin-Priority: 1001" in diff
    assert "NCCL_IB_HCA=mlx5_0,mlx5_1" in diff
    assert result.task("Report the NCCL packages").msg.endswith(
        "would install: libnccl2=2.27.7-1+cuda12.9 libnccl-dev=2.27.7-1+cuda12.9"
    )
    assert result.task("Install NCCL").skipped
    assert not chroot.exists("/etc/apt/preferences.d/nccl")


def test_install_without_cuda_repository_fails_clearly(chroot: Chroot, first_run: ConvergeResult) -> None:
    result = chroot.converge(ROLE, PINNED, label=f"{ROLE} (no CUDA repo)")
    assert result.failed == 1
    (failure,) = result.failures()
    assert "libnccl2 is not in the apt index: configure the NVIDIA CUDA repository first" in failure


def test_bad_env_name_is_rejected(chroot: Chroot, first_run: ConvergeResult) -> None:
    result = chroot.converge(
        ROLE, {"nccl_env": {"NCCL IB HCA": "mlx5_0"}, "nccl_install": False}, label=f"{ROLE} (bad env)"
    )
    assert result.failed == 1
    assert "bad names: ['NCCL IB HCA']" in result.failures()[0]


def test_preinstalled_nccl_is_verified_not_installed(chroot: Chroot, first_run: ConvergeResult) -> None:
    preinstalled = {**CONVERGE, "nccl_preinstalled": True, "nccl_hardware_mode": "sandbox"}
    missing = chroot.converge_ok(ROLE, {**preinstalled, "nccl_version": "2.27.7"}, check=True)
    assert missing.task("Report the image's NCCL").msg.startswith(
        "skipped: sandbox mode: preinstalled NCCL not verified (no libnccl.so.2.* in "
        "/usr/lib/x86_64-linux-gnu"
    )
    # What a Deep Learning AMI or a libnccl2 deb leaves behind: the versioned library file.
    library = chroot.path("/usr/local/cuda/lib/libnccl.so.2.27.7")
    library.parent.mkdir(parents=True, exist_ok=True)
    library.write_bytes(b"")
    good = chroot.converge_ok(ROLE, {**preinstalled, "nccl_version": "2.27.7"}, check=True)
    assert good.task("Report the image's NCCL").msg == "preinstalled NCCL 2.27.7 matches 2.27.7"
    assert good.task("Install NCCL").skipped
    bad = chroot.converge(
        ROLE, {**preinstalled, "nccl_version": "2.28.3", "nccl_hardware_mode": "live"}, check=True
    )
    (failure,) = bad.failures()
    assert "the image must carry NCCL 2.28.3, but found NCCL 2.27.7" in failure
