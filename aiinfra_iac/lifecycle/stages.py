"""Which stages of ``aiinfra up`` finished for a stack, so an interrupted ``up`` resumes.

One JSON file per stack, ``<state>/<stack>/stages.json`` (mode 0600), holding the
completed stages and a fingerprint of the blueprint files. When any file of the blueprint
(or a base it extends) changes, the fingerprint changes and every stage runs again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from aiinfra_iac.deployment.paths import stack_dir
from aiinfra_iac.plan.model import ClusterPlan

Stage = Literal["provision", "configure", "validate"]
STAGES: tuple[Stage, ...] = ("provision", "configure", "validate")


def fingerprint(plan: ClusterPlan) -> str:
    """SHA-256 over the plan's name and the bytes of every file it was built from (blueprint, bases,
    ``spec.catalog``)."""
    digest = hashlib.sha256(plan.name.encode())
    for name in plan.source_files:
        digest.update(name.encode())
        try:
            digest.update(Path(name).read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


@dataclass
class StageRecord:
    path: Path
    fingerprint: str
    completed: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, state: Path, plan: ClusterPlan) -> StageRecord:
        path = stack_dir(state, plan) / "stages.json"
        current = fingerprint(plan)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return cls(path, current)
        if not isinstance(data, dict) or data.get("fingerprint") != current:
            return cls(path, current)
        done = [s for s in data.get("completed", []) if s in STAGES]
        return cls(path, current, done)

    def is_done(self, stage: Stage) -> bool:
        return stage in self.completed

    def mark(self, stage: Stage) -> None:
        if stage not in self.completed:
            self.completed.append(stage)
        self._write()

    def reset(self) -> None:
        self.completed = []
        if self.path.exists() or self.path.is_symlink():
            self.path.unlink(missing_ok=True)

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path.parent.chmod(0o700)
        payload = json.dumps({"fingerprint": self.fingerprint, "completed": self.completed}, indent=2)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(payload + "\n")
        self.path.chmod(0o600)
