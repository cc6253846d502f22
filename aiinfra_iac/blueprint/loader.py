"""Load a blueprint file: YAML with line numbers, ``extends:`` merge, pydantic validation.

``load_blueprint(path)`` returns a :class:`LoadedBlueprint` whose ``locate(loc)`` names the
file and line each final value came from — the extending file or one of its bases — so
every later problem can point at the line to edit. Every failure is a ``BlueprintError``
holding problems with stable IDs (AI001-AI009; see docs/ARCHITECTURE.md "Check IDs"). A user
catalog named by ``spec.catalog`` is found (and confined) here; its entries are checked when the
catalog is loaded (AI010, :func:`aiinfra_iac.blueprint.checks.catalog_for`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from aiinfra_iac.blueprint.confine import allowed_roots, link_out, refusal
from aiinfra_iac.blueprint.locpath import LocPath, parse_loc
from aiinfra_iac.blueprint.merge import merge_nodes
from aiinfra_iac.blueprint.models import Blueprint
from aiinfra_iac.blueprint.schema_errors import problems_from_validation_error
from aiinfra_iac.blueprint.yaml_source import Node, UnreadableFileError, load_yaml_file, read_text, to_plain
from aiinfra_iac.errors import BlueprintError, Problem

Location = tuple[str | None, int | None]

MAX_EXTENDS_DEPTH = 32
"""Longest ``extends:`` chain (a blueprint, its base, that base's base, …) the loader follows."""


@dataclass(frozen=True)
class LoadedBlueprint:
    """A validated blueprint plus where each of its values was written."""

    blueprint: Blueprint
    source_files: tuple[str, ...]
    """The blueprint file first, then every base it extends (depth-first, each once)."""
    lines: dict[LocPath, tuple[str, int | None]] = field(default_factory=dict, repr=False)
    catalog_file: str | None = None
    """Real path of the user catalog ``spec.catalog`` names (confined like ``extends:``), if any."""

    def locate(self, loc: str | LocPath) -> tuple[str, int | None]:
        """File and line of ``loc`` (``spec.nodePools[0].count`` or a tuple path).

        A path that was not written (a default, a missing key) resolves to its nearest
        written parent; the root resolves to the blueprint file itself.
        """
        return _nearest(self.lines, parse_loc(loc), self.source_files[0])


def load_blueprint(path: Path, *, bases: Sequence[Path] = ()) -> LoadedBlueprint:
    """Load, merge and validate ``path``; raise ``BlueprintError`` on any problem.

    An unreadable top-level file raises ``UnreadableFileError`` (a ``UsageError``, exit 2).
    ``extends:`` reads only inside the blueprint's repository or ``bases`` (see :mod:`.confine`).
    """
    sources: list[str] = []
    roots = allowed_roots(Path(path), bases)
    link = link_out(Path(path), roots)
    if link is not None:
        raise BlueprintError([Problem("AI009", "", link, str(path), None)])
    tree = _load_tree(Path(path), (), sources, roots)
    lines: dict[LocPath, tuple[str, int | None]] = {}
    _index(tree, (), lines)
    data = to_plain(tree)

    def locate(loc: LocPath) -> Location:
        return _nearest(lines, loc, sources[0])

    try:
        blueprint = Blueprint.model_validate(data)
    except ValidationError as error:
        raise BlueprintError(problems_from_validation_error(error, data, Blueprint, locate)) from None
    catalog_file = _catalog_file(blueprint.spec.catalog, locate(("spec", "catalog")), roots)
    return LoadedBlueprint(blueprint, tuple(sources), lines, catalog_file)


def _catalog_file(entry: str | None, where: Location, roots: tuple[Path, ...]) -> str | None:
    """The real path of ``spec.catalog``: relative to the file that wrote it and read under the
    rules of ``extends:`` (AI009 outside the repository, AI007 missing, AI008 not a file)."""
    if entry is None:
        return None
    file, line = where
    path = Path(file or ".").parent / entry
    refused = refusal(entry, path, roots, what="catalog file", key="spec.catalog")
    if refused is not None:
        raise BlueprintError([Problem("AI009", "spec.catalog", refused, file, line)])
    if path.is_dir():
        message = f"catalog file '{entry}' is a directory ({path}); name a YAML file in it"
        raise BlueprintError([Problem("AI008", "spec.catalog", message, file, line)])
    if not path.is_file():
        message = (
            f"catalog file '{entry}' not found (looked for {path}); the path is relative to the file "
            "that names it"
        )
        raise BlueprintError([Problem("AI007", "spec.catalog", message, file, line)])
    return os.path.realpath(path)


def merged_data(path: Path, *, bases: Sequence[Path] = ()) -> Any:
    """The blueprint after the ``extends:`` merge, as plain YAML data (before validation)."""
    return to_plain(_load_tree(Path(path), (), [], allowed_roots(Path(path), bases)))


def _load_tree(path: Path, chain: tuple[Path, ...], sources: list[str], roots: tuple[Path, ...]) -> Node:
    resolved = Path(os.path.abspath(path))
    root = load_yaml_file(path)
    if str(path) not in sources:
        sources.append(str(path))
    if not isinstance(root.value, dict):
        kind = "empty" if root.value is None else type(root.value).__name__
        raise BlueprintError(
            [
                Problem(
                    "AI003",
                    "",
                    f"the top level must be a mapping (apiVersion, kind, …), not {kind}",
                    str(path),
                    1,
                )
            ]
        )
    extends = root.value.get("extends")
    if extends is None:
        return root
    merged: Node | None = None
    for index, entry in enumerate(_extends_entries(extends, str(path))):
        if len(chain) + 1 >= MAX_EXTENDS_DEPTH:
            raise BlueprintError(
                [
                    Problem(
                        "AI006",
                        f"extends[{index}]",
                        f"extends chain deeper than {MAX_EXTENDS_DEPTH} files; "
                        "merge some of the bases into one",
                        str(path),
                        entry.line,
                    )
                ]
            )
        base_path = path.parent / str(entry.value)
        _check_base(base_path, entry, index, str(path), (*chain, resolved), roots)
        base = _load_tree(base_path, (*chain, resolved), sources, roots)
        merged = base if merged is None else merge_nodes(merged, base)
    if merged is None:
        return root
    result = merge_nodes(merged, root)
    result.value["extends"] = extends
    return result


def _extends_entries(extends: Node, file: str) -> list[Node]:
    if not isinstance(extends.value, list) or not all(isinstance(item.value, str) for item in extends.value):
        raise BlueprintError(
            [Problem("AI003", "extends", "extends must be a list of relative file paths", file, extends.line)]
        )
    return list(extends.value)


def _check_base(
    base_path: Path, entry: Node, index: int, file: str, chain: tuple[Path, ...], roots: tuple[Path, ...]
) -> None:
    """Raise AI009 when ``base_path`` may not be read (outside the repository, not a YAML file),
    AI006 when it is already being loaded, AI007/AI008 when it cannot be read."""
    refused = refusal(str(entry.value), base_path, roots)
    if refused is not None:
        raise BlueprintError([Problem("AI009", f"extends[{index}]", refused, file, entry.line)])
    target = Path(os.path.abspath(base_path))
    if target in chain:
        names = " -> ".join(p.name for p in (*chain[chain.index(target) :], target))
        raise BlueprintError(
            [
                Problem(
                    "AI006",
                    f"extends[{index}]",
                    f"extends cycle: {names}; remove one of these extends",
                    file,
                    entry.line,
                )
            ]
        )
    if base_path.is_dir():
        raise BlueprintError(
            [
                Problem(
                    "AI008",
                    f"extends[{index}]",
                    f"base blueprint '{entry.value}' is a directory ({base_path}); "
                    "name a YAML file in it, e.g. bases/aws-eks.yaml",
                    file,
                    entry.line,
                )
            ]
        )
    if not base_path.is_file():
        raise BlueprintError(
            [
                Problem(
                    "AI007",
                    f"extends[{index}]",
                    f"base blueprint '{entry.value}' not found (looked for {base_path}); "
                    "paths are relative to the extending file",
                    file,
                    entry.line,
                )
            ]
        )
    try:
        read_text(base_path)
    except UnreadableFileError as error:
        raise BlueprintError(
            [Problem("AI008", f"extends[{index}]", error.problem.message, file, entry.line)]
        ) from None


def _index(node: Node, path: LocPath, lines: dict[LocPath, tuple[str, int | None]]) -> None:
    lines[path] = (node.file, node.line)
    if isinstance(node.value, dict):
        for key, child in node.value.items():
            _index(child, (*path, key), lines)
    elif isinstance(node.value, list):
        for index, child in enumerate(node.value):
            _index(child, (*path, index), lines)


def _nearest(
    lines: dict[LocPath, tuple[str, int | None]], path: LocPath, default_file: str
) -> tuple[str, int | None]:
    for length in range(len(path), -1, -1):
        found = lines.get(path[:length])
        if found is not None:
            return found
    return default_file, None
