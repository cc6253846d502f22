"""nccl-tests: data errors, socket fallback or a network that does not fit the fabric, the GPU model,
bus bandwidth at the largest size.

Bandwidth is the out-of-place ``busbw`` of the row with the largest message size, never the
"Avg bus bandwidth" line, which averages over a sweep that starts at a few bytes.
"""

from __future__ import annotations

from aiinfra_iac.blueprint.models import ValidationRules
from aiinfra_iac.plan.model import PoolPlan
from aiinfra_iac.validate.parsers.types import NcclRun
from aiinfra_iac.validate.rules.common import Target, judge_bandwidth
from aiinfra_iac.validate.rules.identity import gpu_model, network_mismatch
from aiinfra_iac.validate.types import CheckResult

COMPLETE_AT = 0.9
"""A sweep is complete when its largest row reaches this share of the planned largest size (nccl-tests
rounds sizes down to a multiple of the element count x ranks)."""


def incomplete(largest: int | None, planned: int | None) -> str | None:
    """``incomplete: …`` when a sweep stopped before the planned largest size, else None."""
    if not planned or (largest is not None and largest >= COMPLETE_AT * planned):
        return None
    seen = "no size" if largest is None else _size(largest)
    return f"incomplete: the sweep stopped at {seen} of the planned {_size(planned)}"


def judge_nccl(
    target: Target,
    run: NcclRun,
    pool: PoolPlan,
    rules: ValidationRules,
    *,
    expected_ranks: int,
    planned_largest: int | None = None,
) -> CheckResult:
    """``expected_ranks``: GPUs the run should span (0 when unknown); ``planned_largest``: the size
    the sweep must reach (None: not judged)."""
    largest = run.largest
    cut = incomplete(largest.size_bytes, planned_largest) if largest is not None else None
    if run.problems:
        lead = f"{cut}; " if cut and not run.problems[0].startswith(_TOOL_ERRORS) else ""
        return target.result("fail", f"{lead}nccl-tests output is unusable: {'; '.join(run.problems)}")
    if largest is None:
        return target.result("fail", "nccl-tests printed no result row")
    if run.wrong_total:
        return target.result("fail", f"{run.wrong_total} wrong values (#wrong) — data corruption")
    if run.out_of_bounds:
        return target.result("fail", f"Out of bounds values: {run.out_of_bounds}")
    if cut:
        return target.result("fail", cut, measured=largest.oop_busbw_gbps)
    multi_node = target.check.scope == "pool" and pool.count > 1
    if multi_node and pool.fabric is not None and "NET/Socket" in run.transports:
        return target.result(
            "fail",
            f"NCCL fell back to NET/Socket instead of {pool.fabric.type} ({pool.fabric.name}): "
            "check the RDMA plugin, NCCL_IB_HCA/FI_PROVIDER and NCCL_SOCKET_IFNAME",
            measured=largest.oop_busbw_gbps,
        )
    mismatch = network_mismatch(run, pool.fabric, multi_node=multi_node)
    if mismatch:
        return target.result("fail", mismatch, measured=largest.oop_busbw_gbps)
    wrong_model, model_note = gpu_model(run.devices, pool, "nccl-tests rank lines")
    if wrong_model:
        return target.result("fail", wrong_model, measured=largest.oop_busbw_gbps)
    if expected_ranks and run.nranks is not None and run.nranks < expected_ranks:
        return target.result(
            "fail", f"ran on {run.nranks} of {expected_ranks} ranks", measured=largest.oop_busbw_gbps
        )
    via = f" via {', '.join(sorted(run.transports))}" if run.transports else ""
    return judge_bandwidth(
        target,
        largest.oop_busbw_gbps,
        rules,
        f"busbw @{_size(largest.size_bytes)}",
        pass_detail=via + model_note,
    )


_TOOL_ERRORS = (
    "Open MPI",
    "nccl-tests reported",
    "nccl-tests printed",
    "nccl-tests:",
    "mpirun",
    "srun",
    "a process",
    "NCCL WARN",
)


def _size(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} B"
