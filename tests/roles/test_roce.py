"""roce: real converge into a bookworm chroot; the QoS script runs in dry-run and no-hardware modes,
and against a stand-in sysfs tree with stand-in ip/dcb tools (no RDMA NIC in a chroot): it waits for
the fabric's devices, applies to their ports only, reads every setting back and fails naming the port
and setting that differs."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from harness import ROLES_PATH, Chroot, ConvergeResult

ROLE = "roce"
VARS: dict[str, Any] = {
    "roce_interfaces": ["ens1f0np0", "ens2f0np0"],
    "roce_pfc_priority": 5,
    "roce_dscp": 24,
    "roce_mtu": 9000,
    "roce_traffic_class": 98,
    "roce_device_wait_seconds": 1,
}


@pytest.fixture(scope="module")
def first_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok(ROLE, VARS)


def test_packages_and_dcb_tool(chroot: Chroot, first_run: ConvergeResult) -> None:
    for package in ("iproute2", "rdma-core", "ibverbs-utils"):
        assert chroot.installed(package), package
    assert "dcb utility" in chroot.chroot_run("dcb", "-V").stdout


def test_sysctls(chroot: Chroot, first_run: ConvergeResult) -> None:
    lines = set(chroot.read_file("/etc/sysctl.d/90-aiinfra-roce.conf").splitlines())
    for expected in (
        "net.ipv4.conf.all.arp_ignore = 1",
        "net.ipv4.conf.all.arp_announce = 2",
        "net.ipv4.conf.all.rp_filter = 2",
    ):
        assert expected in lines


def test_settings_file_and_unit(chroot: Chroot, first_run: ConvergeResult) -> None:
    env = chroot.read_file("/etc/aiinfra/roce.env")
    assert 'ROCE_INTERFACES="ens1f0np0 ens2f0np0"' in env
    assert "ROCE_PFC_PRIORITY=5" in env and "ROCE_DSCP=24" in env and "ROCE_MTU=9000" in env
    assert "ROCE_WAIT_SECONDS=1" in env and 'ROCE_DEVICES=""' in env
    unit = chroot.read_file("/etc/systemd/system/aiinfra-roce.service")
    assert "Type=oneshot" in unit and "ExecStart=/usr/local/sbin/aiinfra-roce-apply" in unit
    # no silent skip when /sys/class/infiniband is not there yet: the script waits, then fails
    assert "ConditionPathIsDirectory" not in unit and "TimeoutStartSec=61" in unit
    enabled = chroot.chroot_run("systemctl", "is-enabled", "aiinfra-roce.service", check=False)
    assert enabled.stdout.strip() == "enabled"


def test_script_dry_run_plans_the_blueprint_qos(chroot: Chroot, first_run: ConvergeResult) -> None:
    out = chroot.chroot_run("/usr/local/sbin/aiinfra-roce-apply", "--dry-run").stdout
    assert "+ ip link set dev ens1f0np0 mtu 9000" in out
    assert "+ dcb pfc set dev ens2f0np0 prio-pfc 0:off 1:off 2:off 3:off 4:off 5:on 6:off 7:off" in out
    assert "+ dcb app replace dev ens1f0np0 dscp-prio 24:5" in out
    assert "/ecn/roce_np/enable/5" in out
    assert "+ echo '98' > /sys/kernel/config/rdma_cm/" in out


def test_script_fails_on_missing_interface(chroot: Chroot, first_run: ConvergeResult) -> None:
    proc = chroot.chroot_run("/usr/local/sbin/aiinfra-roce-apply", check=False)
    assert proc.returncode == 4
    assert (
        "error: not present after 1s: network interface ens1f0np0, network interface ens2f0np0" in proc.stderr
    )


def test_no_auto_discovery_of_ethernet_rdma_ports(chroot: Chroot, first_run: ConvergeResult) -> None:
    result = chroot.converge(ROLE, {**VARS, "roce_interfaces": [], "roce_devices": []})
    assert result.rc != 0
    assert "does not guess them" in result.task("Check that the fabric's ports are named").msg


def test_hardware_report(first_run: ConvergeResult) -> None:
    assert "skipped: no hardware" in first_run.task("Report the RoCE hardware state").msg
    assert first_run.task("Load the RoCE sysctls").skipped


def test_idempotent_in_image_build_mode(chroot: Chroot, first_run: ConvergeResult) -> None:
    variables = {**VARS, "roce_devices": ["mlx5_0", "mlx5_1"], "roce_hardware_mode": "image-build"}
    result = chroot.converge_ok(ROLE, variables)
    assert result.task("Report the skipped RoCE device check").msg == (
        "image-build mode: RoCE devices not checked and QoS not applied (mlx5_0, mlx5_1, ens1f0np0, "
        "ens2f0np0 expected); aiinfra-roce.service applies and verifies it at boot"
    )
    assert result.task("Verify the RoCE settings").skipped
    chroot.assert_idempotent(ROLE, variables)


def test_site_skips_the_install_while_every_package_is_there(
    chroot: Chroot, first_run: ConvergeResult
) -> None:
    """roles/site.yml reads the installed packages once; the role's apt run is skipped while all of its
    packages are installed and runs again (reinstalling) when one is missing."""
    site = ROLES_PATH / "site.yml"
    variables = {**VARS, "aiinfra_roles": [ROLE]}
    install = "Install iproute2 (dcb) and the RDMA tools"
    result = chroot.run_playbook(site, variables, label="site.yml roce (packages there)")
    # Earlier tests of this module converge other settings: files may change, packages stay.
    assert result.rc == 0, result.failures()
    assert (
        "rdma-core"
        in result.task("Keep the names of the installed packages").raw["ansible_facts"][
            "aiinfra_installed_packages"
        ]
    )
    assert result.task(install).skipped

    chroot.chroot_run("dpkg", "--remove", "ibverbs-utils")
    assert not chroot.installed("ibverbs-utils")
    result = chroot.run_playbook(site, variables, label="site.yml roce (one package removed)")
    assert result.rc == 0, result.failures()
    assert result.task(install).changed
    assert chroot.installed("ibverbs-utils")


@pytest.mark.parametrize(("var", "value"), [("roce_pfc_priority", 8), ("roce_dscp", 64)])
def test_out_of_range_rejected(chroot: Chroot, first_run: ConvergeResult, var: str, value: int) -> None:
    result = chroot.converge(ROLE, {var: value})
    assert result.rc != 0
    assert any(var in failure for failure in result.failures())


# ---------------------------------------------------------------- stand-in hardware
# A sysfs tree with two RDMA devices: mlx5_0 (ens1f0np0, a fabric rail) and mlx5_9 (ens9f0np0, a
# storage port that must keep its MTU), and ip/dcb stand-ins that keep their state in that tree.
FAKE_IP = """#!/bin/bash
# stand-in for `ip link set dev IF mtu N` (FAKE_MAX_MTU: the largest MTU the NIC takes)
[ "$1 $2 $3" = "link set dev" ] && [ "$5" = mtu ] || exit 2
mtu=$6; max=${FAKE_MAX_MTU:-9216}; [ "$mtu" -gt "$max" ] && mtu=$max
echo "$mtu" > "$AIINFRA_SYSFS/class/net/$4/mtu"
"""
FAKE_DCB = """#!/bin/bash
# stand-in for dcb [-N] pfc/app set|replace|show dev IF ...; state in $AIINFRA_SYSFS/dcb/IF.pfc|IF.app.
# Like dcb-app(8), `app show` prints DSCP 24 as its rt_dsfield name CS3 unless -N is given.
state=$AIINFRA_SYSFS/dcb; mkdir -p "$state"
numeric=0; [ "$1" = -N ] && { numeric=1; shift; }
obj=$1 verb=$2 ifname=$4; shift 5
case "$obj $verb" in
  "pfc set") echo "$*" > "$state/$ifname.pfc" ;;
  "app replace") echo "$*" > "$state/$ifname.app" ;;
  "pfc show") echo "prio-pfc $(cat "$state/$ifname.pfc" 2>/dev/null)" ;;
  "app show")
    map=$(cat "$state/$ifname.app" 2>/dev/null)
    [ $numeric = 1 ] || map=$(echo "$map" | sed 's/^24:/CS3:/')
    echo "dscp-prio $map" ;;
  *) exit 2 ;;
