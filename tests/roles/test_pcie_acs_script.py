"""roles/host_tuning/files/aiinfra-pcie-acs against recorded ``lspci -D -vvv`` output.

lspci and setpci are replaced through AIINFRA_LSPCI / AIINFRA_SETPCI: the stand-in setpci records its
arguments and clears (or, for the stuck case, leaves) the ACSCtl flags in the recorded output.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "host_tuning" / "files" / "aiinfra-pcie-acs"

LSPCI = """\
0000:00:01.0 PCI bridge: Intel Corporation Device 09ab (prog-if 00 [Normal decode])
\tCapabilities: [220 v1] Access Control Services
\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-
\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-
0000:17:00.0 3D controller: NVIDIA Corporation GH100 [H100 SXM5 80GB] (rev a1)
\tSubsystem: NVIDIA Corporation Device 16c1
0000:18:02.0 PCI bridge: PLX Technology, Inc. PEX 89104 (rev b0) (prog-if 00 [Normal decode])
\t\tACSCap:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl+ DirectTrans+
\t\tACSCtl:\tSrcValid- TransBlk- ReqRedir- CmpltRedir- UpstreamFwd- EgressCtrl- DirectTrans-
0000:20:03.0 PCI bridge: PLX Technology, Inc. PEX 89104 (rev b0) (prog-if 00 [Normal decode])
\t\tACSCtl:\tSrcValid- TransBlk- ReqRedir- CmpltRedir- UpstreamFwd- EgressCtrl+ DirectTrans-
"""

FAKE_SETPCI = """#!/bin/sh
echo "$*" >> "$SETPCI_LOG"
[ -n "${SETPCI_STUCK:-}" ] || sed -i '/ACSCtl:/s/+/-/g' "$LSPCI_FILE"
"""


def run(tmp_path: Path, lspci: str, *args: str, stuck: bool = False) -> subprocess.CompletedProcess[str]:
    recorded = tmp_path / "lspci.txt"
    if not recorded.exists():
        recorded.write_text(lspci)
    setpci = tmp_path / "setpci"
    setpci.write_text(FAKE_SETPCI)
    setpci.chmod(0o755)
    env = {
        **os.environ,
        "AIINFRA_LSPCI": f"cat {recorded}",
        "AIINFRA_SETPCI": str(setpci),
        "SETPCI_LOG": str(tmp_path / "setpci.log"),
        "LSPCI_FILE": str(recorded),
        **({"SETPCI_STUCK": "1"} if stuck else {}),
    }
    return subprocess.run(["sh", str(SCRIPT), *args], capture_output=True, text=True, env=env, check=False)


def setpci_calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "setpci.log"
    return log.read_text().splitlines() if log.exists() else []


def test_lists_only_devices_with_an_acs_control_flag_on(tmp_path: Path) -> None:
    out = run(tmp_path, LSPCI, "list")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "0000:00:01.0 SrcValid,ReqRedir,CmpltRedir,UpstreamFwd | PCI bridge: Intel Corporation Device 09ab "
        "(prog-if 00 [Normal decode])",
        "0000:20:03.0 EgressCtrl | PCI bridge: PLX Technology, Inc. PEX 89104 (rev b0) "
        "(prog-if 00 [Normal decode])",
    ]
    assert setpci_calls(tmp_path) == []


def test_disable_clears_acs_control_as_nccl_documents(tmp_path: Path) -> None:
    out = run(tmp_path, LSPCI, "disable")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["disabled 0000:00:01.0", "disabled 0000:20:03.0"]
    assert setpci_calls(tmp_path) == [
        "-s 0000:00:01.0 ECAP_ACS+0x6.w=0000",
        "-s 0000:20:03.0 ECAP_ACS+0x6.w=0000",
    ]
    assert run(tmp_path, LSPCI, "list").stdout == ""


def test_disable_fails_when_acs_stays_on(tmp_path: Path) -> None:
    out = run(tmp_path, LSPCI, "disable", stuck=True)
    assert out.returncode == 1
    assert "ACS still on after setpci:" in out.stderr
    assert "0000:00:01.0 SrcValid,ReqRedir,CmpltRedir,UpstreamFwd" in out.stderr


def test_nothing_to_do_without_acs(tmp_path: Path) -> None:
    quiet = "\n".join(line for line in LSPCI.splitlines() if "ACSCtl" not in line) + "\n"
    assert run(tmp_path, quiet, "list").stdout == ""
    out = run(tmp_path, quiet, "disable")
    assert (out.returncode, out.stdout, setpci_calls(tmp_path)) == (0, "", [])


@pytest.mark.parametrize("bad", ["enable", "--help"])
def test_unknown_command_is_a_usage_error(tmp_path: Path, bad: str) -> None:
    out = run(tmp_path, LSPCI, bad)
    assert out.returncode == 2
    assert "usage: aiinfra-pcie-acs [list|disable]" in out.stderr
