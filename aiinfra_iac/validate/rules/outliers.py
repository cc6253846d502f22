"""Fleet outliers: a node that passed but measured more than ``outlierPct`` under its pool's median."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import replace

from aiinfra_iac.blueprint.models import ValidationRules
from aiinfra_iac.validate.types import CheckResult

_MIN_FLEET = 3
"""Below three nodes a median says nothing about which one is off."""


def _group_key(result: CheckResult) -> str:
    """Results comparable across nodes: the check id without the node part (keeping the device)."""
    node = f":{result.node}"
    if result.id.endswith(node):
        return result.id[: -len(node)]
    head, _, tail = result.id.rpartition(node + ":")
    return f"{head}:{tail}" if head else result.id


def _comparable(result: CheckResult) -> bool:
    """Bandwidths, and gpu-burn's slowest-GPU Gflop/s (a throttling GPU shows there first)."""
    return bool(result.unit) or result.kind == "gpu_burn"


def mark_outliers(
    results: list[CheckResult], rules: ValidationRules, *, skip: frozenset[str] = frozenset()
) -> list[CheckResult]:
    """``skip``: plan check ids never compared (CPU-fallback burns on a shared machine are noisy)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, result in enumerate(results):
        if result.node != "_cluster" and result.measured is not None and _comparable(result):
            groups[_group_key(result)].append(index)
    out = list(results)
    for key, indices in groups.items():
        if len(indices) < _MIN_FLEET or key in skip:
            continue
        median = statistics.median(results[i].measured or 0.0 for i in indices)
        floor = median * (1 - rules.outlier_pct / 100)
        for i in indices:
            result = results[i]
            if result.status == "pass" and result.measured is not None and result.measured < floor:
                under = (1 - result.measured / median) * 100 if median else 0.0
                out[i] = replace(
                    result,
                    status="warn",
                    detail=f"{result.detail}; outlier: {under:.0f}% under the pool median "
                    f"{median:g} {result.unit or 'Gflop/s'}",
                )
    return out
