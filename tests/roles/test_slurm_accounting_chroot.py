"""slurm role with teams, converged as the controller into a bookworm chroot: accounting storage set up.

slurmdbd and MariaDB are installed from Debian, the database password generated once (root-only) and
written into slurmdbd.conf (slurm-only), slurm.conf names the accounting storage, the daemons are not
started (no systemd in a chroot; the run says so), a second run changes nothing, and the password
appears in nothing Ansible printed.
"""

from __future__ import annotations

import stat

import pytest
from harness import Chroot, ConvergeResult

pytestmark = [pytest.mark.slow, pytest.mark.roles]

TEAMS = [
    {"name": "pretrain", "priority": 200, "fairshare": 96, "gpu_limit": 128},
    {"name": "finetune", "priority": 100, "fairshare": 32, "gpu_limit": -1},
]
VARS = {
    "slurm_cluster_name": "llm-ib",
    "slurm_node_role": "controller",
    "slurm_controller_hosts": ["aiinfra-ctl"],
    "slurm_nodes": [{"name": "gpu-[001-002]", "cpus": 8, "real_memory": 4000, "gpus": 8, "gpu_type": "h100"}],
    "slurm_partitions": [{"name": "gpu", "nodes": "gpu-[001-002]", "default": True}],
    "slurm_teams": TEAMS,
}


@pytest.fixture(scope="module")
def first_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok("slurm", VARS, label="slurm controller with teams")


def test_slurmdbd_and_mariadb_installed(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert chroot.installed("slurmdbd") and chroot.installed("mariadb-server")
    assert first_run.task("Report slurmdbd as not started (no init system)").msg.startswith(
        "skipped: no running systemd"
    )


def test_password_generated_once_and_kept_private(chroot: Chroot, first_run: ConvergeResult) -> None:
    secret = chroot.path("/etc/slurm/aiinfra-slurmdbd-db.pass")
    password = secret.read_text().strip()
    assert len(password) == 32 and password.isalnum()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and secret.stat().st_uid == 0
    dbd = chroot.path("/etc/slurm/slurmdbd.conf")
    assert f"\nStoragePass={password}\n" in dbd.read_text()
    assert stat.S_IMODE(dbd.stat().st_mode) == 0o600
    slurm_uid = int(chroot.chroot_run("id", "-u", "slurm").stdout)
    assert dbd.stat().st_uid == slurm_uid
    # nothing Ansible reported carries it
    printed = first_run.stderr + "".join(str(t.raw) + t.msg for t in first_run.tasks)
    assert password not in printed


def test_slurm_conf_points_at_slurmdbd(chroot: Chroot, first_run: ConvergeResult) -> None:
    conf = chroot.read_file("/etc/slurm/slurm.conf")
    assert "\nAccountingStorageType=accounting_storage/slurmdbd\n" in conf
    assert "\nAccountingStorageHost=aiinfra-ctl\n" in conf
    assert "\nAccountingStorageTRES=gres/gpu\n" in conf


def test_second_run_keeps_the_password_and_changes_nothing(chroot: Chroot, first_run: ConvergeResult) -> None:
    before = chroot.read_file("/etc/slurm/aiinfra-slurmdbd-db.pass")
    chroot.assert_idempotent("slurm", VARS)
    assert chroot.read_file("/etc/slurm/aiinfra-slurmdbd-db.pass") == before
