"""bluefield_dpu in a bookworm chroot: mstflint installed for real, the wanted mode recorded, the DOCA
repository shown in check mode; no BlueField is visible in a chroot, so mode changes report skipped.
The mode script's compare-then-set logic is exercised against a stand-in mlxconfig that prints the
query format of NVIDIA's tool (there is no BlueField here to query)."""

from __future__ import annotations

import pytest
from harness import Chroot, ConvergeResult

ROLE = "bluefield_dpu"
CONVERGE = {
    "bluefield_dpu_model": "bluefield-2",
    "bluefield_dpu_mode": "nic",
    "bluefield_dpu_apt_cache_valid_time": 172800,
}

STAND_IN = """#!/bin/bash
# stand-in for mlxconfig: answers `-d DEV -e q KEYS` from a state file (KEY=DEFAULT CURRENT NEXT),
# in the Default / Current / Next Boot column format of NVIDIA's tool; records writes
state=/tmp/mlx-state
if [ "$3" = -e ] && [ "$4" = q ]; then
  echo "Device #1:"
  echo "Device type:    BlueField2"
  echo "Configurations:                              Default         Current         Next Boot"
  while IFS='=' read -r key values; do
    read -r default current next <<< "$values"
    mark=" "; [ "$default" != "$next" ] && mark="*"
    printf '%s       %-34s %-15s %-15s %s\\n' "$mark" "$key" "$default" "$current" "$next"
  done < "$state"
  exit 0
fi
shift 3  # -y -d DEV
echo "$@" >> /tmp/mlx-set-calls
exit 0
"""


@pytest.fixture(scope="module")
def first_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok(ROLE, CONVERGE, label=f"{ROLE} (converge)")


def test_converge_is_idempotent(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert first_run.changed > 0
    chroot.assert_idempotent(ROLE, CONVERGE)


def test_mstflint_installed(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert chroot.installed("mstflint")
    assert chroot.installed("pciutils")
    assert chroot.chroot_run("mstconfig", "--version").returncode == 0


def test_wanted_mode_recorded(chroot: Chroot, first_run: ConvergeResult) -> None:
    lines = [
        line for line in chroot.read_file("/etc/aiinfra/bluefield-mode.conf").splitlines() if "#" not in line
    ]
    assert lines == [
        "MODEL=bluefield-2",
        "MODE=nic",
        "INTERNAL_CPU_ESWITCH_MANAGER=1",
        "INTERNAL_CPU_IB_VPORT0=1",
        "INTERNAL_CPU_OFFLOAD_ENGINE=1",
        "INTERNAL_CPU_PAGE_SUPPLIER=1",
    ]


def test_no_hardware_reported(first_run: ConvergeResult) -> None:
    assert (
        first_run.task("Report BlueField devices").msg
        == "skipped: no hardware (no bluefield-2 on the PCI bus)"
    )
    assert first_run.task("Set the BlueField mode of operation").skipped
    assert first_run.task("Report the BlueField mode").msg.startswith("skipped: no hardware")
    assert first_run.task("Report DOCA packages not installed").msg.startswith("skipped: no hardware")


def test_doca_repository_in_check_mode(chroot: Chroot, first_run: ConvergeResult) -> None:
    result = chroot.converge_ok(
        ROLE,
        {**CONVERGE, "bluefield_dpu_install": "always"},
        check=True,
        diff=True,
        label=f"{ROLE} (--check, DOCA)",
    )
    diff = result.diff_text()
    arch = chroot.chroot_run("dpkg", "--print-architecture").stdout.strip()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}[arch]
    assert f"URIs: https://linux.mellanox.com/public/repo/doca/2.9.1/debian12/{machine}/" in diff
    assert "Suites: ./" in diff
    assert result.task("Report the DOCA packages").msg.endswith("would install: rshim mft")
    assert not chroot.exists("/etc/apt/sources.list.d/nvidia-doca.sources")


def test_mode_script_reports_a_failed_query(chroot: Chroot, first_run: ConvergeResult) -> None:
    # the real mstconfig from mstflint, asked about a device that is not there
    result = chroot.chroot_run(
        "/usr/local/sbin/aiinfra-bluefield-mode", "0000:03:00.0", "INTERNAL_CPU_OFFLOAD_ENGINE=1", check=False
    )
    assert result.returncode == 4
    assert "/usr/bin/mstconfig query of 0000:03:00.0 failed" in result.stderr


def test_mode_script_reads_current_and_next_boot(chroot: Chroot, first_run: ConvergeResult) -> None:
    stand_in = chroot.path("/usr/local/bin/mlxconfig")
    stand_in.write_text(STAND_IN)
    stand_in.chmod(0o755)
    state = chroot.path("/tmp/mlx-state")
    state.write_text(
        "INTERNAL_CPU_PAGE_SUPPLIER=ECPF(0) ECPF(0) ECPF(0)\n"
        "INTERNAL_CPU_OFFLOAD_ENGINE=ENABLED(0) DISABLED(1) DISABLED(1)\n"
    )
    try:
        script = "/usr/local/sbin/aiinfra-bluefield-mode"
        args = ("0000:03:00.0", "INTERNAL_CPU_PAGE_SUPPLIER=1", "INTERNAL_CPU_OFFLOAD_ENGINE=1")
        # next boot differs: set only that key (not in --check)
        check = chroot.chroot_run(script, "--check", *args)
        assert check.stdout.strip() == "changed: INTERNAL_CPU_PAGE_SUPPLIER=0->1"
        assert not chroot.exists("/tmp/mlx-set-calls")
        real = chroot.chroot_run(script, *args)
        assert real.stdout.strip() == "changed: INTERNAL_CPU_PAGE_SUPPLIER=0->1"
        assert chroot.read_file("/tmp/mlx-set-calls") == "s INTERNAL_CPU_PAGE_SUPPLIER=1\n"
        # set for the next boot, still running the old mode (a warm reboot leaves it so): pending
        state.write_text("INTERNAL_CPU_PAGE_SUPPLIER=ECPF(0) ECPF(0) EXT_HOST_PF(1)\n")
        pending = chroot.chroot_run(script, args[0], args[1])
        assert pending.stdout.strip() == "pending: INTERNAL_CPU_PAGE_SUPPLIER=0->1"
        assert chroot.read_file("/tmp/mlx-set-calls") == "s INTERNAL_CPU_PAGE_SUPPLIER=1\n"  # not set again
        # after the cold power cycle: current and next boot agree
        state.write_text("INTERNAL_CPU_PAGE_SUPPLIER=ECPF(0) EXT_HOST_PF(1) EXT_HOST_PF(1)\n")
        assert chroot.chroot_run(script, args[0], args[1]).stdout.strip() == "unchanged"
        missing = chroot.chroot_run(script, args[0], "INTERNAL_CPU_MODEL=1", check=False)
        assert missing.returncode == 3
        expected = "did not report the default, current and next-boot values of INTERNAL_CPU_MODEL"
        assert expected in missing.stderr
    finally:
        stand_in.unlink()


def test_no_reboot_task_for_a_mode_change(first_run: ConvergeResult) -> None:
    # a warm reboot does not apply a BlueField mode change; the role must not pretend it does
    assert not [task for task in first_run.tasks if "reboot" in task.name.lower()]
