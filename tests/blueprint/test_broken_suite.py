"""Every file in broken/ fails `check` with exactly its expected ID, loc, file and line.

Each file's first line is ``# expect: <ID> <loc> [in=<file relative to broken/>]``; the
offending line is marked with ``# <-`` in the file that holds it, so the expected line is
written by hand next to the mistake, not computed by the code under test. Files in risky/
are legal but risky: exit 0 and the expected warning.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bp_cli import run

HERE = Path(__file__).parent
BROKEN = sorted((HERE / "broken").glob("*.yaml"))
RISKY = sorted((HERE / "risky").glob("*.yaml"))


def _expectation(path: Path) -> tuple[str, str, Path, int]:
    match = re.fullmatch(r"# expect: (AI\d{3}) ?(\S*)(?: in=(\S+))?", path.read_text().splitlines()[0])
    assert match, f"{path.name}: first line must be '# expect: AIxxx <loc> [in=<file>]'"
    rule_id, loc, holder = match.groups()
    where = path.parent / holder if holder else path
    marked = [n for n, line in enumerate(where.read_text().splitlines(), 1) if line.rstrip().endswith("# <-")]
    assert len(marked) == 1, f"{where.name}: mark the offending line with '# <-' exactly once"
    return rule_id, loc, where, marked[0]


def test_suite_is_big_enough() -> None:
    assert len(BROKEN) >= 30


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_blueprint_is_rejected(path: Path) -> None:
    rule_id, loc, where, line = _expectation(path)
    result = run("check", "--format", "json", path)
    assert result.exit_code == 1, result.stdout
    report = result.json()
    assert report["ok"] is False
    errors = [(e["id"], e["loc"], Path(e["file"]).resolve(), e["line"]) for e in report["errors"]]
    assert errors == [(rule_id, loc, where.resolve(), line)]
    assert all(e["message"] for e in report["errors"])


@pytest.mark.parametrize("path", BROKEN[:3], ids=[p.stem for p in BROKEN[:3]])
def test_text_output_names_file_line_and_shows_the_line(path: Path) -> None:
    rule_id, _loc, where, line = _expectation(path)
    result = run("check", path)
    assert result.exit_code == 1
    assert f"{where}:{line}: error {rule_id}" in result.stdout
    offending = where.read_text().splitlines()[line - 1]
    assert f"{line} | {offending.rstrip()}" in result.stdout
    assert "^" in result.stdout
    assert "invalid: 1 file checked, 1 error" in result.stdout


@pytest.mark.parametrize("path", RISKY, ids=[p.stem for p in RISKY])
def test_risky_blueprint_warns_but_passes(path: Path) -> None:
    rule_id, loc, _where, line = _expectation(path)
    result = run("check", "--format", "json", path)
    assert result.exit_code == 0, result.stdout
    report = result.json()
    assert report["ok"] is True and report["errors"] == []
    assert [(w["id"], w["loc"], w["line"]) for w in report["warnings"]] == [(rule_id, loc, line)]
