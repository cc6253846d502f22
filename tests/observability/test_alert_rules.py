"""Every shipped alert fires on a synthetic fault and stays silent on a healthy node (promtool test rules)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiinfra_iac.observability.rules import alert_names, render_alert_rules

HERE = Path(__file__).parent
UNIT_TESTS = HERE / "alerts.test.yml"
DEFAULTS = Path(__file__).parents[2] / "roles" / "observability" / "defaults" / "main.yml"
PROMTOOL = shutil.which("promtool")
NO_DEVICES = "observability_fabric_devices"
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian: apt-get install prometheus)"
)


def role_vars(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(DEFAULTS.read_text())
    values.update(
        observability_cluster="c1",
        observability_pool="train",
        observability_gpu_count=8,
        observability_nvlink=True,
        observability_fabric_type="infiniband",
        observability_fabric_devices=["mlx5_0", "mlx5_1"],
    )
    values.update(overrides)
    return values


def _asserted(expect_firing: bool) -> set[str]:
    doc = yaml.safe_load(UNIT_TESTS.read_text())
    return {
        case["alertname"]
        for group in doc["tests"]
        for case in group["alert_rule_test"]
        if bool(case["exp_alerts"]) == expect_firing
    }


def test_every_shipped_alert_is_unit_tested_firing_and_silent() -> None:
    shipped = set(alert_names(render_alert_rules(role_vars())))
    assert len(shipped) == 17
    assert _asserted(expect_firing=True) == shipped
    assert _asserted(expect_firing=False) == shipped


@needs_promtool
def test_promtool_unit_tests_pass(tmp_path: Path) -> None:
    (tmp_path / "aiinfra-rules.yml").write_text(render_alert_rules(role_vars()))
    shutil.copy(UNIT_TESTS, tmp_path / UNIT_TESTS.name)
    proc = subprocess.run(
        [str(PROMTOOL), "test", "rules", UNIT_TESTS.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@needs_promtool
def test_unit_tests_catch_a_wrong_threshold(tmp_path: Path) -> None:
    """The tests can fail: a role rendered with a higher temperature bar misses the 90 C GPU."""
    (tmp_path / "aiinfra-rules.yml").write_text(
        render_alert_rules(role_vars(observability_gpu_temp_warn_celsius=95))
    )
    shutil.copy(UNIT_TESTS, tmp_path / UNIT_TESTS.name)
    proc = subprocess.run(
        [str(PROMTOOL), "test", "rules", UNIT_TESTS.name], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode != 0 and "GpuTemperatureHigh" in proc.stdout + proc.stderr


@needs_promtool
@pytest.mark.parametrize(
    "overrides",
    [
        {"observability_gpu_count": 0, "observability_fabric_type": "none", NO_DEVICES: []},
        {"observability_nvlink": False, "observability_fabric_type": "efa", NO_DEVICES: []},
        {"observability_fabric_type": "roce"},
    ],
    ids=["cpu-pool", "efa-no-nvlink", "roce"],
)
def test_other_pool_shapes_render_valid_rules(tmp_path: Path, overrides: dict[str, Any]) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(render_alert_rules(role_vars(**overrides)))
    proc = subprocess.run([str(PROMTOOL), "check", "rules", str(rules)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = alert_names(rules.read_text())
    assert "ValidationCheckFailed" in names and "NodeSnapshotDrift" in names
    gpus = overrides.get("observability_gpu_count", 8) > 0
    assert ("GpuXidCritical" in names) == gpus
    assert ("NvlinkErrors" in names) == (gpus and overrides.get("observability_nvlink", True))
    assert ("RdmaDeviceMissing" in names) == (overrides.get("observability_fabric_type") == "roce")
