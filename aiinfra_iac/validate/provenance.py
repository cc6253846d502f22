"""Where a verdict comes from: when, by which aiinfra, on which blueprint (file + sha256), what
each node ran (driver/CUDA/NCCL/nccl-tests/perftest/DCGM versions, GPUs and HCAs seen), and
whether the CPU fallback produced the numbers (then it is no GPU acceptance)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan

CPU_BANNER = "CPU fallback — not a GPU acceptance"


@dataclass(frozen=True)
class Provenance:
    timestamp: str
    aiinfra_version: str
    blueprint: str | None
    blueprint_sha256: str | None
    results_dir: str
    cpu_fallback: bool
    nodes: dict[str, dict[str, object]] = field(default_factory=dict)
    """node → ``{"versions": {tool: version}, "gpus": [...], "hcas": [...]}`` as seen in its results."""

    def as_json(self) -> dict[str, object]:
        return {
            "timestamp": self.timestamp,
            "aiinfraVersion": self.aiinfra_version,
            "blueprint": {"file": self.blueprint, "sha256": self.blueprint_sha256},
            "resultsDir": self.results_dir,
            "cpuFallback": self.cpu_fallback,
            "banner": CPU_BANNER if self.cpu_fallback else None,
            "nodes": self.nodes,
        }


def _sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def is_cpu_fallback(plan: ClusterPlan) -> bool:
    """True when any check ran on a GPU-less pool (the sandbox's matmul burn and gloo all-reduce)."""
    return any(plan.pool(c.pool).gpu is None for c in plan.validation)


def build(
    plan: ClusterPlan, results_dir: Path, facts: dict[str, dict[str, object]], now: dt.datetime | None = None
) -> Provenance:
    from aiinfra_iac import __version__

    blueprint = plan.source_files[0] if plan.source_files else None
    return Provenance(
        timestamp=(now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        aiinfra_version=__version__,
        blueprint=blueprint,
        blueprint_sha256=_sha256(blueprint) if blueprint else None,
        results_dir=str(results_dir),
        cpu_fallback=is_cpu_fallback(plan),
        nodes={node: facts[node] for node in sorted(facts)},
    )


def merge(into: dict[str, dict[str, object]], node: str, found: dict[str, object]) -> None:
    """Fold one result's facts into the node's record (versions merged, lists de-duplicated)."""
    record = into.setdefault(node, {"versions": {}, "gpus": [], "hcas": []})
    for key, value in found.items():
        if key in ("gpus", "hcas") and isinstance(value, list):
            current = record[key]
            assert isinstance(current, list)
            current.extend(v for v in value if v not in current)
        elif isinstance(value, str) and value:
            versions = record["versions"]
            assert isinstance(versions, dict)
            versions.setdefault(key, value)
