"""Names and references: duplicates in named lists, pool -> fabric/dpu/storage references."""

from __future__ import annotations

from collections.abc import Iterator

from aiinfra_iac.blueprint.checks.base import Context, Finding, pool_loc, rule, suggest


@rule("AI102", "error", "duplicate name")
def duplicate_names(ctx: Context) -> Iterator[Finding]:
    spec = ctx.blueprint.spec
    sections: list[tuple[str, list[str]]] = [
        ("nodePools", [item.name for item in spec.node_pools]),
        ("fabrics", [item.name for item in spec.fabrics]),
        ("dpus", [item.name for item in spec.dpus]),
        ("storage", [item.name for item in spec.storage]),
    ]
    for section, names in sections:
        seen: dict[str, int] = {}
        for index, name in enumerate(names):
            if name in seen:
                yield Finding(
                    ("spec", section, index, "name"),
                    f"name '{name}' is already used by spec.{section}[{seen[name]}]; names must be unique",
                )
            else:
                seen[name] = index


@rule("AI103", "error", "reference to an undefined name")
def dangling_references(ctx: Context) -> Iterator[Finding]:
    spec = ctx.blueprint.spec
    fabrics = [fabric.name for fabric in spec.fabrics]
    dpus = [dpu.name for dpu in spec.dpus]
    storage = [item.name for item in spec.storage]
    for index, pool in ctx.pools():
        if pool.fabric is not None and pool.fabric not in fabrics:
            yield Finding(pool_loc(index, "fabric"), _missing("fabric", pool.fabric, "fabrics", fabrics))
        if pool.dpu is not None and pool.dpu not in dpus:
            yield Finding(pool_loc(index, "dpu"), _missing("dpu", pool.dpu, "dpus", dpus))
        for position, name in enumerate(pool.storage or []):
            if name not in storage:
                yield Finding(
                    pool_loc(index, "storage", position), _missing("storage", name, "storage", storage)
                )
    slurm = spec.scheduler.slurm
    pools = [pool.name for pool in spec.node_pools]
    if slurm is not None and slurm.partitions:
        for partition, members in slurm.partitions.items():
            for position, name in enumerate(members):
                if name not in pools:
                    yield Finding(
                        ("spec", "scheduler", "slurm", "partitions", partition, position),
                        _missing("pool", name, "nodePools", pools),
                    )


def _missing(what: str, name: str, section: str, known: list[str]) -> str:
    defined = ", ".join(known) if known else "none"
    return f"{what} '{name}' is not defined in spec.{section} (defined: {defined}){suggest(name, known)}"
