"""``extends:`` reads only YAML files inside the blueprint's repository (or allowed base
directories), follows no symlink out, and an error about a refused file never prints its content."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra_iac.cli import app

HEAD = "apiVersion: aiinfra/v1\nkind: Cluster\nmetadata: {name: demo}\n"
BODY = "spec:\n  provider: {type: local}\n  nodePools: [{name: p, count: 1}]\n  scheduler: {type: none}\n"
SECRET = "not-a-blueprint: s3cr3t-value-42"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """``tmp/repo`` (a git work tree) and ``tmp/outside/base.yaml`` holding a secret."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "clusters").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "base.yaml").write_text(SECRET + "\n" + BODY.replace("ray", "rayy"))
    return root


def check(blueprint: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["check", *extra, str(blueprint)], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout


def blueprint(repo: Path, extends: str) -> Path:
    path = repo / "clusters" / "c.yaml"
    path.write_text(HEAD + f"extends: [{extends!r}]\n" + BODY)
    return path


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("target", ["/etc/shadow", "/etc/passwd", "/etc/hostname", "/proc/self/environ"])
def test_system_files_are_refused_without_content(repo: Path, target: str, fmt: str) -> None:
    code, out = check(blueprint(repo, target), "--format", fmt)
    assert code == 1 and "AI009" in out
    if Path(target).is_file() and os.access(target, os.R_OK):
        for line in Path(target).read_text(errors="replace").splitlines():
            if len(line.strip()) > 6:
                assert line not in out


def test_relative_path_out_of_the_repository_is_refused(repo: Path) -> None:
    code, out = check(blueprint(repo, "../../outside/base.yaml"))
    assert code == 1 and "AI009" in out and "outside the blueprint's repository" in out
    assert "s3cr3t" not in out


def test_symlink_out_of_the_repository_is_refused(repo: Path) -> None:
    (repo / "clusters" / "base.yaml").symlink_to(repo.parent / "outside" / "base.yaml")
    code, out = check(blueprint(repo, "base.yaml"))
    assert code == 1 and "through a symlink" in out and "s3cr3t" not in out


def test_symlinked_top_level_file_out_of_the_repository_is_refused(repo: Path) -> None:
    link = repo / "clusters" / "evil.yaml"
    link.symlink_to(repo.parent / "outside" / "base.yaml")
    code, out = check(link)
    assert code == 1 and "AI009" in out and "s3cr3t" not in out


def test_symlink_to_a_non_yaml_file_inside_is_refused(repo: Path) -> None:
    (repo / "notes.txt").write_text(SECRET + "\n")
    (repo / "clusters" / "base.yaml").symlink_to(repo / "notes.txt")
    code, out = check(blueprint(repo, "base.yaml"))
    assert code == 1 and "AI009" in out and "s3cr3t" not in out


def test_fifo_base_is_refused_without_blocking(repo: Path) -> None:
    os.mkfifo(repo / "clusters" / "pipe.yaml")
    code, out = check(blueprint(repo, "pipe.yaml"))
    assert code == 1 and "not a regular file" in out


def test_bases_inside_the_repository_still_work(repo: Path) -> None:
    (repo / "bases").mkdir()
    (repo / "bases" / "b.yaml").write_text(BODY)
    (repo / "clusters" / "link.yaml").symlink_to(repo / "bases" / "b.yaml")  # a link inside is fine
    assert check(blueprint(repo, "../bases/b.yaml"))[0] == 0
    assert check(blueprint(repo, "link.yaml"))[0] == 0


def test_allowed_base_directories(repo: Path) -> None:
    outside = repo.parent / "outside"
    (outside / "good.yaml").write_text(BODY)
    path = blueprint(repo, str(outside / "good.yaml"))
    assert check(path)[0] == 1
    assert check(path, "--bases", str(outside))[0] == 0
    assert check(path, env={"AIINFRA_BASES": str(outside)})[0] == 0
    # allowed, but a validation error in it is reported with its line (it is a blueprint then)
    code, out = check(blueprint(repo, str(outside / "base.yaml")), "--bases", str(outside))
    assert code == 1 and "AI002" in out
