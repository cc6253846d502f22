"""host_tuning converged into a bookworm chroot: persistent files written, hardware steps skipped."""

from __future__ import annotations

import pytest
from harness import Chroot, ConvergeResult

ROLE = "host_tuning"
VARS = {
    "host_tuning_hugepages_2m": 1024,
    "host_tuning_iommu_passthrough": True,
    "host_tuning_iommu_vendor": "amd",
    "host_tuning_pcie_acs": "disable",
    "host_tuning_transparent_hugepages": "never",
    "host_tuning_irq_interfaces": ["ens1f0np0", "ens2f0np0"],
    "host_tuning_apt_cache_valid_time": 172800,
}


@pytest.fixture(scope="module")
def first_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok(ROLE, VARS, label=f"{ROLE} (converge)")


def test_converge_changes_then_is_idempotent(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert first_run.changed > 0
    chroot.assert_idempotent(ROLE, VARS)


def test_packages_installed(chroot: Chroot, first_run: ConvergeResult) -> None:
    for package in ("irqbalance", "cpufrequtils", "numactl", "procps"):
        assert chroot.installed(package), package


def test_sysctls_written_not_applied_to_host(chroot: Chroot, first_run: ConvergeResult) -> None:
    text = chroot.read_file("/etc/sysctl.d/90-aiinfra-host-tuning.conf")
    assert "kernel.numa_balancing = 0" in text
    assert "vm.nr_hugepages = 1024" in text
    assert first_run.task("Report sysctls not applied to a kernel that is not ours").msg.startswith(
        "skipped: no hardware"
    )


def test_memlock_unlimited(chroot: Chroot, first_run: ConvergeResult) -> None:
    limits = chroot.read_file("/etc/security/limits.d/90-aiinfra-memlock.conf").split("\n")
    assert "*    hard    memlock    unlimited" in limits
    assert "*    soft    memlock    unlimited" in limits
    assert "DefaultLimitMEMLOCK=infinity" in chroot.read_file(
        "/etc/systemd/system.conf.d/90-aiinfra-memlock.conf"
    )


def test_kernel_args_and_reboot_flag(chroot: Chroot, first_run: ConvergeResult) -> None:
    grub = chroot.read_file("/etc/default/grub.d/90-aiinfra-host-tuning.cfg")
    assert 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX iommu=pt amd_iommu=on transparent_hugepage=never"' in grub
    assert first_run.task("Report the kernel arguments waiting for a reboot").msg.startswith("reboot needed:")
    reboot = first_run.task("Reboot for the kernel arguments")
    assert reboot.skipped and not reboot.changed


def test_cpu_governor(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert 'GOVERNOR="performance"' in chroot.read_file("/etc/default/cpufrequtils")
    assert first_run.task("Apply the CPU governor to every CPU").skipped
    assert first_run.task("Report the CPU governor not applied").msg.startswith("skipped: no hardware")


def test_irq_affinity(chroot: Chroot, first_run: ConvergeResult) -> None:
    conf = chroot.read_file("/etc/aiinfra/nic-irq-affinity.conf")
    assert "ens1f0np0\nens2f0np0\n" in conf
    assert 'IRQBALANCE_ARGS="--policyscript=/usr/local/sbin/aiinfra-irqbalance-policy"' in chroot.read_file(
        "/etc/default/irqbalance"
    )
    enabled = chroot.chroot_run(
        "systemctl", "is-enabled", "aiinfra-nic-irq-affinity.service", "irqbalance.service"
    )
    assert enabled.stdout.split() == ["enabled", "enabled"]
    # The script runs inside the chroot: no /sys there, so no NIC is listed and nothing is pinned.
    assert chroot.chroot_run("/usr/local/sbin/aiinfra-nic-irq-affinity", "--list").stdout == ""
    assert first_run.task("Report NIC IRQs not pinned").msg.startswith("skipped: no hardware")


def test_grub_update_recorded_pending_for_a_live_converge(chroot: Chroot, first_run: ConvergeResult) -> None:
    # no running kernel of this node in a chroot: update-grub is recorded, not skipped and forgotten
    assert first_run.task("Record the grub update for a live converge").changed
    marker = chroot.read_file("/var/lib/aiinfra/pending/update-grub")
    assert marker == "host_tuning: kernel arguments in /etc/default/grub.d/90-aiinfra-host-tuning.cfg\n"
    assert chroot.chroot_run("aiinfra-pending", "list").stdout == "update-grub\n"
    rerun = chroot.converge_ok(ROLE, VARS, label=f"{ROLE} (re-run, pending)")
    assert rerun.changed == 0
    assert rerun.task("Report the actions left pending for a live converge").msg.startswith(
        "pending until a live converge: update-grub"
    )
    assert rerun.task("Complete the actions an image build left pending").skipped


STAND_IN_UPDATE_GRUB = """#!/bin/sh
# stand-in for update-grub: fails while /tmp/grub-broken exists, records each run
if [ -e /tmp/grub-broken ]; then
  echo "grub-probe: error: failed to get canonical path of /dev/root" >&2; exit 1
fi
echo run >> /tmp/update-grub-runs
"""


def test_pending_helper_completes_then_removes_the_marker(chroot: Chroot, first_run: ConvergeResult) -> None:
    stand_in = chroot.path("/usr/local/sbin/update-grub")
    stand_in.write_text(STAND_IN_UPDATE_GRUB)
    stand_in.chmod(0o755)
    chroot.chroot_run("aiinfra-pending", "record", "update-grub", "from the test")
    chroot.path("/tmp/grub-broken").write_text("")
    try:
        failed = chroot.chroot_run("aiinfra-pending", "complete", check=False)
        assert failed.returncode == 1
        assert "pending update-grub failed (update-grub; recorded as: from the test)" in failed.stderr
        assert "failed to get canonical path" in failed.stderr
        assert chroot.exists("/var/lib/aiinfra/pending/update-grub")  # kept for the next converge
        chroot.path("/tmp/grub-broken").unlink()
        assert chroot.chroot_run("aiinfra-pending", "complete").stdout == "completed: update-grub\n"
        assert not chroot.exists("/var/lib/aiinfra/pending/update-grub")
        assert chroot.chroot_run("aiinfra-pending", "complete").stdout == "nothing pending\n"
        assert chroot.read_file("/tmp/update-grub-runs") == "run\n"
        unknown = chroot.chroot_run("aiinfra-pending", "record", "rm -rf /", check=False)
        assert unknown.returncode == 2 and "unknown action" in unknown.stderr
    finally:
        stand_in.unlink()


def test_pcie_acs_disabled_at_boot_and_not_checked_in_a_chroot(
    chroot: Chroot, first_run: ConvergeResult
) -> None:
    unit = chroot.read_file("/etc/systemd/system/aiinfra-pcie-acs.service")
    assert "ExecStart=/usr/local/sbin/aiinfra-pcie-acs disable" in unit
    enabled = chroot.chroot_run("systemctl", "is-enabled", "aiinfra-pcie-acs.service", check=False)
    assert enabled.stdout.strip() == "enabled"
    assert chroot.path("/usr/local/sbin/aiinfra-pcie-acs").stat().st_mode & 0o111
    assert first_run.task("Report PCIe ACS").msg == (
        "skipped: not bare metal (chroot, container or VM); PCIe ACS not checked "
        "(disabled at boot by aiinfra-pcie-acs.service)"
    )
    assert first_run.task("List PCIe devices with ACS enabled").skipped


def test_iommu_arguments_only_where_asked(chroot: Chroot, first_run: ConvergeResult) -> None:
    plain = {**VARS, "host_tuning_iommu_passthrough": False, "host_tuning_pcie_acs": "warn"}
    run = chroot.converge_ok(ROLE, plain, check=True, diff=True, label=f"{ROLE} (no IOMMU, --check)")
    diff = run.diff_text()
    assert "transparent_hugepage=never" in diff
    assert "iommu" not in diff.split("GRUB_CMDLINE_LINUX")[-1]
    files = run.task("Write the sysctls, limits, governor, kernel arguments, scripts and boot units")
    assert "/etc/systemd/system/aiinfra-pcie-acs.service" in files.raw["changed_paths"]


LSPCI = """\
0000:00:01.0 PCI bridge: Intel Corporation Device 09ab (prog-if 00 [Normal decode])
\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-
\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-
0000:17:00.0 3D controller: NVIDIA Corporation GH100 [H100 SXM5 80GB] (rev a1)
"""


def test_pcie_acs_on_bare_metal_warns_fails_or_disables(chroot: Chroot, first_run: ConvergeResult) -> None:
    # Bare metal forced (a chroot is not), lspci/setpci replaced by stand-ins in /usr/local/bin that read
    # and edit a recorded `lspci -D -vvv`, so the role's own script and tasks run unchanged.
    chroot.path("/tmp/lspci.txt").write_text(LSPCI)
    stand_ins = {
        "/usr/local/bin/lspci": "#!/bin/sh\ncat /tmp/lspci.txt\n",
        "/usr/local/bin/setpci": (
            "#!/bin/sh\necho \"$*\" >> /tmp/setpci.log\nsed -i '/ACSCtl:/s/+/-/g' /tmp/lspci.txt\n"
        ),
    }
    for inside, text in stand_ins.items():
        chroot.path(inside).write_text(text)
        chroot.path(inside).chmod(0o755)
    try:
        bare = {**VARS, "_host_tuning_bare_metal": True}
        warn = chroot.converge_ok(ROLE, {**bare, "host_tuning_pcie_acs": "warn"}, check=True)
        assert warn.task("Report PCIe ACS").msg.startswith(
            "warning: PCIe ACS enabled on 0000:00:01.0 SrcValid,ReqRedir,CmpltRedir,UpstreamFwd | PCI bridge"
        )
        fail = chroot.converge(ROLE, {**bare, "host_tuning_pcie_acs": "fail"}, check=True)
        (failure,) = fail.failures()
        assert "PCIe ACS is enabled on 1 device(s)" in failure and "0000:00:01.0" in failure
        disable = chroot.converge_ok(
            ROLE, {**bare, "host_tuning_pcie_acs": "disable"}, label=f"{ROLE} (ACS off)"
        )
        assert disable.task("Report PCIe ACS").msg == "ACS disabled on: disabled 0000:00:01.0"
        assert chroot.read_file("/tmp/setpci.log").splitlines() == ["-s 0000:00:01.0 ECAP_ACS+0x6.w=0000"]
        again = chroot.converge_ok(
            ROLE, {**bare, "host_tuning_pcie_acs": "disable"}, label=f"{ROLE} (ACS off, re-run)"
        )
        assert again.changed == 0, again.changed_tasks()
        assert again.task("Report PCIe ACS").msg == "PCIe ACS off on every device"
    finally:
        for inside in stand_ins:
            chroot.path(inside).unlink()
