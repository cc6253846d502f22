"""Hardware guards: where the plan expects a device and the node lacks it, the converge fails naming it.

The chroot has no GPU and no RDMA device, which is exactly a node whose hardware is missing. Only the
explicit sandbox / image-build hardware mode skips the check, and the run says so.
"""

from __future__ import annotations

import pytest
from harness import Chroot

pytestmark = [pytest.mark.slow, pytest.mark.roles]


def test_missing_gpus_fail_the_driver_converge(chroot: Chroot) -> None:
    result = chroot.converge("nvidia_driver", {"nvidia_driver_expected_gpus": 8, "nvidia_driver_dcgm": False})
    assert result.rc != 0 and result.failed
    failure = result.task("Fail when the GPUs the plan expects are missing")
    assert failure.failed and "8 NVIDIA GPU(s)" in failure.msg and "0 are on the PCI bus" in failure.msg
    assert not chroot.installed("nvidia-driver-cuda")


def test_sandbox_mode_reports_the_skipped_gpu_check(chroot: Chroot) -> None:
    variables = {
        "nvidia_driver_expected_gpus": 8,
        "nvidia_driver_hardware_mode": "sandbox",
        "nvidia_driver_dcgm": False,
    }
    result = chroot.converge_ok("nvidia_driver", variables, check=True)
    assert (
        "sandbox mode: GPU presence not checked (8 expected, 0 visible)"
        in result.task("Report the skipped GPU check").msg
    )


def test_missing_hcas_fail_the_rdma_converge_naming_them(chroot: Chroot) -> None:
    result = chroot.converge("rdma_infiniband", {"rdma_infiniband_expected_devices": ["mlx5_0", "mlx5_3"]})
    assert result.rc != 0
    failure = result.task("Fail when RDMA devices the plan expects are missing")
    assert failure.failed and "mlx5_0, mlx5_3" in failure.msg
    assert not chroot.installed("rdma-core")


def test_missing_efa_devices_fail_the_efa_converge_naming_them(chroot: Chroot) -> None:
    result = chroot.converge("efa", {"efa_expected_devices": ["efa0", "efa1", "efa2", "efa3"]})
    assert result.rc != 0
    failure = result.task("Fail when the EFA devices the plan expects are missing")
    assert failure.failed and "4 EFA device(s) (efa0, efa1, efa2, efa3)" in failure.msg
    assert "0 are on the PCI bus" in failure.msg


def test_sandbox_mode_reports_the_skipped_efa_check(chroot: Chroot) -> None:
    variables = {"efa_expected_devices": ["efa0"], "efa_hardware_mode": "image-build", "efa_install": "never"}
    result = chroot.converge_ok("efa", variables, check=True)
    assert (
        "image-build mode: EFA devices not checked (1 expected: efa0)"
        in result.task("Report the skipped EFA device check").msg
    )


def test_missing_bluefield_fails_the_dpu_converge_naming_it(chroot: Chroot) -> None:
    variables = {"bluefield_dpu_expected": True, "bluefield_dpu_model": "bluefield-3"}
    result = chroot.converge("bluefield_dpu", variables)
    assert result.rc != 0
    failure = result.task("Fail when the BlueField the plan expects is missing")
    assert failure.failed and "puts a bluefield-3 DPU on this node" in failure.msg
    assert "this is a chroot or container" in failure.msg
    assert not chroot.installed("mstflint")


def test_image_build_mode_reports_the_skipped_bluefield_check(chroot: Chroot) -> None:
    variables = {
        "bluefield_dpu_expected": True,
        "bluefield_dpu_hardware_mode": "image-build",
        "bluefield_dpu_install": "never",
    }
    result = chroot.converge_ok("bluefield_dpu", variables, check=True)
    assert (
        "image-build mode: BlueField presence not checked (bluefield-3 expected, 0 visible)"
        in result.task("Report the skipped BlueField check").msg
    )


def test_roce_rails_in_a_chroot_fail_the_live_converge_naming_them(chroot: Chroot) -> None:
    result = chroot.converge("roce", {"roce_devices": ["mlx5_0", "mlx5_1"]})
    assert result.rc != 0
    failure = result.task("Fail when the RoCE ports the plan expects cannot be there")
    assert failure.failed and "puts RoCE ports (mlx5_0, mlx5_1) on this node" in failure.msg
    assert not chroot.exists("/etc/aiinfra/roce.env")
