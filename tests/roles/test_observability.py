"""observability converged into a bookworm chroot: node exporter from Debian, DCGM guarded, alert rules."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from harness import Chroot, ConvergeResult
from role_specs import assert_defaults_match_spec
from ruamel.yaml import YAML

from aiinfra_iac.observability.grafana import DASHBOARDS_DIR, dashboard_files
from aiinfra_iac.observability.rules import render_alert_rules

ROLE = "observability"
ROLE_DIR = Path(__file__).parents[2] / "roles" / ROLE
RULES = "/etc/prometheus/rules/aiinfra-llm-ib-train.rules.yml"
VARS = {
    "observability_dcgm_exporter": True,
    "observability_cluster": "llm-ib",
    "observability_pool": "train",
    "observability_gpu_count": 8,
    "observability_nvlink": True,
    "observability_fabric_type": "infiniband",
    "observability_fabric_devices": [f"mlx5_{i}" for i in range(8)],
    "observability_gpu_temp_warn_celsius": 83,
    "observability_grafana_dashboards": True,
    "observability_dashboards_src": str(DASHBOARDS_DIR),
}


@pytest.fixture(scope="module")
def first_run(chroot: Chroot) -> ConvergeResult:
    return chroot.converge_ok(ROLE, VARS, label=f"{ROLE} (converge)")


def test_defaults_match_argument_spec() -> None:
    assert_defaults_match_spec(ROLE)


def test_converge_changes_then_is_idempotent(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert first_run.changed > 0
    chroot.assert_idempotent(ROLE, VARS)


def test_check_mode_after_converge_reports_no_change(chroot: Chroot, first_run: ConvergeResult) -> None:
    result = chroot.converge_ok(ROLE, VARS, check=True, label=f"{ROLE} --check")
    assert result.changed == 0, result.changed_tasks()


def test_node_exporter_installed_from_debian(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert chroot.installed("prometheus-node-exporter")
    args = chroot.read_file("/etc/default/prometheus-node-exporter")
    assert "--web.listen-address=:9100" in args
    assert "--collector.textfile.directory=/var/lib/prometheus/node-exporter" in args
    # The chroot has no running systemd: the service is installed, not started, and the run says so.
    assert first_run.task("Enable and start prometheus-node-exporter").skipped
    assert (
        "skipped: no running systemd"
        in first_run.task("Report the node exporter service as not started (no init system)").msg
    )


def test_textfile_facts(chroot: Chroot, first_run: ConvergeResult) -> None:
    text = chroot.read_file("/var/lib/prometheus/node-exporter/aiinfra.prom")
    assert 'aiinfra_gpus_expected{cluster="llm-ib",pool="train"} 8' in text
    for i in range(8):
        assert (
            f'aiinfra_fabric_device_expected{{cluster="llm-ib",pool="train",device="mlx5_{i}",port="1"}} 1'
            in text
        )
    promtool = shutil.which("promtool")
    if promtool:
        proc = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dcgm_counters_written_but_exporter_skipped_without_gpu(
    chroot: Chroot, first_run: ConvergeResult
) -> None:
    counters = chroot.read_file("/etc/dcgm-exporter/aiinfra-counters.csv")
    for field in (
        "DCGM_FI_DEV_XID_ERRORS",
        "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
        "DCGM_FI_DEV_GPU_TEMP",
        "DCGM_FI_DEV_ROW_REMAP_FAILURE",
        "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL",
    ):
        assert f"\n{field}, " in counters, field
    assert first_run.task("Report the DCGM exporter as skipped (no NVIDIA GPU)").msg.startswith(
        "skipped: no hardware"
    )
    assert first_run.task("Install the DCGM exporter package").skipped
    assert not chroot.installed("datacenter-gpu-manager-exporter")


def _rules(chroot: Chroot) -> dict[str, dict[str, object]]:
    doc = YAML(typ="safe").load(chroot.read_file(RULES))
    return {rule["alert"]: rule for group in doc["groups"] for rule in group["rules"]}


def test_alert_rules_cover_gpu_and_fabric_faults(chroot: Chroot, first_run: ConvergeResult) -> None:
    rules = _rules(chroot)
    for alert in (
        "GpuXidCritical",
        "GpuXidError",
        "GpuEccDoubleBitErrors",
        "GpuRowRemapFailure",
        "GpuTemperatureHigh",
        "GpuMissing",
        "NvlinkErrors",
        "RdmaPortNotActive",
        "RdmaLinkDown",
        "RdmaLinkDowned",
        "RdmaPortErrors",
        "RdmaDeviceMissing",
    ):
        assert alert in rules, alert
    assert "DCGM_FI_DEV_GPU_TEMP > 83" in str(rules["GpuTemperatureHigh"]["expr"])
    assert "< 8" in str(rules["GpuMissing"]["expr"])
    assert 'aiinfra_node_info{cluster="llm-ib",pool="train"}' in str(rules["RdmaPortNotActive"]["expr"])
    assert rules["GpuXidCritical"]["labels"] == {"severity": "critical", "cluster": "llm-ib", "pool": "train"}


def test_alert_rules_pass_promtool(chroot: Chroot, first_run: ConvergeResult) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (apt-get install prometheus)")
    proc = subprocess.run(
        [promtool, "check", "rules", str(chroot.path(RULES))], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(_rules(chroot))} rules found" in proc.stdout


def test_cpu_pool_without_fabric_gets_only_node_rules(chroot: Chroot, first_run: ConvergeResult) -> None:
    cpu_vars = {"observability_cluster": "llm-ib", "observability_pool": "login"}
    chroot.converge_ok(ROLE, cpu_vars, label=f"{ROLE} (cpu pool)")
    doc = YAML(typ="safe").load(chroot.read_file("/etc/prometheus/rules/aiinfra-llm-ib-login.rules.yml"))
    alerts = [rule["alert"] for group in doc["groups"] for rule in group["rules"]]
    assert alerts == ["NodeRootFilesystemAlmostFull", "ValidationCheckFailed", "NodeSnapshotDrift"]


def test_role_writes_the_rules_the_promtool_tests_render(chroot: Chroot, first_run: ConvergeResult) -> None:
    """Ansible's rendering and the Jinja2 rendering used by tests/observability agree line for line."""
    defaults = YAML(typ="safe").load((ROLE_DIR / "defaults" / "main.yml").read_text())
    ours = render_alert_rules({**defaults, **VARS}).splitlines()[1:]
    theirs = chroot.read_file(RULES).splitlines()[1:]  # line 1: the ansible_managed comment
    assert theirs == ours


