"""Shipped Grafana dashboards: valid JSON, valid PromQL, and only metrics that something really emits."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from aiinfra_iac.observability.grafana import dashboard_files, known_metrics, load_dashboard, queries
from aiinfra_iac.observability.promql import metric_names

ROLE_COUNTERS = Path(__file__).parents[2] / "roles" / "observability" / "templates" / "dcgm-counters.csv.j2"
DASHBOARDS = dashboard_files()
PROMTOOL = shutil.which("promtool")


def aiinfra_dcgm_counters() -> set[str]:
    """The DCGM fields the observability role configures (its counters file, Jinja lines skipped)."""
    return {
        line.split(",")[0].strip()
        for line in ROLE_COUNTERS.read_text().splitlines()
        if line.startswith("DCGM_FI_")
    }


def emitted() -> set[str]:
    """DCGM fields aiinfra's exporters collect (and upstream names), node_exporter's and aiinfra's own."""
    dcgm = known_metrics("dcgm-exporter") & aiinfra_dcgm_counters()
    return dcgm | known_metrics("node-exporter") | known_metrics("aiinfra")


def test_collected_dcgm_fields_are_named_upstream() -> None:
    # the one field of the counters file that neither upstream file names (used by no query)
    unnamed = aiinfra_dcgm_counters() - known_metrics("dcgm-exporter")
    assert unnamed == {"DCGM_FI_DEV_CLOCK_THROTTLE_REASONS"}


def test_three_dashboards_are_shipped() -> None:
    assert [p.name for p in DASHBOARDS] == [
        "aiinfra-fabric.json",
        "aiinfra-gpu.json",
        "aiinfra-validation.json",
    ]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_is_well_formed(path: Path) -> None:
    dashboard = load_dashboard(path)
    assert dashboard["uid"] == path.stem and dashboard["title"].startswith("aiinfra / ")
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)) >= 3
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]
    assert json.loads(json.dumps(dashboard)) == dashboard


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_queries_use_only_emitted_metrics(path: Path) -> None:
    used = {name for query in queries(load_dashboard(path)) for name in metric_names(query)}
    assert len(used) >= 2
    assert used <= emitted(), (
        f"not emitted by dcgm-exporter, node_exporter or aiinfra: {sorted(used - emitted())}"
    )


def test_dashboards_cover_gpu_fabric_and_validation() -> None:
    used = {name for path in DASHBOARDS for q in queries(load_dashboard(path)) for name in metric_names(q)}
    for needed in (
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_GPU_TEMP",
        "DCGM_FI_DEV_POWER_USAGE",
        "DCGM_FI_DEV_XID_ERRORS",
        "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
        "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL",
        "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL",
        "node_infiniband_port_data_transmitted_bytes_total",
        "node_infiniband_port_errors_received_total",
        "node_network_transmit_bytes_total",
        "aiinfra_validation_check_passed",
        "aiinfra_validation_value",
    ):
        assert needed in used, needed


def test_alert_rules_use_only_emitted_metrics() -> None:
    from aiinfra_iac.observability.rules import render_alert_rules

    from .test_alert_rules import role_vars

    document = yaml.safe_load(render_alert_rules(role_vars(observability_fabric_type="roce")))
    used = {name for g in document["groups"] for r in g["rules"] for name in metric_names(r["expr"])}
    assert used <= emitted(), sorted(used - emitted())


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            'rate(node_infiniband_symbol_error_total{device=~"mlx5_.*"}[5m])',
            {"node_infiniband_symbol_error_total"},
        ),
        (
            "sum by (Hostname) (DCGM_FI_DEV_GPU_UTIL) / on(Hostname) group_left(pool) aiinfra_node_info",
            {
                "DCGM_FI_DEV_GPU_UTIL",
                "aiinfra_node_info",
            },
        ),
        ('count(x_metric{a="b",c=~"$var"} == 0) or vector(0)', {"x_metric"}),
        ("label_values(DCGM_FI_DEV_GPU_TEMP, Hostname)", {"DCGM_FI_DEV_GPU_TEMP"}),
        ("8 * rate(made_up_bytes_total[$__rate_interval]) offset 1h", {"made_up_bytes_total"}),
    ],
)
def test_metric_names_are_extracted(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_an_unknown_or_uncollected_metric_is_caught() -> None:
    assert not metric_names("rate(DCGM_FI_DEV_MADE_UP[5m])") <= emitted()
    # a real upstream field that aiinfra's counters file does not collect is not "emitted" either
    assert "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE" not in emitted()


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian: apt-get install prometheus)")
def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    rules = []
    for path in DASHBOARDS:
        for index, query in enumerate(queries(load_dashboard(path))):
            if query.startswith("label_values("):
                continue
            expr = query.replace("$__rate_interval", "5m")
            expr = re.sub(r"\$\w+", "x", expr)
            rules.append({"record": f"aiinfra:{path.stem.replace('-', '_')}:q{index}", "expr": expr})
    assert len(rules) >= 30
    rules_file = tmp_path / "dashboards.rules.yml"
    rules_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    proc = subprocess.run([str(PROMTOOL), "check", "rules", str(rules_file)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
