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
    assert run.task("Remove the boot-time ACS disabling unit").changed


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
