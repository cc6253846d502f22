"""``judge(plan, results_dir) -> Verdict``: read the results layout, apply the rules.

Every check of the plan is judged on every node of its pool (``scope: node``) or once for the
pool (``scope: pool``, from ``_cluster/``). A missing, unreadable (FIFO, device, link out of the
folder) or oversized file is a failed check for that node, never an exception (:mod:`.safe_read`).
Large trees are parsed in worker processes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.validate import layout, provenance, snapshot, unreachable
from aiinfra_iac.validate.kinds import kind_of
from aiinfra_iac.validate.rules.common import Target, open_result, read_result
from aiinfra_iac.validate.rules.outliers import mark_outliers
from aiinfra_iac.validate.safe_read import ResultReadError
from aiinfra_iac.validate.snapshot import Snapshot
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
        kind = kind_of(check.kind)
        where = (layout.CLUSTER_DIR,) if check.scope == "pool" else nodes.get(check.pool, ())
        for node in where:
            out.extend(
                Target(check, node, path, suffix=suffix, root=results_dir)
                for path, suffix in kind.files(plan, results_dir, check, pool, node)
            )
    return out


Judged = tuple[CheckResult, dict[str, object], float]
"""A result, the facts its output gave (provenance) and the seconds to credit it in JUnit."""


def judge_target(plan: ClusterPlan, target: Target) -> CheckResult:
    """Parse one result file and apply its kind's rule."""
    return _judge_one(plan, target)[0]


def _judge_one(plan: ClusterPlan, target: Target) -> Judged:
    started = time.perf_counter()
    kind = kind_of(target.check.kind)
    # the long logs (gpu-burn, nccl-tests with NCCL_DEBUG=INFO, perftest) are parsed line by line
    source = open_result(target) if kind.streams else read_result(target)
    if isinstance(source, CheckResult):
        return source, {}, 0.0
    try:
        if isinstance(source, str):
            parsed = kind.parse(source, target.check)
        else:
            with source:
                parsed = kind.parse(source, target.check)
        result = kind.judge(plan, target, parsed)
        facts, seconds = kind.facts(parsed), kind.duration(parsed)
    except ResultReadError as error:  # grew past the cap while it was read
        return target.result("fail", error.detail), {}, time.perf_counter() - started
    except Exception as error:  # a parser or rule bug must not hide the other results
        failed = target.result("fail", f"could not judge {target.path.name}: {type(error).__name__}: {error}")
        return failed, {}, time.perf_counter() - started
    return result, facts, seconds if seconds is not None else time.perf_counter() - started


def _judge_chunk(plan: ClusterPlan, chunk: list[Target]) -> list[Judged]:
    return [_judge_one(plan, t) for t in chunk]


def _split_unreachable(
    results_dir: Path, nodes: dict[str, tuple[str, ...]]
) -> tuple[dict[str, tuple[str, ...]], list[CheckResult]]:
    """Nodes with an ``unreachable.json`` marker become one result each and are not judged further."""
    reached: dict[str, tuple[str, ...]] = {}
    lost: list[CheckResult] = []
    for pool, hosts in nodes.items():
        keep: list[str] = []
        for host in hosts:
            cause = unreachable.cause_of(results_dir, host)
            if cause is None:
                keep.append(host)
            else:
                lost.append(unreachable.result(host, pool, cause))
        reached[pool] = tuple(keep)
    return reached, lost


def judge(
    plan: ClusterPlan,
    results_dir: Path,
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Verdict:
    """Judge ``results_dir`` against ``plan``; ``workers`` defaults to the CPU count for large trees;
    ``progress(done, total)`` is called as results are judged."""
    nodes, unknown = layout.scan(plan, results_dir)
    nodes, lost = _split_unreachable(results_dir, nodes)
    snapshots = _snapshots(plan, results_dir, nodes)
    todo = _targets(plan, results_dir, nodes)
    jobs = workers if workers is not None else (os.cpu_count() or 1)
    if jobs > 1 and len(todo) > PARALLEL_ABOVE:
        size = -(-len(todo) // (jobs * 4))
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        with ProcessPoolExecutor(max_workers=jobs) as executor:
            done = []
            for part in executor.map(_judge_chunk, [plan] * len(chunks), chunks):
                done.extend(part)
                if progress is not None:
                    progress(len(done), len(todo))
    else:
        done = []
        for start in range(0, len(todo), 64):
            done.extend(_judge_chunk(plan, todo[start : start + 64]))
            if progress is not None:
                progress(len(done), len(todo))
    results = [r for r, _f, _s in done]
    facts: dict[str, dict[str, object]] = {}
    for result, found, _seconds in done:
        provenance.merge(facts, result.node, found)
    for node, snap in snapshots.items():
        provenance.merge(facts, node, snapshot_facts(snap))
    cpu_burns = frozenset(
        c.id for c in plan.validation if c.kind == "gpu_burn" and plan.pool(c.pool).gpu is None
    )
    judged = mark_outliers(results, plan.rules, skip=cpu_burns)
    drift = [
        snapshot.result(plan, plan.pool(pool), node, snap)
        for node, (pool, snap) in _with_pool(nodes, snapshots)
    ]
    return Verdict(
        cluster=plan.name,
        checks=(*lost, *drift, *judged, *unknown_dir_results(plan, unknown)),
        provenance=provenance.build(plan, results_dir, facts),
        durations={r.id: round(seconds, 3) for r, _f, seconds in done},
    )


def _snapshots(
    plan: ClusterPlan, results_dir: Path, nodes: dict[str, tuple[str, ...]]
) -> dict[str, Snapshot]:
    found: dict[str, Snapshot] = {}
    for hosts in nodes.values():
        for host in hosts:
            snap = snapshot.read_snapshot(results_dir, host)
            if snap is not None:
                found[host] = snap
    return found


def _with_pool(
    nodes: dict[str, tuple[str, ...]], snapshots: dict[str, Snapshot]
) -> list[tuple[str, tuple[str, Snapshot]]]:
    return [(h, (pool, snapshots[h])) for pool, hosts in nodes.items() for h in hosts if h in snapshots]


def snapshot_facts(snap: Snapshot) -> dict[str, object]:
    """Provenance from a node snapshot: driver, CUDA, NCCL, GPUs and HCAs."""
    return {
        "driver": snap.driver or "",
        "cuda": snap.cuda or "",
        "nccl": snap.nccl or "",
        "gpus": list(dict.fromkeys(snap.gpus)),
        "hcas": [f"{h.device} ({h.link_layer}, {h.rate_gbps}G)" for h in snap.hcas],
    }
