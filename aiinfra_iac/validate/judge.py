"""``judge(plan, results_dir) -> Verdict``: read the results layout, apply the rules.

Every check of the plan is judged on every node of its pool (``scope: node``) or once for the
pool (``scope: pool``, from ``_cluster/``). A missing, unreadable (FIFO, device, link out of the
folder) or oversized file is a failed check for that node, never an exception (:mod:`.safe_read`).
Large trees are parsed in worker processes.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan
from aiinfra_iac.validate import layout
from aiinfra_iac.validate.rules.common import Target, read_result
from aiinfra_iac.validate.rules.outliers import mark_outliers
from aiinfra_iac.validate.types import CheckResult, Verdict

PARALLEL_ABOVE = 400
"""Targets beyond which parsing is spread over worker processes."""


def targets(plan: ClusterPlan, results_dir: Path) -> list[Target]:
    """Every (check, node[, device]) the plan expects a result for, with the file holding it."""
    return _targets(plan, results_dir, layout.pool_nodes(plan, results_dir))


def unknown_dir_results(plan: ClusterPlan, names: tuple[str, ...]) -> list[CheckResult]:
    """One ``warn`` per results folder that is no node of the plan (a typo'd host, a stale node)."""
    pools = ", ".join(p.name for p in plan.pools)
    return [
        CheckResult(
            id=f"layout:unknown-node:{name}",
            node=name,
            pool="",
            kind="layout",
            status="warn",
            measured=None,
            expected=None,
            unit="",
            detail=(
                f"results folder {name}/ is not a node of the plan (pools: {pools}; a node folder is a "
                "planned host or <pool>-<n>): its files were not judged — a typo'd host or a stale node?"
            ),
        )
        for name in names
    ]


def _targets(plan: ClusterPlan, results_dir: Path, nodes: dict[str, tuple[str, ...]]) -> list[Target]:
    out: list[Target] = []
    for check in plan.validation:
        pool = plan.pool(check.pool)
        if check.scope == "pool":
            path = layout.check_path(plan, results_dir, check, layout.CLUSTER_DIR)
            out.append(Target(check, layout.CLUSTER_DIR, path, root=results_dir))
            continue
        for node in nodes.get(check.pool, ()):
            if check.kind == "rdma":
                for device in layout.rdma_devices(check, pool):
                    path = results_dir / node / layout.rdma_file(device)
                    # one plan check per rail names its device in the id already
                    suffix = "" if "device" in check.params else device
                    out.append(Target(check, node, path, suffix=suffix, root=results_dir))
            else:
                path = layout.check_path(plan, results_dir, check, node)
                out.append(Target(check, node, path, root=results_dir))
    return out


def judge_target(plan: ClusterPlan, target: Target) -> CheckResult:
    """Parse one result file and apply its kind's rule."""
    text = read_result(target)
    if isinstance(text, CheckResult):
        return text
    try:
        return _apply(plan, plan.pool(target.check.pool), target, text)
    except Exception as error:  # a parser or rule bug must not hide the other results
        return target.result("fail", f"could not judge {target.path.name}: {type(error).__name__}: {error}")


def _apply(plan: ClusterPlan, pool: PoolPlan, target: Target, text: str) -> CheckResult:
    check = target.check
    if check.kind == "gpu_burn":
        from aiinfra_iac.validate.parsers.gpu_burn import parse_gpu_burn
        from aiinfra_iac.validate.rules.gpu_burn import judge_gpu_burn

        expected = int(check.params.get("gpus", pool.gpus_per_node))
        return judge_gpu_burn(target, parse_gpu_burn(text), expected, pool)
    if check.kind == "dcgm":
        from aiinfra_iac.validate.parsers.dcgm import parse_dcgm_diag
        from aiinfra_iac.validate.rules.dcgm import judge_dcgm

        return judge_dcgm(target, parse_dcgm_diag(text))
    if check.kind == "rdma":
        from aiinfra_iac.validate.parsers.perftest import parse_perftest
        from aiinfra_iac.validate.rules.rdma import judge_rdma

        return judge_rdma(target, parse_perftest(text), plan.rules)
    from aiinfra_iac.validate.parsers.nccl import parse_nccl_tests
    from aiinfra_iac.validate.rules.nccl import judge_nccl

    run = parse_nccl_tests(text, collective=layout.collective_of(check))
    per_node = int(check.params.get("gpus", pool.gpus_per_node))
    ranks = per_node * (pool.count if check.scope == "pool" else 1)
    return judge_nccl(target, run, pool, plan.rules, expected_ranks=ranks)


def _judge_chunk(plan: ClusterPlan, chunk: list[Target]) -> list[CheckResult]:
    return [judge_target(plan, t) for t in chunk]


def judge(plan: ClusterPlan, results_dir: Path, *, workers: int | None = None) -> Verdict:
    """Judge ``results_dir`` against ``plan``; ``workers`` defaults to the CPU count for large trees."""
    nodes, unknown = layout.scan(plan, results_dir)
    todo = _targets(plan, results_dir, nodes)
    jobs = workers if workers is not None else (os.cpu_count() or 1)
    if jobs > 1 and len(todo) > PARALLEL_ABOVE:
        size = -(-len(todo) // (jobs * 4))
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        with ProcessPoolExecutor(max_workers=jobs) as executor:
            results = [r for part in executor.map(_judge_chunk, [plan] * len(chunks), chunks) for r in part]
    else:
        results = _judge_chunk(plan, todo)
    cpu_burns = frozenset(
        c.id for c in plan.validation if c.kind == "gpu_burn" and plan.pool(c.pool).gpu is None
    )
    judged = mark_outliers(results, plan.rules, skip=cpu_burns)
    return Verdict(cluster=plan.name, checks=(*judged, *unknown_dir_results(plan, unknown)))
