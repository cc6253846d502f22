"""Cross-field and catalog checks of a loaded blueprint, one module per domain.

Every rule has a stable ID (``AI1xx``) and a fixed level; see each module. ``run_checks``
runs them all and returns ``Problem``s (errors and warnings) with file and line.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from aiinfra_iac.blueprint.checks import (
    fabric_risks,
    fabrics,
    feasibility,
    names,
    pools,
    provider,
    scheduler,
    storage,
    teams,
    tuning,
    validation,
)
from aiinfra_iac.blueprint.checks.base import Context, Rule, execute, format_loc, rule_of
from aiinfra_iac.errors import BlueprintError, Problem

if TYPE_CHECKING:
    from aiinfra_iac.blueprint.loader import LoadedBlueprint
    from aiinfra_iac.catalog.types import Catalog

MODULES: tuple[ModuleType, ...] = (
    provider,
    names,
    pools,
    fabrics,
    storage,
    scheduler,
    tuning,
    validation,
    teams,
    fabric_risks,
    feasibility,
)


def _collect(modules: tuple[ModuleType, ...]) -> tuple[Rule, ...]:
    found = [r for module in modules for value in vars(module).values() if (r := rule_of(value)) is not None]
    return tuple(sorted(found, key=lambda r: r.id))


RULES: tuple[Rule, ...] = _collect(MODULES)


USER_CATALOG_PROBLEM_ID = "AI010"
"""A user catalog (``spec.catalog``) entry that is malformed or redefines a known one."""


def catalog_for(loaded: LoadedBlueprint) -> Catalog:
    """The catalog ``loaded`` is checked and planned against: built-in, ``$AIINFRA_CATALOG`` and
    its ``spec.catalog`` file; a bad entry there is a ``BlueprintError`` (AI010) at its file:line."""
    from aiinfra_iac.catalog.store import UserCatalogError, load_catalog

    try:
        return load_catalog(loaded.catalog_file)
    except UserCatalogError as error:
        raise BlueprintError(
            [Problem(USER_CATALOG_PROBLEM_ID, "spec.catalog", error.message, error.file, error.line)]
        ) from None


def run_checks(loaded: LoadedBlueprint, catalog: Catalog | None = None) -> list[Problem]:
    """Run every rule on ``loaded``; errors first, then warnings, each ordered by file and line."""
    if catalog is None:
        catalog = catalog_for(loaded)
    ctx = Context(loaded.blueprint, catalog, {r.id: r.level for r in RULES})
    accepted = {entry.id for entry in loaded.blueprint.spec.suppress}
    problems = []
    for found in RULES:
        for actual, finding, file, line in execute(found, ctx, loaded.locate):
            if actual.level == "warning" and actual.id in accepted:
                continue  # accepted on purpose (spec.suppress); `plan` lists it with its reason
            problems.append(
                Problem(actual.id, format_loc(finding.loc), finding.message, file, line, actual.level)
            )
    return sorted(problems, key=lambda p: (p.level != "error", p.file or "", p.line or 0, p.id))


__all__ = ["MODULES", "RULES", "USER_CATALOG_PROBLEM_ID", "catalog_for", "run_checks"]
