"""Markup and terminal escape sequences from blueprints and results are shown, never interpreted:
``check`` text, ``plan`` text/markdown and ``validate`` text."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from aiinfra_iac.cli import app
from aiinfra_iac.lifecycle.plan_report import print_text, render_markdown
from aiinfra_iac.terminal import markup, plain

HOSTILE = [
    "Bad^Name[/]",
    "[link=https://evil.example]click[/link]",
    "\x1b[2J",
    "\x1b]8;;https://evil\x07x",
    "[/]",
]
RAW = ["\x1b[2J", "\x1b]8;;https://evil", "\x1b]8;id="]
"""Sequences that must never reach the terminal (clear screen, OSC 8 hyperlinks)."""


def assert_inert(out: str) -> None:
    for sequence in RAW:
        assert sequence not in out, repr(sequence)
    assert "Traceback" not in out and "MarkupError" not in out


def test_helpers() -> None:
    assert plain("a\x1b[2Jb\n") == "a\\x1b[2Jb\n"
    assert plain("a\nb", newlines=False) == "a\\nb"
    assert markup("Bad^Name[/]") == "Bad^Name\\[/]"
    assert plain("\u202eevil") == "\\u202eevil"


def test_check_text_shows_markup_literally(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: aiinfra/v1\nkind: Cluster\n"
        'metadata: {name: "Bad^Name[/]", team: "[link=https://evil.example]x[/link]"}\n'
        "spec:\n  provider: {type: local}\n"
        '  nodePools: [{name: p, count: 1, labels: {a: "\\e[2J"}}]\n'
        "  scheduler: {type: none}\n"
    )
    for fmt in ("text", "json"):
        result = CliRunner().invoke(app, ["check", "--format", fmt, str(path)], color=True)
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert_inert(result.stdout)
        if fmt == "text":
            assert "Bad^Name[/]" in result.stdout and "\\x1b[2J" in result.stdout
        else:
            assert json.loads(result.stdout)["ok"] is False


def _doc() -> dict[str, object]:
    return {
        "cluster": HOSTILE[0],
        "summary": {"nodes": 1, "gpus": 0, "estimatedHourlyUSD": 0.0},
        "resources": [{"type": HOSTILE[1], "name": HOSTILE[2], "inputs": {}}],
        "configuration": [{"pool": HOSTILE[4], "hosts": [HOSTILE[3]], "roles": [HOSTILE[1]], "vars": {}}],
        "validation": [{"id": HOSTILE[1], "kind": HOSTILE[2], "pool": "p", "expected": None, "unit": ""}],
    }


def test_plan_text_and_markdown() -> None:
    buffer = io.StringIO()
    print_text(Console(file=buffer, force_terminal=True, width=300, highlight=False), _doc())
    out = buffer.getvalue()
    assert_inert(out)
    assert "Bad^Name[/]" in out and "[link=https://evil.example]" in out
    markdown = render_markdown(_doc())
    assert_inert(markdown)
    assert "\\x1b[2J" in markdown


def test_validate_text_shows_hostile_node_folders(tmp_path: Path) -> None:
    blueprint = tmp_path / "bp.yaml"
    blueprint.write_text(
        "apiVersion: aiinfra/v1\nkind: Cluster\nmetadata: {name: demo}\n"
        "spec:\n  provider: {type: local}\n  nodePools: [{name: p, count: 1}]\n  scheduler: {type: none}\n"
    )
    results = tmp_path / "results"
    # a folder name cannot hold "/", so no closing tag; an opening one must still print as text
    for name in ["Bad^Name[bold]", "[link=https:__evil]n", "x\x1b[2Jy", "o\x1b]8;;https:__evil\x07z"]:
        (results / name).mkdir(parents=True)
        (results / name / "gpu_burn.log").write_text(f"{name}\x1b[2J\n")
    result = CliRunner().invoke(
        app, ["validate", str(blueprint), "--results", str(results)], color=True, env={"COLUMNS": "400"}
    )
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert_inert(result.stdout + result.stderr)
    assert "Bad^Name[bold]" in result.stdout and "[link=https:__evil]n" in result.stdout