esac
"""
ENV = (
    'ROCE_DEVICES="{devices}"\nROCE_INTERFACES=""\nROCE_WAIT_SECONDS=3\nROCE_PFC_PRIORITY=5\nROCE_DSCP=24\n'
    "ROCE_ECN=1\nROCE_MTU=9000\nROCE_GID_INDEX=3\nROCE_TRAFFIC_CLASS=98\n"
)
SYS = "/fakesys"


def _make_port(chroot: Chroot, ibdev: str, ifname: str) -> None:
    for inside, content in (
        (f"{SYS}/class/net/{ifname}/mtu", "1500\n"),
        (f"{SYS}/class/net/{ifname}/ecn/roce_np/enable/5", "0\n"),
        (f"{SYS}/class/net/{ifname}/ecn/roce_rp/enable/5", "0\n"),
        (f"{SYS}/class/infiniband/{ibdev}/ports/1/gid_attrs/types/3", "RoCE v2\n"),
        (f"{SYS}/class/infiniband/{ibdev}/ports/1/link_layer", "Ethernet\n"),
    ):
        chroot.path(inside).parent.mkdir(parents=True, exist_ok=True)
        chroot.path(inside).write_text(content)
    chroot.path(f"{SYS}/class/net/{ifname}/device/infiniband/{ibdev}").mkdir(parents=True, exist_ok=True)
    chroot.path(f"{SYS}/class/infiniband/{ibdev}/device/net/{ifname}").mkdir(parents=True, exist_ok=True)
    chroot.path(f"{SYS}/kernel/config/rdma_cm/{ibdev}/ports/1").mkdir(parents=True, exist_ok=True)


@pytest.fixture
def stand_in(chroot: Chroot, first_run: ConvergeResult) -> Iterator[None]:
    tools = {"/usr/local/sbin/ip": FAKE_IP, "/usr/local/sbin/dcb": FAKE_DCB}
    for inside, text in tools.items():
        chroot.path(inside).write_text(text)
        chroot.path(inside).chmod(0o755)
    _make_port(chroot, "mlx5_9", "ens9f0np0")  # storage port, not in the plan's rails
    try:
        yield
    finally:
        for inside in tools:
            chroot.path(inside).unlink()
        chroot.chroot_run("rm", "-rf", SYS, "/tmp/roce-test.env")


def _apply(
    chroot: Chroot, *args: str, devices: str = "mlx5_0", env: str = "", wrap: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run the apply script against the stand-in tree; ``wrap`` runs first in the same shell."""
    chroot.path("/tmp/roce-test.env").write_text(ENV.format(devices=devices))
    command = (
        f"{wrap} env AIINFRA_SYSFS={SYS} AIINFRA_ROCE_ENV=/tmp/roce-test.env {env} "
        f"/usr/local/sbin/aiinfra-roce-apply {' '.join(args)}; rc=$?; wait; exit $rc"
    )
    return chroot.chroot_run("bash", "-c", command, check=False)


