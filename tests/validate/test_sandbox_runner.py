"""The sandbox runner's pure parts: the in-node ring all-reduce, naming the slow node from pair
tests, the verdict as textfile gauges, and the Prometheus configuration. No root needed."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.provision import sandbox_daemons, sandbox_net
from aiinfra_iac.validate.metrics_textfile import FILE_NAME, write_textfiles
from aiinfra_iac.validate.runners import sandbox_probe
from aiinfra_iac.validate.runners.sandbox_slurm import PAIRS_FILE, link_checks, slow_nodes
from aiinfra_iac.validate.types import CheckResult, Verdict

BLUEPRINT = Path(__file__).resolve().parents[2] / "blueprints" / "local-sandbox.yaml"


def test_ring_allreduce_sums_across_two_ranks() -> None:
    zero_to_one, one_to_zero = socket.socketpair(), socket.socketpair()
    ends = {0: (zero_to_one[0], one_to_zero[1]), 1: (one_to_zero[0], zero_to_one[1])}
    data = {r: np.full(1001, float(r + 1), dtype=np.float32) for r in (0, 1)}
    threads = [
        threading.Thread(target=sandbox_probe._ring_allreduce, args=(*ends[r], data[r], 2, r)) for r in (0, 1)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert all(np.all(data[r] == 3.0) for r in (0, 1))


@pytest.mark.parametrize(
    ("pairs", "named"),
    [
        ([("c0", "c1", 0.006), ("c1", "c2", 0.006), ("c2", "c0", 0.15)], ["c1"]),
        ([("c0", "c1", 0.15), ("c1", "c2", 0.15), ("c2", "c0", 0.15)], []),
        ([("c0", "c1", 0.05), ("c1", "c2", 0.06), ("c2", "c0", 0.07)], []),  # a busy host, no bad node
        ([("c0", "c1", 0.006), ("c1", "c2", 0.4), ("c2", "c0", 0.3)], ["c0", "c1"]),  # one slow link
        ([("c0", "c1", 0.006), ("c1", "c2", 0.15), ("c2", "c3", 0.15), ("c3", "c0", 0.006)], ["c0"]),
    ],
)
def test_slow_node_is_the_one_whose_every_pair_is_slow(
    pairs: list[tuple[str, str, float]], named: list[str]
) -> None:
    assert slow_nodes(pairs, 0.1) == named


def test_link_checks_fail_the_named_node(tmp_path: Path) -> None:
    plan = plan_from_file(BLUEPRINT)[0]
    pairs = [
        {"nodes": ["compute-0", "compute-1"], "GBps": 0.0059},
        {"nodes": ["compute-1", "compute-2"], "GBps": 0.006},
    ]
    doc = {
        "check": "nccl:compute:all_reduce:pool",
        "expectedGBps": 0.1,
        "pairs": pairs,
        "slowNodes": ["compute-1"],
    }
    (tmp_path / "_cluster").mkdir()
    (tmp_path / "_cluster" / PAIRS_FILE).write_text(json.dumps(doc))
    [check] = link_checks(plan, tmp_path)
    assert (check.node, check.status, check.measured) == ("compute-1", "fail", 0.0059)
    assert "compute-0-compute-1 0.0059 GB/s" in check.detail


def _check(node: str, status: str, measured: float | None) -> CheckResult:
    return CheckResult(f"nccl:compute:x:{node}", node, "compute", "nccl", status, measured, 0.1, "GB/s", "")  # type: ignore[arg-type]


def test_textfiles_hold_each_nodes_checks_and_the_verdict(tmp_path: Path) -> None:
    verdict = Verdict("sbx", (_check("compute-1", "fail", 0.006), _check("_cluster", "pass", 0.19)))
    dirs = {n: tmp_path / n for n in ("controller-0", "compute-0", "compute-1")}
    write_textfiles(verdict, dirs, cluster_node="controller-0", now=1700000000)
    one = (dirs["compute-1"] / FILE_NAME).read_text()
    labels = 'check="nccl:compute:x:compute-1",node="compute-1",pool="compute",cluster="sbx"'
    assert f"aiinfra_validation_check_passed{{{labels}}} 0" in one
    assert f'aiinfra_validation_check_measured{{{labels},unit="GB/s"}} 0.006' in one
    assert 'aiinfra_validation_verdict_passed{cluster="sbx"} 0' in one
    assert 'node="_cluster"' in (dirs["controller-0"] / FILE_NAME).read_text()
    zero = (dirs["compute-0"] / FILE_NAME).read_text()
    assert "check_passed{" not in zero and "aiinfra_validation_last_run_timestamp_seconds" in zero
    assert not list(tmp_path.glob("*/.*"))  # written beside, renamed into place


def test_prometheus_scrapes_every_node_with_their_own_labels() -> None:
    plan = plan_from_file(BLUEPRINT)[0]
    nodes = tuple(
        sandbox_net.NodeNet(h, f"ns-{h}", f"v{i}", f"10.9.0.{i + 2}")
        for i, h in enumerate(sandbox_net.hosts_in_plan(plan))
    )
    net = sandbox_net.SandboxNet("id", "br", "10.9.0.0/24", "10.9.0.1", 1500, nodes)
    config = json.loads(sandbox_daemons.prometheus_config(plan, net))
    [job] = config["scrape_configs"]
    assert job["honor_labels"] is True
    assert [t["targets"][0] for t in job["static_configs"]] == [f"10.9.0.{i}:9100" for i in range(2, 6)]
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    assert sandbox_daemons.prometheus_url(plan, net) == "http://10.9.0.2:9090"


def test_exporter_args_come_from_the_roles_defaults_file(tmp_path: Path) -> None:
    (tmp_path / "etc/default").mkdir(parents=True)
    (tmp_path / "etc/default/prometheus-node-exporter").write_text(
        '# managed\nARGS="--web.listen-address=:9100 --collector.textfile.directory=/var/lib/x"\n'
    )
    assert sandbox_daemons.exporter_args(tmp_path) == [
        "--web.listen-address=:9100",
        "--collector.textfile.directory=/var/lib/x",
    ]
    with pytest.raises(sandbox_daemons.SandboxServiceError, match="observability role has not run"):
        sandbox_daemons.exporter_args(tmp_path / "nowhere")
