"""slurm: real converge of a controller, then a compute node, into one bookworm chroot."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from harness import Chroot, ConvergeResult

ROLE = "slurm"
NODES = "gpu-[001-016]"
COMMON: dict[str, Any] = {
    "slurm_cluster_name": "llm-onprem",
    "slurm_controller_hosts": ["head-0"],
    "slurm_nodes": [
        {
            "name": NODES,
            "cpus": 224,
            "sockets": 2,
            "cores_per_socket": 56,
            "threads_per_core": 2,
            "real_memory": 1900000,
            "gpus": 8,
            "gpu_type": "h100",
            "features": ["h100", "ib"],
        }
    ],
    "slurm_partitions": [{"name": "train", "nodes": NODES, "default": True}],
    "slurm_topology": "tree",
    "slurm_topology_switches": [
        {"name": "leaf0", "nodes": "gpu-[001-008]"},
        {"name": "leaf1", "nodes": "gpu-[009-016]"},
        {"name": "spine", "switches": "leaf[0-1]"},
    ],
}
CONTROLLER = {**COMMON, "slurm_node_role": "controller"}
MUNGE_KEY = bytes(range(256)) * 4
COMPUTE = {
    **COMMON,
    "slurm_node_role": "compute",
    "slurm_munge_key": base64.b64encode(MUNGE_KEY).decode(),
    "slurm_gpu_type": "h100",
    "slurm_gres_gpus": [
        {"file": f"/dev/nvidia{i}", "cores": "0-55" if i < 4 else "56-111"} for i in range(8)
    ],
}


def test_check_mode_on_a_fresh_host(chroot: Chroot) -> None:
    """`aiinfra diff` on a node without Slurm: previews the changes, changes nothing, fails nothing."""
    result = chroot.converge_ok(ROLE, COMPUTE, check=True)
    assert result.changed > 0
    assert (
        "check mode: Slurm and munge are not installed yet"
        in result.task("Report what check mode cannot preview").msg
    )
    assert not chroot.installed("slurmd")
    assert not chroot.exists("/etc/slurm/slurm.conf")


@pytest.fixture(scope="module")
def controller_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok(ROLE, CONTROLLER, label="slurm controller")


def test_controller_packages_and_services(chroot: Chroot, controller_run: ConvergeResult) -> None:
    for package in ("slurmctld", "slurm-client", "munge"):
        assert chroot.installed(package), package
    for unit in ("slurmctld", "munge"):
        assert chroot.chroot_run("systemctl", "is-enabled", unit, check=False).stdout.strip() == "enabled"
    assert "skipped: not started" in controller_run.task("Report the daemon state").msg
    assert controller_run.task("Start the Slurm daemon").skipped


def test_munge_key_generated_private(chroot: Chroot, controller_run: ConvergeResult) -> None:
    key = chroot.path("/etc/munge/munge.key")
    assert key.stat().st_mode & 0o777 == 0o400
    assert key.stat().st_size >= 32
    owner = chroot.chroot_run("stat", "-c", "%U", "/etc/munge/munge.key").stdout.strip()
    assert owner == "munge"


def test_slurm_conf(chroot: Chroot, controller_run: ConvergeResult) -> None:
    conf = chroot.read_file("/etc/slurm/slurm.conf").splitlines()
    for line in (
        "ClusterName=llm-onprem",
        "SlurmctldHost=head-0",
        "SelectType=select/cons_tres",
        "GresTypes=gpu",
        "ProctrackType=proctrack/cgroup",
        "TaskPlugin=task/cgroup,task/affinity",
        "TopologyPlugin=topology/tree",
        "MpiDefault=pmix",
        f"NodeName={NODES} CPUs=224 Boards=1 SocketsPerBoard=2 CoresPerSocket=56 ThreadsPerCore=2"
        " RealMemory=1900000 Gres=gpu:h100:8 Feature=h100,ib State=UNKNOWN",
        f"PartitionName=train Nodes={NODES} Default=YES MaxTime=INFINITE State=UP",
    ):
        assert line in conf, line


def test_cgroup_and_topology(chroot: Chroot, controller_run: ConvergeResult) -> None:
    cgroup = chroot.read_file("/etc/slurm/cgroup.conf").splitlines()
    for line in ("ConstrainCores=yes", "ConstrainDevices=yes", "ConstrainRAMSpace=yes"):
        assert line in cgroup
    topology = chroot.read_file("/etc/slurm/topology.conf").splitlines()
    assert "SwitchName=leaf0 Nodes=gpu-[001-008]" in topology
    assert "SwitchName=spine Switches=leaf[0-1]" in topology


def test_slurmctld_parses_the_generated_config(chroot: Chroot, controller_run: ConvergeResult) -> None:
    """slurmctld reads slurm.conf, then stops because this host is not head-0: a real parse check."""
    chroot.mount_proc()
    proc = chroot.chroot_run("timeout", "30", "slurmctld", "-D", check=False)
    output = proc.stdout + proc.stderr
    assert "Parsing error" not in output and "fatal" not in output, output
    assert "not a valid controller" in output, output


def test_controller_idempotent(chroot: Chroot, controller_run: ConvergeResult) -> None:
    chroot.assert_idempotent(ROLE, CONTROLLER)


@pytest.fixture(scope="module")
def compute_run(chroot: Chroot, controller_run: ConvergeResult) -> ConvergeResult:
    return chroot.converge_ok(ROLE, COMPUTE, label="slurm compute")


def test_compute_node(chroot: Chroot, compute_run: ConvergeResult) -> None:
    assert chroot.installed("slurmd")
    assert chroot.chroot_run("systemctl", "is-enabled", "slurmd", check=False).stdout.strip() == "enabled"
    assert chroot.path("/etc/munge/munge.key").read_bytes() == MUNGE_KEY
    assert chroot.path("/etc/munge/munge.key").stat().st_mode & 0o777 == 0o400


def test_gres_conf(chroot: Chroot, compute_run: ConvergeResult) -> None:
    gres = chroot.read_file("/etc/slurm/gres.conf").splitlines()
    assert "AutoDetect=off" in gres
    assert "Name=gpu Type=h100 File=/dev/nvidia0 Cores=0-55" in gres
    assert "Name=gpu Type=h100 File=/dev/nvidia7 Cores=56-111" in gres
    assert len([line for line in gres if line.startswith("Name=gpu")]) == 8


def test_munge_key_not_logged(compute_run: ConvergeResult) -> None:
    task = compute_run.task("Install the munge key from the plan")
    assert COMPUTE["slurm_munge_key"] not in str(task.raw)


def test_compute_idempotent(chroot: Chroot, compute_run: ConvergeResult) -> None:
    chroot.assert_idempotent(ROLE, COMPUTE)


def test_compute_copies_the_controller_key(chroot: Chroot, compute_run: ConvergeResult) -> None:
    """Without a key in the plan a compute node reads the controller's (here: the chroot itself)."""
    result = chroot.converge_ok(
        ROLE,
        {**COMPUTE, "slurm_munge_key": "", "slurm_controller_hosts": [str(chroot.root)]},
        label="slurm compute (key from controller)",
    )
    assert not result.task("Read the munge key from the controller").skipped
    assert not result.task("Install the controller's munge key").changed
    assert chroot.path("/etc/munge/munge.key").read_bytes() == MUNGE_KEY


def test_tree_topology_without_switches_rejected(chroot: Chroot, compute_run: ConvergeResult) -> None:
    result = chroot.converge(ROLE, {**COMPUTE, "slurm_topology_switches": []})
    assert result.rc != 0
    assert any("slurm_topology_switches" in failure for failure in result.failures())
