"""Preflight findings and the report: JSON shape and text lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["ok", "warning", "problem", "unverified"]
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Finding:
    """One preflight result: check ID (``PF1xx``), status, the AWS resource, what and how to fix."""

    id: str
    status: Status
    resource: str
    message: str
    fix: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "status": self.status,
            "resource": self.resource,
            "message": self.message,
            "fix": self.fix,
        }

    def line(self) -> str:
        fix = f" — fix: {self.fix}" if self.fix else ""
        return f"{self.status.upper():10} {self.id} {self.resource}: {self.message}{fix}"


@dataclass(frozen=True)
class ScheduleEntry:
    """When a capacity-block pool scales up and in (from the reservation's times)."""

    pool: str
    reservation_id: str
    start: str
    end: str


@dataclass
class PreflightReport:
    cluster: str
    region: str
    availability_zone: str
    findings: list[Finding] = field(default_factory=list)
    schedule: list[ScheduleEntry] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.status == "problem" for f in self.findings)

    def as_json(self) -> dict[str, object]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "cluster": self.cluster,
            "region": self.region,
            "availabilityZone": self.availability_zone,
            "ok": self.ok,
            "checks": [f.as_json() for f in self.findings],
            "schedule": [
                {"pool": s.pool, "reservationId": s.reservation_id, "start": s.start, "end": s.end}
                for s in self.schedule
            ],
        }

    def text(self) -> str:
        lines = [f.line() for f in self.findings]
        lines += [
            f"SCHEDULE   pool {s.pool} ({s.reservation_id}): scale up {s.start}, in before {s.end}"
            for s in self.schedule
        ]
        counts = {
            s: sum(1 for f in self.findings if f.status == s) for s in ("problem", "unverified", "warning")
        }
        verdict = "ok" if self.ok else "problems found"
        lines.append(
            f"preflight {self.cluster} ({self.region}/{self.availability_zone}): {verdict} — "
            f"{counts['problem']} problem(s), {counts['unverified']} unverified, "
            f"{counts['warning']} warning(s)"
        )
        return "\n".join(lines)
