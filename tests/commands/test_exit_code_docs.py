"""README's command table and each command's ``--help`` state the same exit codes."""

from __future__ import annotations

import re

import pytest

from ._cli import ROOT, invoke


def readme_exit_codes(command: str) -> str:
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith(f"| `aiinfra {command} "):
            return line.rstrip(" |").rsplit(" | ", 1)[1]
    raise AssertionError(f"no README row for {command}")


@pytest.mark.parametrize("command", ["up", "down", "validate", "diff"])
def test_help_and_readme_agree(command: str) -> None:
    code, out, _ = invoke(command, "--help")
    assert code == 0
    flat = re.sub(r"[\s│]+", " ", out)
    assert f"Exit codes: {readme_exit_codes(command)}." in flat
