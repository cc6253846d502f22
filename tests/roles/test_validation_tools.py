"""validation_tools: real converge into a bookworm chroot (no CUDA there: the GPU builds skip)."""

from __future__ import annotations

from typing import Any

import pytest
from harness import Chroot, ConvergeResult

ROLE = "validation_tools"
VARS: dict[str, Any] = {"validation_tools_install_dir": "/opt/validation"}


@pytest.fixture(scope="module")
def first_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok(ROLE, VARS)


def test_distribution_tools(chroot: Chroot, first_run: ConvergeResult) -> None:
    for package in ("perftest", "openmpi-bin"):
        assert chroot.installed(package), package
    version = chroot.chroot_run("mpirun", "--version")
    assert "Open MPI" in version.stdout + version.stderr
    assert not chroot.installed("libopenmpi-dev")


def test_gpu_builds_skipped_without_cuda(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert first_run.task("Build gpu-burn and nccl-tests").skipped
    msg = first_run.task("Report the GPU tool builds").msg
    assert msg.startswith("skipped: no CUDA toolkit (/usr/local/cuda/bin/nvcc)")
    assert not chroot.exists("/opt/validation/gpu-burn")


def test_launcher_reports_missing_build(chroot: Chroot, first_run: ConvergeResult) -> None:
    proc = chroot.chroot_run("/usr/local/bin/gpu_burn", "60", check=False)
    assert proc.returncode == 127
    assert "gpu_burn is not built on this node" in proc.stderr


def test_node_inventory_script(chroot: Chroot, first_run: ConvergeResult) -> None:
    listing = dict(
        line.split("\t")
        for line in chroot.chroot_run("/usr/local/bin/aiinfra-validate-node").stdout.splitlines()
    )
    assert listing["ib_write_bw"] == "/usr/bin/ib_write_bw"
    assert listing["mpirun"] == "/usr/bin/mpirun"
    assert listing["gpu_burn"] == "missing"
    assert listing["all_reduce_perf"] == "missing"
    assert chroot.chroot_run("/usr/local/bin/aiinfra-validate-node", "--require", check=False).returncode == 1
    assert "/opt/validation/nccl-tests/build" in chroot.read_file("/etc/profile.d/aiinfra-validation.sh")


def test_idempotent(chroot: Chroot, first_run: ConvergeResult) -> None:
    chroot.assert_idempotent(ROLE, VARS)
