"""storage_client: real converge into a bookworm chroot; fstab entries only, nothing is mounted."""

from __future__ import annotations

from typing import Any

import pytest
from harness import Chroot, ConvergeResult

ROLE = "storage_client"
VARS: dict[str, Any] = {
    "storage_client_nfs_mounts": [
        {"name": "home", "server": "nfs.example.internal", "export": "/export/home", "path": "/shared/home"},
        {
            "name": "datasets",
            "server": "10.0.0.5",
            "export": "/datasets",
            "path": "/datasets",
            "options": "nfsvers=3,ro,_netdev",
        },
    ],
    "storage_client_lustre_mounts": [
        {
            "name": "scratch",
            "dns_name": "fs-0123456789abcdef0.fsx.us-east-1.amazonaws.com",
            "mount_name": "abcdefgh",
            "path": "/fsx",
            "efa": True,
        }
    ],
    "storage_client_local_nvme": [
        {"name": "scratch", "path": "/scratch", "devices": ["/dev/nvme1n1", "/dev/nvme2n1"]}
    ],
}


@pytest.fixture(scope="module")
def first_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok(ROLE, VARS)


def _fstab(chroot: Chroot) -> list[list[str]]:
    return [
        line.split()
        for line in chroot.read_file("/etc/fstab").splitlines()
        if line and not line.startswith("#")
    ]


def test_packages(chroot: Chroot, first_run: ConvergeResult) -> None:
    for package in ("nfs-common", "mdadm", "xfsprogs"):
        assert chroot.installed(package), package
    assert chroot.exists("/sbin/mount.nfs")


def test_nfs_fstab_entries(chroot: Chroot, first_run: ConvergeResult) -> None:
    fstab = _fstab(chroot)
    assert [
        "nfs.example.internal:/export/home",
        "/shared/home",
        "nfs4",
        "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev",
        "0",
        "0",
    ] in fstab
    assert ["10.0.0.5:/datasets", "/datasets", "nfs4", "nfsvers=3,ro,_netdev", "0", "0"] in fstab
    assert chroot.path("/shared/home").is_dir()


def test_lustre_fstab_entry_and_tuning(chroot: Chroot, first_run: ConvergeResult) -> None:
    fstab = _fstab(chroot)
    assert [
        "fs-0123456789abcdef0.fsx.us-east-1.amazonaws.com@tcp:/abcdefgh",
        "/fsx",
        "lustre",
        "defaults,relatime,flock,_netdev,x-systemd.automount,x-systemd.requires=network.service",
        "0",
        "0",
    ] in fstab
    assert "options ptlrpc ptlrpcd_per_cpt_max=32" in chroot.read_file("/etc/modprobe.d/aiinfra-lustre.conf")
    report = first_run.task("Report the Lustre client installation").msg
    assert report.startswith("skipped: no Lustre client packages for Debian")
    assert first_run.task("Fetch the FSx repository key").skipped


def test_efa_lustre_gets_lnet_over_efa_at_boot(chroot: Chroot, first_run: ConvergeResult) -> None:
    script = chroot.read_file("/usr/local/sbin/aiinfra-fsx-efa-lnet")
    for step in (
        "modprobe kefalnd ipif_name=",
        "lnetctl net add --net efa",
        "peer_credits=32\n",
        "lnetctl set discovery 1",
        "lnetctl udsp add --src efa --priority 0",
    ):
        assert step in script, step
    assert script.index("lnetctl udsp add") < script.index("modprobe lustre")
    unit = chroot.read_file("/etc/systemd/system/aiinfra-fsx-efa-lnet.service")
    assert "Before=remote-fs-pre.target" in unit and "Type=oneshot" in unit
    link = chroot.path("/etc/systemd/system/remote-fs-pre.target.wants/aiinfra-fsx-efa-lnet.service")
    assert link.is_symlink()


def test_nothing_mounted(chroot: Chroot, first_run: ConvergeResult) -> None:
    with open("/proc/self/mounts") as mounts:
        assert not [line for line in mounts if str(chroot.root) in line.split()[1]]


def test_nvme_skipped_without_devices(chroot: Chroot, first_run: ConvergeResult) -> None:
    report = first_run.task("Report array scratch").msg
    assert report == "skipped: no hardware (missing block devices: /dev/nvme1n1, /dev/nvme2n1)"
    assert first_run.task("Create the md array").skipped
    assert not any(entry[1] == "/scratch" for entry in _fstab(chroot))


def test_idempotent(chroot: Chroot, first_run: ConvergeResult) -> None:
    chroot.assert_idempotent(ROLE, VARS)


def test_missing_required_field_rejected(chroot: Chroot, first_run: ConvergeResult) -> None:
    result = chroot.converge(
        ROLE, {"storage_client_nfs_mounts": [{"name": "x", "server": "s", "path": "/x"}]}
    )
    assert result.rc != 0
    assert any("export" in failure for failure in result.failures())
