"""The blueprint: pydantic models, the loader (``extends:``, line numbers) and the checks.

``load_and_check(path)`` is what every command calls first: it loads the file, runs every
check and raises ``BlueprintError`` when any error-level problem exists; warnings come back
in the result for the caller to print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aiinfra_iac.blueprint.checks import run_checks
from aiinfra_iac.blueprint.loader import LoadedBlueprint, load_blueprint
from aiinfra_iac.errors import BlueprintError, Problem

if TYPE_CHECKING:
    from aiinfra_iac.catalog.types import Catalog


@dataclass(frozen=True)
class CheckedBlueprint:
    """A blueprint that loaded and passed every error-level check."""

    loaded: LoadedBlueprint
    warnings: list[Problem] = field(default_factory=list)


def load_and_check(path: Path, catalog: Catalog | None = None) -> CheckedBlueprint:
    """Load ``path`` and run the checks; raise ``BlueprintError`` (errors then warnings) on any error."""
    loaded = load_blueprint(path)
    problems = run_checks(loaded, catalog)
    if any(problem.level == "error" for problem in problems):
        raise BlueprintError(problems)
    return CheckedBlueprint(loaded, problems)


__all__ = [
    "BlueprintError",
    "CheckedBlueprint",
    "LoadedBlueprint",
    "load_and_check",
    "load_blueprint",
    "run_checks",
]