def test_dashboards_and_grafana_provider_written(chroot: Chroot, first_run: ConvergeResult) -> None:
    for path in dashboard_files():
        assert chroot.read_file(f"/var/lib/grafana/dashboards/aiinfra/{path.name}") == path.read_text()
    provider = YAML(typ="safe").load(chroot.read_file("/etc/grafana/provisioning/dashboards/aiinfra.yaml"))
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards/aiinfra"


def test_efa_pool_gets_the_efa_counters_script_and_timer(chroot: Chroot, first_run: ConvergeResult) -> None:
    efa_vars = {
        "observability_cluster": "llm-efa",
        "observability_pool": "train",
        "observability_fabric_type": "efa",
    }
    result = chroot.converge_ok(ROLE, efa_vars, label=f"{ROLE} (efa pool)")
    assert chroot.exists("/usr/local/sbin/aiinfra-efa-metrics")
    timer = chroot.read_file("/etc/systemd/system/aiinfra-efa-metrics.timer")
    assert "OnUnitActiveSec=15s" in timer
    service = chroot.read_file("/etc/systemd/system/aiinfra-efa-metrics.service")
    assert "--output /var/lib/prometheus/node-exporter/aiinfra_efa.prom" in service
    # the script ran once: this host has no rdmap device, so it reports none (and no read error)
    text = chroot.read_file("/var/lib/prometheus/node-exporter/aiinfra_efa.prom")
    assert "aiinfra_efa_devices 0\n" in text and "aiinfra_efa_scrape_error 0\n" in text
    assert result.task("Enable and start the EFA counters timer").skipped  # no systemd in the chroot
    chroot.assert_idempotent(ROLE, efa_vars)


FILES_TASK = "Write the node exporter, EFA counters, DCGM exporter, alert rules and Grafana dashboard files"


def test_infiniband_pool_gets_no_efa_script(chroot: Chroot, first_run: ConvergeResult) -> None:
    written = first_run.task(FILES_TASK).raw["changed_paths"]
    assert "/etc/default/prometheus-node-exporter" in written
    assert not [path for path in written if "aiinfra-efa-metrics" in path]
    assert first_run.task("Write the EFA counters once now").skipped
