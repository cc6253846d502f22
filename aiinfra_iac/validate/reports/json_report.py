"""The verdict JSON of DESIGN.md: ``{"cluster", "verdict", "checks": [...]}``."""

from __future__ import annotations

import json

from aiinfra_iac.validate.types import Verdict


def to_json(verdict: Verdict) -> str:
    return json.dumps(verdict.as_json(), indent=2) + "\n"
