"""Where each value of a merged blueprint comes from (``aiinfra explain``).

After the ``extends:`` merge a value may come from the blueprint, from any base in its chain
or from the model's default; :func:`explain` lists every leaf value with its origin, so a
reviewer sees which file to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiinfra_iac.blueprint.loader import LoadedBlueprint
from aiinfra_iac.blueprint.locpath import LocPath, format_loc


@dataclass(frozen=True)
class Origin:
    """One leaf value of the merged blueprint and where it was written (None: a default)."""

    loc: str
    value: Any
    file: str | None
    line: int | None

    def as_json(self) -> dict[str, Any]:
        return {"loc": self.loc, "value": self.value, "file": self.file, "line": self.line}


def _leaves(data: Any, path: LocPath) -> list[tuple[LocPath, Any]]:
    if isinstance(data, dict) and data:
        return [leaf for key, value in data.items() for leaf in _leaves(value, (*path, key))]
    if isinstance(data, list) and data and any(isinstance(item, dict | list) for item in data):
        return [leaf for index, value in enumerate(data) for leaf in _leaves(value, (*path, index))]
    return [(path, data)]


def _matches(loc: str, field: str | None) -> bool:
    if not field:
        return True
    return loc == field or loc.startswith((f"{field}.", f"{field}["))


def explain(loaded: LoadedBlueprint, field: str | None = None, defaults: bool = False) -> list[Origin]:
    """Every leaf of the merged blueprint (under ``field``, a dotted path) with its file and line.

    Without ``defaults`` only values written in some file are listed; with it, the values the
    model fills in are listed too, with no file.
    """
    data = loaded.blueprint.model_dump(by_alias=True, mode="json", exclude_none=not defaults)
    found = []
    for path, value in _leaves(data, ()):
        loc = format_loc(path)
        if not _matches(loc, field):
            continue
        written = loaded.lines.get(path)
        if written is None and not defaults:
            continue
        file, line = written if written is not None else (None, None)
        found.append(Origin(loc, value, file, line))
    return found
