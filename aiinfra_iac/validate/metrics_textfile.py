"""The verdict as Prometheus gauges for the node_exporter textfile collector.

Each node gets ``<textfile dir>/aiinfra_validation.prom`` with its own checks; checks of a whole
pool (node ``_cluster``) go to the collecting node's file (the controller in the sandbox). Files
are replaced atomically (written beside, then renamed), as the textfile collector documents:
https://github.com/prometheus/node_exporter#textfile-collector . The shipped alert rule
``ValidationCheckFailed`` fires on ``aiinfra_validation_check_passed == 0``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

from aiinfra_iac.validate.types import CheckResult, Verdict

FILE_NAME = "aiinfra_validation.prom"
CLUSTER_NODE = "_cluster"

_HELP = {
    "aiinfra_validation_check_passed": "1 when the validation check passed or warned, 0 when it failed.",
    "aiinfra_validation_check_measured": "The value the validation check measured, in its unit.",
    "aiinfra_validation_verdict_passed": "1 when the last validation of the cluster did not fail.",
    "aiinfra_validation_last_run_timestamp_seconds": "When the last validation finished (Unix time).",
}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def node_text(verdict: Verdict, checks: list[CheckResult], now: float) -> str:
    """The exposition text of one node's file: its checks plus the cluster verdict."""
    lines: list[str] = []
    series: dict[str, list[str]] = {name: [] for name in _HELP}
    for check in checks:
        labels = _labels(check=check.id, node=check.node, pool=check.pool, cluster=verdict.cluster)
        series["aiinfra_validation_check_passed"].append(f"{labels} {0 if check.status == 'fail' else 1}")
        if check.measured is not None:
            unit_labels = labels[:-1] + f',unit="{_escape(check.unit)}"}}'
            series["aiinfra_validation_check_measured"].append(f"{unit_labels} {check.measured:g}")
    cluster = _labels(cluster=verdict.cluster)
    series["aiinfra_validation_verdict_passed"].append(f"{cluster} {0 if verdict.verdict == 'fail' else 1}")
    series["aiinfra_validation_last_run_timestamp_seconds"].append(f"{cluster} {now:.0f}")
    for name, samples in series.items():
        if samples:
            lines += [f"# HELP {name} {_HELP[name]}", f"# TYPE {name} gauge"]
            lines += [f"{name}{sample}" for sample in samples]
    return "\n".join(lines) + "\n"


def write_textfiles(
    verdict: Verdict, textfile_dirs: Mapping[str, Path], *, cluster_node: str, now: float | None = None
) -> list[Path]:
    """Write every node's file (nodes without checks get the verdict only, so no old gauge lingers)."""
    stamp = time.time() if now is None else now
    by_node: dict[str, list[CheckResult]] = {node: [] for node in textfile_dirs}
    for check in verdict.checks:
        owner = check.node if check.node in by_node else cluster_node
        by_node.setdefault(owner, []).append(check)
    written: list[Path] = []
    for node, directory in textfile_dirs.items():
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / FILE_NAME
        partial = directory / f".{FILE_NAME}.{os.getpid()}"
        partial.write_text(node_text(verdict, by_node[node], stamp), encoding="utf-8")
        os.replace(partial, target)
        written.append(target)
    return written
