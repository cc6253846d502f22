"""The small framework every check module uses: rules with stable IDs, findings, context.

A rule is a function ``(ctx) -> Iterable[Finding]`` decorated with :func:`rule`, which
fixes its ID (``AI1xx``, part of the user contract: never renumber one) and its level.
Rules only describe what is wrong; :func:`execute` turns findings into ``Problem``s with
file and line, and turns an unexpected exception inside a rule into an error result.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from aiinfra_iac.blueprint.locpath import LocPath, format_loc
from aiinfra_iac.blueprint.models import Blueprint, Fabric, NodePool
from aiinfra_iac.catalog.hosts import system
from aiinfra_iac.catalog.types import Catalog, GpuModel, InstanceType

Level = Literal["error", "warning"]
Locate = Callable[[LocPath], tuple[str | None, int | None]]


@dataclass(frozen=True)
class Finding:
    """What a rule found: where (a key path) and what to do about it."""

    loc: LocPath
    message: str


RuleFunc = Callable[["Context"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    title: str
    func: RuleFunc


def rule(rule_id: str, level: Level, title: str) -> Callable[[RuleFunc], RuleFunc]:
    """Mark a function as the check ``rule_id``; the package's registry collects it."""

    def mark(func: RuleFunc) -> RuleFunc:
        func.__rule__ = Rule(rule_id, level, title, func)  # type: ignore[attr-defined]
        return func

    return mark


def rule_of(obj: object) -> Rule | None:
    found = getattr(obj, "__rule__", None)
    return found if isinstance(found, Rule) else None


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``name`` (case-insensitive), or None when nothing is close."""
    options = {choice.lower(): choice for choice in choices}
    match = difflib.get_close_matches(name.lower(), list(options), n=1, cutoff=0.5)
    return options[match[0]] if match else None


def suggest(name: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'X'?"`` or an empty string."""
    found = closest(name, choices)
    return f"; did you mean '{found}'?" if found else ""


@dataclass(frozen=True)
class Context:
    """The blueprint under check and the catalog facts, with lookups the rules share."""

    blueprint: Blueprint
    catalog: Catalog
    rule_levels: Mapping[str, Level] = field(default_factory=dict)
    """Every registered check ID and its level (for checks about checks, e.g. suppressions)."""

    @property
    def provider(self) -> str:
        return self.blueprint.spec.provider.type

    def pools(self) -> Iterator[tuple[int, NodePool]]:
        yield from enumerate(self.blueprint.spec.node_pools)

    def instance(self, pool: NodePool) -> InstanceType | None:
        if pool.instance_type is None:
            return None
        return self.catalog.instance_types.get(pool.instance_type)

    def gpu_model(self, name: str) -> GpuModel | None:
        """The catalog GPU for a canonical ID or a vendor alias (case-insensitive)."""
        wanted = name.strip().lower()
        for gpu in self.catalog.gpus.values():
            if gpu.id.lower() == wanted or wanted in (alias.lower() for alias in gpu.aliases):
                return gpu
        return None

    def pool_gpu(self, pool: NodePool) -> tuple[GpuModel, int] | None:
        """The pool's GPU model and count per node: from ``gpu`` or else the instance type."""
        if pool.gpu is not None:
            model = self.gpu_model(pool.gpu.model)
            return (model, pool.gpu.count) if model is not None else None
        instance = self.instance(pool)
        if instance is not None and instance.gpu_model is not None:
            model = self.catalog.gpus.get(instance.gpu_model)
            return (model, instance.gpu_count) if model is not None else None
        found = system(pool.system) if pool.system else None
        if found is not None and found.gpu_model is not None:
            model = self.catalog.gpus.get(found.gpu_model)
            return (model, found.gpu_count) if model is not None else None
        return None

    def fabric(self, name: str | None) -> tuple[int, Fabric] | None:
        for index, fabric in enumerate(self.blueprint.spec.fabrics):
            if fabric.name == name:
                return index, fabric
        return None

    def pools_on(self, fabric_name: str) -> Iterator[tuple[int, NodePool]]:
        for index, pool in self.pools():
            if pool.fabric == fabric_name:
                yield index, pool


def pool_loc(index: int, *rest: str | int) -> LocPath:
    return ("spec", "nodePools", index, *rest)


def execute(found: Rule, ctx: Context, locate: Locate) -> list[tuple[Rule, Finding, str | None, int | None]]:
    """Run one rule; an exception inside it becomes one error finding, never a crash."""
    try:
        findings = list(found.func(ctx))
    except Exception as error:  # a bug in a rule must not hide the other rules' results
        findings = [Finding((), f"internal error in check {found.id} ({found.title}): {error!r}")]
        crashed = Rule(found.id, "error", found.title, found.func)
        return [(crashed, finding, *locate(finding.loc)) for finding in findings]
    return [(found, finding, *locate(finding.loc)) for finding in findings]


__all__ = ["Context", "Finding", "Rule", "closest", "execute", "format_loc", "pool_loc", "rule", "suggest"]
