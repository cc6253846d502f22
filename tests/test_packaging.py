"""The wheel carries roles/, stacks/ and blueprints/, and an installed aiinfra finds them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("aiinfra_iac-*.whl")
    return built


def test_wheel_contains_roles_stacks_and_blueprints(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for role in sorted(p.name for p in (REPO / "roles").iterdir() if (p / "tasks").is_dir()):
        assert f"aiinfra_iac/_bundled/roles/{role}/tasks/main.yml" in names, role
    for blueprint in sorted((REPO / "blueprints").rglob("*.yaml")):
        rel = blueprint.relative_to(REPO).as_posix()
        assert f"aiinfra_iac/_bundled/{rel}" in names, rel
    assert any(n.startswith("aiinfra_iac/_bundled/stacks/") and n.endswith("Pulumi.yaml") for n in names)
    for module in sorted((REPO / "roles" / "library").glob("*.py")):  # the roles' own modules
        assert f"aiinfra_iac/_bundled/roles/library/{module.name}" in names, module.name
    assert "aiinfra_iac/catalog/data/gpus.yaml" in names
    assert "aiinfra_iac/observability/dashboards/aiinfra-gpu.json" in names
    assert "aiinfra_iac/observability/metrics/dcgm-exporter.txt" in names


def test_installed_wheel_finds_its_bundled_folders(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "from aiinfra_iac.resources import bundled_path\n"
        "for name in ('roles', 'stacks', 'blueprints'):\n"
        "    p = bundled_path(name)\n"
        "    assert not p.is_symlink() and any(p.iterdir()), p\n"
        "    print(p)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert all(line.startswith(str(target)) for line in out.stdout.splitlines())
