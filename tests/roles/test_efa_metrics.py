"""aiinfra-efa-metrics (observability role): EFA hw_counters from a fake sysfs tree to textfile metrics.

The tree has the kernel's layout and file format (one decimal integer and a newline per file,
/sys/class/infiniband/<dev>/ports/<port>/hw_counters/<name>, plus the ``lifespan`` setting) for two
EFA devices and one mlx5 HCA the script must leave to node_exporter's infiniband collector.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aiinfra_iac.observability.grafana import known_metrics

SCRIPT = Path(__file__).parents[2] / "roles" / "observability" / "files" / "aiinfra-efa-metrics.py"
PROMTOOL = shutil.which("promtool")
COUNTERS = {
    "rdmap16s27": {"tx_bytes": 1_234_567_890_123, "rx_bytes": 987_654_321, "tx_pkts": 1000, "rx_pkts": 900,
                   "rx_drops": 3, "retrans_pkts": 7, "rdma_read_bytes": 4096, "rdma_write_bytes": 8192},
    "rdmap17s27": {"tx_bytes": 5, "rx_bytes": 6, "tx_pkts": 1, "rx_pkts": 1,
                   "rx_drops": 0, "retrans_pkts": 0, "rdma_read_bytes": 0, "rdma_write_bytes": 0},
}  # fmt: skip


def fake_sysfs(root: Path) -> Path:
    for device, counters in COUNTERS.items():
        hw = root / "class" / "infiniband" / device / "ports" / "1" / "hw_counters"
        hw.mkdir(parents=True)
        for name, value in counters.items():
            (hw / name).write_text(f"{value}\n")
        (hw / "lifespan").write_text("10\n")
    mlx = root / "class" / "infiniband" / "mlx5_0" / "ports" / "1" / "hw_counters"
    mlx.mkdir(parents=True)
    (mlx / "out_of_buffer").write_text("42\n")
    return root


def run(sysfs: Path, output: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(SCRIPT), "--sysfs", str(sysfs), "--output", str(output)]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            out[series] = float(value)
    return out


def test_every_efa_port_counter_becomes_a_labelled_counter(tmp_path: Path) -> None:
    output = tmp_path / "textfile" / "aiinfra_efa.prom"
    output.parent.mkdir()
    proc = run(fake_sysfs(tmp_path / "sys"), output)
    assert proc.returncode == 0, proc.stderr
    text = output.read_text()
    got = samples(text)
    assert got['aiinfra_efa_tx_bytes_total{device="rdmap16s27",port="1"}'] == 1_234_567_890_123
    assert got['aiinfra_efa_retrans_pkts_total{device="rdmap16s27",port="1"}'] == 7
    assert got['aiinfra_efa_rx_drops_total{device="rdmap17s27",port="1"}'] == 0
    assert got["aiinfra_efa_devices"] == 2 and got["aiinfra_efa_scrape_error"] == 0
    assert "# TYPE aiinfra_efa_tx_bytes_total counter" in text
    # lifespan is a setting, and the mlx5 HCA is the infiniband collector's
    assert "lifespan" not in text and "mlx5_0" not in text and "out_of_buffer" not in text
    assert len([s for s in got if s.startswith("aiinfra_efa_") and s.endswith('port="1"}')]) == 16
    assert sorted(p.name for p in output.parent.iterdir()) == ["aiinfra_efa.prom"]  # no temp file left


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian: prometheus)")
def test_output_passes_promtool_check_metrics(tmp_path: Path) -> None:
    output = tmp_path / "aiinfra_efa.prom"
    assert run(fake_sysfs(tmp_path / "sys"), output).returncode == 0
    proc = subprocess.run(
        [str(PROMTOOL), "check", "metrics"], input=output.read_text(), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_unreadable_counter_is_reported_not_fatal(tmp_path: Path) -> None:
    sysfs = fake_sysfs(tmp_path / "sys")
    (sysfs / "class/infiniband/rdmap17s27/ports/1/hw_counters/tx_bytes").write_text("not a number\n")
    output = tmp_path / "aiinfra_efa.prom"
    assert run(sysfs, output).returncode == 0
    got = samples(output.read_text())
    assert got["aiinfra_efa_scrape_error"] == 1
    assert 'aiinfra_efa_tx_bytes_total{device="rdmap17s27",port="1"}' not in got
    assert got['aiinfra_efa_tx_bytes_total{device="rdmap16s27",port="1"}'] == 1_234_567_890_123


def test_node_without_efa_writes_zero_devices(tmp_path: Path) -> None:
    output = tmp_path / "aiinfra_efa.prom"
    assert run(tmp_path / "empty-sys", output).returncode == 0
    assert samples(output.read_text()) == {"aiinfra_efa_devices": 0, "aiinfra_efa_scrape_error": 0}


def test_missing_textfile_directory_is_a_clear_error(tmp_path: Path) -> None:
    proc = run(tmp_path, tmp_path / "nowhere" / "aiinfra_efa.prom")
    assert proc.returncode == 2
    assert "nowhere: no such directory" in proc.stderr and "Traceback" not in proc.stderr


def test_dashboard_efa_metrics_are_the_ones_the_script_writes(tmp_path: Path) -> None:
    """Every aiinfra_efa_* name in the known-metrics list is one the script derives from a driver counter."""
    listed = {m for m in known_metrics("aiinfra") if m.startswith("aiinfra_efa_")}
    assert {"aiinfra_efa_tx_bytes_total", "aiinfra_efa_retrans_pkts_total", "aiinfra_efa_devices"} <= listed
    output = tmp_path / "aiinfra_efa.prom"
    assert run(fake_sysfs(tmp_path / "sys"), output).returncode == 0
    written = {s.split("{")[0] for s in samples(output.read_text())}
    assert listed <= written
