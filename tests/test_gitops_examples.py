"""The CI examples: valid against check-jsonschema's vendored GitHub workflow / GitLab CI
schemas (offline), and the offline commands they call (check, plan --compare) really run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / "examples" / "github-actions").glob("*.yml"))
GITLAB = ROOT / "examples" / "gitlab-ci" / ".gitlab-ci.yml"
OFFLINE = ("aiinfra check", "aiinfra plan")


def _check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("check_jsonschema")
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_github_workflows_are_valid() -> None:
    assert len(WORKFLOWS) == 3
    done = _check_jsonschema("vendor.github-workflows", *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_gitlab_pipeline_is_valid() -> None:
    done = _check_jsonschema("vendor.gitlab-ci", GITLAB)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_checker_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    assert _check_jsonschema("vendor.github-workflows", broken).returncode != 0


def _offline_commands() -> list[tuple[str, str, str]]:
    """(file, blueprint, shell line) for every `aiinfra check|plan` line in the examples."""
    found = []
    for path in [*WORKFLOWS, GITLAB]:
        data: dict[str, Any] = yaml.safe_load(path.read_text())
        blueprint = (data.get("env") or data.get("variables") or {})["BLUEPRINT"]
        scripts: list[str] = []
        for job in (data.get("jobs") or {}).values():
            scripts += [step["run"] for step in job["steps"] if "run" in step]
        scripts += [line for job in data.values() if isinstance(job, dict) for line in job.get("script", [])]
        for script in scripts:
            for line in script.splitlines():
                if line.strip().startswith(OFFLINE):
                    found.append((path.name, blueprint, line.strip()))
    return found


def test_every_example_calls_check_and_plan_compare() -> None:
    lines = [line for _, _, line in _offline_commands()]
    assert any("--warnings-as-errors" in line for line in lines)
    assert any("--compare plan-base.json" in line for line in lines)


@pytest.mark.slow
@pytest.mark.parametrize("command", _offline_commands(), ids=lambda c: f"{c[0]}:{c[2][:30]}")
def test_the_offline_commands_run(tmp_path: Path, command: tuple[str, str, str]) -> None:
    _, blueprint, line = command
    shutil.copytree(ROOT / "blueprints", tmp_path / "blueprints")
    shutil.copytree(ROOT / "blueprints", tmp_path / "base" / "blueprints")
    # the base-branch plan comes first in the pipelines; here it is made up front
    env = {**os.environ, "BLUEPRINT": blueprint, "PYTHONPATH": str(ROOT)}
    script = f'aiinfra() {{ "{sys.executable}" -m aiinfra_iac.cli "$@"; }}\nset -euo pipefail\n'
    if "--compare" in line:
        script += 'aiinfra plan "base/$BLUEPRINT" --format json > plan-base.json\n'
    script += line + "\n"
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    if "--compare" in line:
        assert "- no changes" in (tmp_path / "plan.md").read_text()
