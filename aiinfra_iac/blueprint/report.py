"""Rendering of ``aiinfra check`` results: compiler-style text with the offending line, or JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from rich.console import Console

from aiinfra_iac.blueprint.confine import is_blueprint_source
from aiinfra_iac.blueprint.locpath import parse_loc
from aiinfra_iac.blueprint.yaml_source import UnreadableFileError, read_text
from aiinfra_iac.errors import Problem
from aiinfra_iac.terminal import markup

CHECK_SCHEMA_VERSION = 1
"""Version of the check JSON document; bumped only when a key changes meaning or goes away."""


def json_report(problems: Sequence[Problem]) -> str:
    """``{"schemaVersion", "ok", "errors": [...], "warnings": [...]}`` as DESIGN.md fixes it."""
    errors = [p.as_json() for p in problems if p.level == "error"]
    warnings = [p.as_json() for p in problems if p.level != "error"]
    document = {"schemaVersion": CHECK_SCHEMA_VERSION, "ok": not errors, "errors": errors}
    return json.dumps({**document, "warnings": warnings}, indent=2)


@cache
def _file_lines(path: str) -> tuple[str, ...]:
    """Lines of a blueprint file; nothing for a file that is not a regular YAML file (an error
    about ``extends: [/etc/shadow]`` must never quote that file) or larger than a blueprint."""
    if not is_blueprint_source(path):
        return ()
    try:
        return tuple(read_text(Path(path)).splitlines())
    except UnreadableFileError:
        return ()


def source_excerpt(path: str | None, line: int | None, key: str | None = None) -> list[str]:
    """The line ``line`` of ``path`` and a caret underline below ``key: value`` (rustc style).

    Without ``key`` (or where the key is not on that line) the whole entry is underlined.
    """
    if path is None or line is None:
        return []
    lines = _file_lines(path)
    if not 1 <= line <= len(lines):
        return []
    text = lines[line - 1].rstrip()
    start, end = _span(text, key)
    gutter = " " * len(str(line))
    return [f"{gutter} |", f"{line} | {text}", f"{gutter} | {' ' * start}{'^' * max(1, end - start)}"]


def _span(text: str, key: str | None) -> tuple[int, int]:
    content = re.sub(r"\s+#.*$", "", text)
    if key is not None:
        found = re.search(rf"(?:^|[\s{{,\-])[\"']?({re.escape(key)})[\"']?\s*:", content)
        if found:
            return found.start(1), found.end() + _value_length(content[found.end() :])
    start = len(content) - len(content.lstrip(" -"))
    return start, len(content)


def _value_length(rest: str) -> int:
    """Length of the YAML value at the start of ``rest`` (a flow collection counts whole)."""
    depth = 0
    for index, char in enumerate(rest):
        if char in "[{":
            depth += 1
        elif char in "]}":
            if depth == 0:
                return len(rest[:index].rstrip())
            depth -= 1
            if depth == 0:
                return index + 1
        elif char == "," and depth == 0:
            return len(rest[:index].rstrip())
    return len(rest.rstrip())


def _last_key(loc: str) -> str | None:
    parts = parse_loc(loc) if loc else ()
    return parts[-1] if parts and isinstance(parts[-1], str) else None


def print_text_report(console: Console, problems: Sequence[Problem], files: Sequence[str]) -> None:
    """One ``file:line: level ID loc: message`` block per problem, then a summary line."""
    for problem in problems:
        color = "red" if problem.level == "error" else "yellow"
        where = f"{problem.file or '?'}:{problem.line}" if problem.line else f"{problem.file or '?'}"
        loc = f" {problem.loc}" if problem.loc else ""
        console.print(
            f"[bold]{markup(where)}:[/bold] [bold {color}]{problem.level} {problem.id}[/bold {color}]"
            f"[bold]{markup(loc)}:[/bold] {markup(problem.message)}"
        )
        excerpt = source_excerpt(problem.file, problem.line, _last_key(problem.loc))
        for index, text in enumerate(excerpt):
            # the third line is the caret underline; the others hold the user's text
            style = color if index == 2 else "blue"
            console.print(f"[{style}]{markup(text)}[/{style}]")
    errors = sum(1 for p in problems if p.level == "error")
    warnings = len(problems) - errors
    checked = f"{len(files)} file" + ("s" if len(files) != 1 else "")
    if errors:
        console.print(
            f"[bold red]invalid:[/bold red] {checked} checked, "
            f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
        )
    else:
        console.print(f"[bold green]ok:[/bold green] {checked} checked, {_count(warnings, 'warning')}")


def _count(number: int, word: str) -> str:
    return f"{number} {word}" + ("" if number == 1 else "s")
