"""The dashboards' queries return data from a real Prometheus scraping a real node_exporter.

Loopback only: node_exporter (Debian's prometheus-node-exporter) with a textfile holding aiinfra validation
results in the shape `aiinfra validate` exports, and Prometheus (Debian's prometheus) scraping it every
second. Every dashboard query whose metrics this host has must return at least one series; GPU and
InfiniBand queries are left out where the host has no GPU or HCA (they are checked against the known-metric
lists in test_dashboards.py instead).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiinfra_iac.observability.grafana import dashboard_files, load_dashboard, queries
from aiinfra_iac.observability.promql import metric_names

EFA_SCRIPT = Path(__file__).parents[2] / "roles" / "observability" / "files" / "aiinfra-efa-metrics.py"
PROMETHEUS = shutil.which("prometheus")
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        PROMETHEUS is None or NODE_EXPORTER is None,
        reason="needs prometheus and prometheus-node-exporter (Debian: apt-get install prometheus "
        "prometheus-node-exporter)",
    ),
]
VALIDATION = """\
# HELP aiinfra_validation_check_passed 1 when the check passed on the node, 0 when it failed.
# TYPE aiinfra_validation_check_passed gauge
aiinfra_validation_check_passed{check="nccl:cpu:all_reduce:node",cluster="sbx",node="cpu-0"} 1
aiinfra_validation_check_passed{check="gpu_burn:cpu",cluster="sbx",node="cpu-1"} 0
aiinfra_validation_check_passed{check="snapshot:cpu",cluster="sbx",node="cpu-1"} 0
# HELP aiinfra_validation_value Measured value of the check.
# TYPE aiinfra_validation_value gauge
aiinfra_validation_value{check="nccl:cpu:all_reduce:node",cluster="sbx",node="cpu-0"} 1.25
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as response:
        loaded: dict[str, object] = json.loads(response.read())
    return loaded


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("prom")
    textfiles = root / "textfile"
    textfiles.mkdir()
    (textfiles / "aiinfra_validation.prom").write_text(VALIDATION)
    # EFA counters as the observability role's script writes them, from a fake sysfs tree
    hw = root / "sys" / "class" / "infiniband" / "rdmap16s27" / "ports" / "1" / "hw_counters"
    hw.mkdir(parents=True)
    counters = ("tx_bytes", "rx_bytes", "rdma_read_bytes", "rdma_write_bytes", "retrans_pkts", "rx_drops")
    for counter in counters:
        (hw / counter).write_text("12345\n")
    efa = ["--sysfs", str(root / "sys"), "--output", str(textfiles / "efa.prom")]
    subprocess.run([sys.executable, str(EFA_SCRIPT), *efa], check=True)
    exporter_port, prometheus_port = _free_port(), _free_port()
    config = root / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n  - job_name: node\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
    )
    processes = [
        subprocess.Popen(
            [
                str(NODE_EXPORTER),
                f"--web.listen-address=127.0.0.1:{exporter_port}",
                f"--collector.textfile.directory={textfiles}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                str(PROMETHEUS),
                f"--config.file={config}",
                f"--storage.tsdb.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    base = f"http://127.0.0.1:{prometheus_port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        samples = 0
        while time.monotonic() < deadline and samples < 6:
            time.sleep(1)
            try:
                found = _get(f"{base}/query?query=" + urllib.parse.quote("count_over_time(up[1m])"))
            except OSError:
                continue
            result = found["data"]["result"]  # type: ignore[index]
            samples = int(float(result[0]["value"][1])) if result else 0
        assert samples >= 6, "Prometheus did not scrape node_exporter six times within a minute"
        yield base
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _concrete(query: str) -> str:
    query = query.replace("$__rate_interval", "5s").replace("$cluster", "sbx")
    return re.sub(r"\$\w+", ".*", query)


def test_queries_over_present_metrics_return_data(prometheus: str) -> None:
    present = set(_get(f"{prometheus}/label/__name__/values")["data"])  # type: ignore[arg-type]
    assert {"aiinfra_validation_check_passed", "node_network_transmit_bytes_total"} <= present
    assert {"aiinfra_efa_tx_bytes_total", "aiinfra_efa_retrans_pkts_total"} <= present
    checked: list[str] = []
    empty: list[str] = []
    for path in dashboard_files():
        for query in queries(load_dashboard(path)):
            if query.startswith("label_values(") or not metric_names(query) <= present:
                continue
            found = _get(f"{prometheus}/query?query=" + urllib.parse.quote(_concrete(query)))
            checked.append(query)
            if not found["data"]["result"]:  # type: ignore[index]
                empty.append(query)
    print(f"{len(checked)} dashboard queries returned data")
    assert len(checked) >= 9, checked
    assert empty == []


def test_failed_check_and_drift_are_visible(prometheus: str) -> None:
    failing = _get(
        f"{prometheus}/query?query="
        + urllib.parse.quote('count(aiinfra_validation_check_passed{cluster=~"sbx"} == 0)')
    )
    assert failing["data"]["result"][0]["value"][1] == "2"  # type: ignore[index]
