"""The OS matrix: every distribution-packaged role converged into one node per OS image.

One representative node per OS (rather than every role x OS) keeps the matrix inside CI's time: the
roles whose packages come from the distribution (rdma_infiniband with opensm as the fabric's subnet
manager, slurm controller, observability, host_tuning) converge for real, re-converge with changed=0
and pass check mode; nvidia_driver (CUDA repository of that release, unreachable here) runs in check
mode only. Each OS is its own test module so xdist (--dist loadfile) runs them on different workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import Chroot, HarnessError, image_tarball, missing_prerequisites

ROLES = ["host_tuning", "rdma_infiniband", "slurm", "observability"]
VARIABLES: dict[str, Any] = {
    "rdma_infiniband_subnet_manager": "host",
    "slurm_cluster_name": "matrix",
    "slurm_node_role": "controller",
    "slurm_controller_hosts": ["head-0"],
    "slurm_nodes": [
        {
            "name": "gpu-[0-1]",
            "sockets": 2,
            "cores_per_socket": 48,
            "threads_per_core": 2,
            "real_memory": 1992294,
            "gpus": 8,
            "gpu_type": "h100",
        }
    ],
    "slurm_partitions": [{"name": "gpu", "nodes": "gpu-[0-1]", "default": True}],
    "observability_cluster": "matrix",
    "observability_pool": "gpu",
}
PACKAGES = (
    "rdma-core",
    "ibverbs-utils",
    "perftest",
    "opensm",
    "slurmctld",
    "munge",
    "prometheus-node-exporter",
)


def node(image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chroot]:
    reason = missing_prerequisites()
    if reason is not None:
        pytest.skip(reason)
    try:
        tarball = image_tarball(image)
    except HarnessError as exc:
        pytest.fail(f"could not build the {image} image: {exc}", pytrace=False)
    box = Chroot.create(tmp_path_factory.mktemp(f"os-{image}"), tarball)
    try:
        yield box
    finally:
        box.close()


def converge_matrix(box: Chroot, image: str) -> dict[str, Any]:
    """Converge, re-converge and check-mode the representative node; figures for the report."""
    first = box.converge_ok(ROLES, VARIABLES, label=f"{image} converge")
    missing = [p for p in PACKAGES if not box.installed(p)]
    assert not missing, f"{image}: not installed after the converge: {missing}"
    again = box.assert_idempotent(ROLES, VARIABLES)
    check = box.converge_ok(ROLES, VARIABLES, check=True, label=f"{image} --check")
    assert check.changed == 0, (
        f"{image}: check mode after a converge reports changes: {check.changed_tasks()}"
    )
    driver = box.converge_ok(
        "nvidia_driver", {"nvidia_driver_dcgm": False}, check=True, label=f"{image} driver --check"
    )
    return {"converge": first, "rerun": again, "check": check, "driver": driver}


def mentions(result: Any, text: str) -> bool:
    """Whether any task result of the run mentions ``text`` (a repository folder, a package)."""
    return any(text in str(t.raw) for t in result.tasks)


__all__ = ["PACKAGES", "ROLES", "VARIABLES", "Path", "converge_matrix", "mentions", "node"]
