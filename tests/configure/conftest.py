"""The configure tests reuse the role tests' chroot harness (tests/roles/harness.py)."""

from __future__ import annotations

import sys
from pathlib import Path

_ROLES_TESTS = str(Path(__file__).resolve().parents[1] / "roles")
if _ROLES_TESTS not in sys.path:
    sys.path.insert(0, _ROLES_TESTS)
