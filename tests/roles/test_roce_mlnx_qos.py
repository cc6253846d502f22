"""aiinfra-roce-apply with mlnx_qos (MLNX_OFED/DOCA hosts without dcb): applies, then reads back the
trust state, PFC row and dscp2prio map from `mlnx_qos -i IF` in the layout NVIDIA documents
(https://docs.nvidia.com/networking/display/mlnxofedv24100700/Quality+of+Service+(QoS)).
Runs the script on this machine against a stand-in sysfs tree (no chroot, no NIC needed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "roce" / "files" / "aiinfra-roce-apply"
TOOLS = ("bash", "cat", "sed", "grep", "tr", "paste", "basename")
TOOLS += ("sleep", "head", "mkdir", "env", "touch")

FAKE_MLNX_QOS = r"""#!/bin/bash
# stand-in for mlnx_qos: -i IF [--trust T] [--pfc LIST] [--dscp2prio set,D,P]; no option: print the report
ifname=$2; shift 2; state=$AIINFRA_SYSFS/qos-$ifname; touch "$state.trust" "$state.pfc" "$state.map"
while [ $# -gt 0 ]; do
  case "$1" in
    --trust) [ -e "$AIINFRA_SYSFS/trust-stuck" ] || echo "$2" > "$state.trust"; shift 2 ;;
    --pfc) echo "$2" > "$state.pfc"; shift 2 ;;
    --dscp2prio) echo "$2" > "$state.map"; shift 2 ;;
    *) exit 2 ;;
  esac
done
trust=$(cat "$state.trust"); pfc=$(cat "$state.pfc")
echo "DCBX mode: OS controlled"
echo "Priority trust state: ${trust:-pcp}"
echo "dscp2prio mapping:"
map=$(cat "$state.map")
for prio in 0 1 2 3 4 5 6 7; do
  line="        prio:$prio dscp:"
  [ "$map" = "set,24,$prio" ] && line="${line}24,"
  echo "$line"
done
echo "PFC configuration:"
echo "        priority    0   1   2   3   4   5   6   7"
pfc=${pfc:-0,0,0,0,0,0,0,0}
echo "        enabled     ${pfc//,/   }"
"""
FAKE_IP = r"""#!/bin/bash
echo "$6" > "$AIINFRA_SYSFS/class/net/$4/mtu"
"""


@pytest.fixture
def box(tmp_path: Path) -> Path:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"missing tools: {', '.join(missing)}")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool) or tool)
    for name, text in (("mlnx_qos", FAKE_MLNX_QOS), ("ip", FAKE_IP)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    sys_root = tmp_path / "sys"
    for rel, content in (
        ("class/net/ens1f0np0/mtu", "1500\n"),
        ("class/infiniband/mlx5_0/ports/1/link_layer", "Ethernet\n"),
    ):
        (sys_root / rel).parent.mkdir(parents=True, exist_ok=True)
        (sys_root / rel).write_text(content)
    for rel in (
        "class/net/ens1f0np0/device/infiniband/mlx5_0",
        "class/infiniband/mlx5_0/device/net/ens1f0np0",
        "kernel/config/rdma_cm/mlx5_0/ports/1",
    ):
        (sys_root / rel).mkdir(parents=True)
    (tmp_path / "roce.env").write_text(
        'ROCE_DEVICES="mlx5_0"\nROCE_WAIT_SECONDS=1\nROCE_PFC_PRIORITY=3\nROCE_DSCP=24\nROCE_ECN=1\n'
        "ROCE_MTU=4200\nROCE_TRAFFIC_CLASS=98\n"
    )
    return tmp_path


def _run(box: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": str(box / "bin"),
        "AIINFRA_SYSFS": str(box / "sys"),
        "AIINFRA_ROCE_ENV": str(box / "roce.env"),
    }
    return subprocess.run(
        [str(box / "bin" / "bash"), str(SCRIPT), *args], env=env, capture_output=True, text=True, check=False
    )


def test_mlnx_qos_settings_are_applied_and_read_back(box: Path) -> None:
    proc = _run(box)
    assert proc.returncode == 0, proc.stderr
    assert "verified: ens1f0np0: mtu 4200, trust dscp 24 -> priority 3 (pfc on), ecn 1, tos 98" in proc.stdout
    assert (box / "sys" / "qos-ens1f0np0.pfc").read_text() == "0,0,0,1,0,0,0,0\n"
    assert _run(box, "--verify").returncode == 0


def test_mlnx_qos_trust_that_does_not_stick_fails_naming_it(box: Path) -> None:
    (box / "sys" / "trust-stuck").write_text("")
    proc = _run(box)
    assert proc.returncode == 3
    assert "ens1f0np0: trust mode is 'pcp', want 'dscp'" in proc.stderr
    assert "error: 1 RoCE setting(s) differ from the plan after apply" in proc.stderr


def test_mlnx_qos_drift_of_pfc_and_dscp_map_is_reported(box: Path) -> None:
    assert _run(box).returncode == 0
    (box / "sys" / "qos-ens1f0np0.pfc").write_text("0,0,0,0,0,0,0,0\n")
    (box / "sys" / "qos-ens1f0np0.map").write_text("\n")
    proc = _run(box, "--verify")
    assert proc.returncode == 3
    assert "ens1f0np0: pfc priorities is '0,0,0,0,0,0,0,0', want '0,0,0,1,0,0,0,0'" in proc.stderr
    assert "ens1f0np0: dscp2prio (dscp 24 -> prio 3) is 'dscp:', want '24'" in proc.stderr
