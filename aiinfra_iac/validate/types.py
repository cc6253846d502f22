"""Records passed between the validation runners, parsers, rules and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from aiinfra_iac.validate.provenance import Provenance

SCHEMA_VERSION = 2
"""``validate --format json``: 2 added ``schemaVersion``, ``provenance`` and the ``unreachable``/
``snapshot`` check kinds; the keys of version 1 (``cluster``, ``verdict``, ``checks[]``) are unchanged."""

CheckStatus = Literal["pass", "warn", "fail"]
CheckKind = Literal["gpu_burn", "nccl", "rdma", "dcgm", "layout", "unreachable", "snapshot"]
"""``layout``: a finding about the results directory itself (a folder that is no node of the plan);
``unreachable``: a node that could not be reached or lacks a tool (one result, with the cause);
``snapshot``: the node's recorded state (GPUs, driver, HCAs, MTU, NCCL, kernel args) vs the plan."""

_SEVERITY: dict[str, int] = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class CheckResult:
    """One judged check; its JSON form is the ``checks[]`` entry of ``validate --format json``."""

    id: str
    """Stable: ``<kind>:<pool>:<detail>`` from the plan, plus the node, e.g. ``nccl:train:all_reduce``."""
    node: str
    """Node name, or ``_cluster`` for a multi-node run."""
    pool: str
    kind: CheckKind
    status: CheckStatus
    measured: float | None
    expected: float | None
    unit: str
    detail: str

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "node": self.node,
            "pool": self.pool,
            "kind": self.kind,
            "status": self.status,
            "measured": self.measured,
            "expected": self.expected,
            "unit": self.unit,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Verdict:
    """The judgement of a whole results directory."""

    cluster: str
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)
    provenance: Provenance | None = field(default=None, compare=False)
    durations: dict[str, float] = field(default_factory=dict, compare=False)
    """Check id → seconds the tool ran (as its output says), else the seconds spent judging it."""

    @property
    def verdict(self) -> CheckStatus:
        worst = max((_SEVERITY[c.status] for c in self.checks), default=2)
        return ("pass", "warn", "fail")[worst]

    @property
    def unreachable(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.kind == "unreachable")

    def as_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "schemaVersion": SCHEMA_VERSION,
            "cluster": self.cluster,
            "verdict": self.verdict,
            "checks": [c.as_json() for c in self.checks],
        }
        if self.provenance is not None:
            doc["provenance"] = self.provenance.as_json()
        return doc
