"""``--bases DIR`` on every command that loads a blueprint: ``extends:`` may read a shared base library
outside the repository only where it is allowed, and a refused base is never echoed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiinfra_iac.blueprint.confine import BASES_ENV

from ._cli import LOCAL, invoke

CANARY = "# canary-line-of-the-shared-base"
# command -> extra arguments that keep it offline and quick (no cloud, no confirmation, own state)
COMMANDS: dict[str, list[str]] = {
    "check": [],
    "plan": [],
    "explain": [],
    "status": [],
    "preflight": [],
    "up": [],  # without --yes and without a terminal it stops at the confirmation (exit 2)
    "down": ["--yes"],
    "diff": [],
    "validate": ["--results", "{results}"],
}


@pytest.fixture
def team_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(BASES_ENV, raising=False)  # restored after the test: --bases sets it in process
    monkeypatch.setenv("AIINFRA_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "base.yaml").write_text(CANARY + "\n" + LOCAL.read_text())
    (tmp_path / "repo").mkdir()
    (tmp_path / "results").mkdir()
    team = tmp_path / "repo" / "team.yaml"
    team.write_text(
        "apiVersion: aiinfra/v1\nkind: Cluster\nmetadata: {name: team-a}\nextends: [../shared/base.yaml]\n"
    )
    return team


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_confines_extends_unless_bases_allows(
    team_file: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = [a.format(results=team_file.parents[1] / "results") for a in COMMANDS[command]]
    code, out, err = invoke(command, team_file, *extra)
    assert code == 1, out + err
    assert "--bases DIR" in out + err and "AI009" in out + err
    assert CANARY not in out + err  # the refused file is never read out
    code, out, err = invoke(command, team_file, *extra, "--bases", team_file.parents[1] / "shared")
    assert "--bases DIR" not in out + err and "AI009" not in out + err, out + err
    assert code in (0, 1, 2), out + err  # past the load: the command's own outcome


def test_bases_last_only_as_long_as_the_command(team_file: Path) -> None:
    """One process may run several commands (tests, a notebook): --bases of one does not widen the next."""
    shared = team_file.parents[1] / "shared"
    code, out, err = invoke("check", team_file, "--bases", shared)
    assert code == 0, out + err
    assert BASES_ENV not in os.environ
    code, out, err = invoke("check", team_file)
    assert code == 1 and "AI009" in out + err
