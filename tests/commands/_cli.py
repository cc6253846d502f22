"""Run ``aiinfra`` commands: in process (CliRunner) or as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from aiinfra_iac.cli import app

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = ROOT / "blueprints"
P5 = BLUEPRINTS / "h100-p5-eks-fsx-training.yaml"
ONPREM = BLUEPRINTS / "h100-onprem-ib-slurm.yaml"
LOCAL = BLUEPRINTS / "local-host.yaml"
K8S = BLUEPRINTS / "existing-k8s-gpu-network-operator.yaml"
BROKEN = ROOT / "tests" / "blueprint" / "broken" / "ai002_unknown_key.yaml"


def invoke(*args: object, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def run_cli(
    *args: object, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """``python -m aiinfra_iac.cli …`` with stdin closed (no terminal), like a pipeline."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "aiinfra_iac.cli", *map(str, args)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=full_env,
        cwd=cwd,
        check=False,
        timeout=120,
    )


def without_pulumi(tmp_path: Path) -> dict[str, str]:
    """PATH with only the Python interpreter's folder and an empty HOME: no ``pulumi`` anywhere."""
    return {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(tmp_path),
        "AIINFRA_STATE_DIR": str(tmp_path / "s"),
    }