def test_script_waits_for_the_device_then_applies_and_verifies(chroot: Chroot, stand_in: None) -> None:
    _make_port(chroot, "mlx5_0", "ens1f0np0")
    # the rail's netdev shows up 2 s after the unit starts (driver still probing at boot)
    chroot.chroot_run("rm", "-rf", f"{SYS}/class/infiniband/mlx5_0/device/net/ens1f0np0")
    chroot.path("/tmp/late-port.sh").write_text(
        f"sleep 2; mkdir -p {SYS}/class/infiniband/mlx5_0/device/net/ens1f0np0\n"
    )
    started = time.monotonic()
    proc = _apply(chroot, wrap="bash /tmp/late-port.sh &")
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started >= 2
    assert "verified: ens1f0np0: mtu 9000, trust dscp 24 -> priority 5 (pfc on), ecn 1, tos 98" in proc.stdout
    assert chroot.read_file(f"{SYS}/class/net/ens1f0np0/mtu").strip() == "9000"
    assert chroot.read_file(f"{SYS}/kernel/config/rdma_cm/mlx5_0/ports/1/default_roce_tos").strip() == "98"
    assert chroot.read_file(f"{SYS}/class/net/ens1f0np0/ecn/roce_rp/enable/5").strip() == "1"
    # the storage port's RDMA device is Ethernet too, but not the fabric's: left alone
    assert chroot.read_file(f"{SYS}/class/net/ens9f0np0/mtu").strip() == "1500"
    assert not chroot.exists(f"{SYS}/dcb/ens9f0np0.pfc")
    # a re-converge's --verify passes on the applied port
    assert _apply(chroot, "--verify").returncode == 0


def test_verify_names_the_port_and_setting_that_drifted(chroot: Chroot, stand_in: None) -> None:
    _make_port(chroot, "mlx5_0", "ens1f0np0")
    assert _apply(chroot).returncode == 0
    chroot.path(f"{SYS}/class/net/ens1f0np0/mtu").write_text("1500\n")
    chroot.path(f"{SYS}/kernel/config/rdma_cm/mlx5_0/ports/1/default_roce_tos").write_text("0\n")
    chroot.path(f"{SYS}/dcb/ens1f0np0.pfc").write_text("0:off 1:off 2:off 3:off 4:off 5:off 6:off 7:off\n")
    proc = _apply(chroot, "--verify")
    assert proc.returncode == 3
    assert "ens1f0np0: mtu is '1500', want '9000'" in proc.stderr
    assert "ens1f0np0: tos (mlx5_0 rdma_cm default_roce_tos) is '0', want '98'" in proc.stderr
    assert "ens1f0np0: pfc priorities is '0:off 1:off 2:off 3:off 4:off 5:off" in proc.stderr
    assert "error: 3 RoCE setting(s) differ from the plan after verify" in proc.stderr
    assert _apply(chroot).returncode == 0  # re-applied, verified


def test_apply_fails_when_a_setting_does_not_hold(chroot: Chroot, stand_in: None) -> None:
    _make_port(chroot, "mlx5_0", "ens1f0np0")
    proc = _apply(chroot, env="FAKE_MAX_MTU=4200")
    assert proc.returncode == 3
    assert "ens1f0np0: mtu is '4200', want '9000'" in proc.stderr


def test_missing_rail_device_fails_after_the_bounded_wait(chroot: Chroot, stand_in: None) -> None:
    _make_port(chroot, "mlx5_0", "ens1f0np0")
    started = time.monotonic()
    proc = _apply(chroot, devices="mlx5_0 mlx5_7")
    assert proc.returncode == 4
    assert "error: not present after 3s: RDMA device mlx5_7" in proc.stderr
    assert time.monotonic() - started >= 3
    assert chroot.read_file(f"{SYS}/class/net/ens1f0np0/mtu").strip() == "1500"  # nothing half-applied
