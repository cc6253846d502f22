"""ansible-lint, production profile, over roles/ (the repo's .ansible-lint); findings grouped per role."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ROLE_DIRS = sorted(p.name for p in (REPO / "roles").iterdir() if p.is_dir() and (p / "tasks").is_dir())

pytestmark = pytest.mark.slow


def _ansible_lint() -> str | None:
    beside = Path(sys.executable).with_name("ansible-lint")
    return str(beside) if beside.exists() else shutil.which("ansible-lint")


@pytest.fixture(scope="module")
def lint() -> tuple[list[dict[str, Any]], str]:
    tool = _ansible_lint()
    if tool is None:
        pytest.skip("ansible-lint not installed")
    proc = subprocess.run(
        [tool, "--profile", "production", "--offline", "-f", "json", "roles/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    try:
        findings = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        pytest.fail(
            f"ansible-lint gave no JSON (rc={proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return findings, proc.stderr


def test_lint_looked_at_the_roles(lint: tuple[list[dict[str, Any]], str]) -> None:
    _, stderr = lint
    match = re.search(r"in (\d+) files processed", stderr)
    assert match is not None, stderr[-2000:]
    assert int(match.group(1)) >= 5 * len(ROLE_DIRS)


@pytest.mark.parametrize("role", ROLE_DIRS)
def test_role_is_lint_clean(role: str, lint: tuple[list[dict[str, Any]], str]) -> None:
    findings, _ = lint
    mine = [
        f"{f['location']['path']}:{f['location'].get('positions', {}).get('begin', {}).get('line', '?')} "
        f"{f['check_name']}: {f['description']}"
        for f in findings
        if f.get("location", {}).get("path", "").startswith(f"roles/{role}/")
    ]
    assert not mine, "\n".join(mine)
