"""Typed per-kind parameters, read from the plan's ``ValidationCheckPlan.params``.

Defaults live once: in the blueprint model (``aiinfra_iac.blueprint.models``), applied when the
plan is resolved. A parameter missing from an older plan falls back to that same model default
here, never to a second literal (runners used to default ``maxBytes`` to 8G in one place, 8M in
another).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aiinfra_iac.blueprint.models import DcgmValidation, GpuBurnValidation, NcclValidation
from aiinfra_iac.plan.model import PoolPlan, ValidationCheckPlan
from aiinfra_iac.validate.runners.sizes import parse_size, sweep

CPU_MAX_BYTES = 8 << 20
"""The CPU fallback (gloo on loopback, ~1 GB/s) caps nccl sweeps here: 8 GiB would take minutes."""

PERFTEST_MAX_SIZE = 8_388_608
"""``ib_write_bw -a`` sweeps 2 B … 2^23 B: ``#define MAX_SIZE (8388608)`` in perftest's
``src/perftest_parameters.h`` (https://github.com/linux-rdma/perftest)."""

_NCCL = NcclValidation()
_BURN = GpuBurnValidation()
_DCGM = DcgmValidation()


@dataclass(frozen=True)
class GpuBurnParams:
    seconds: int
    gpus: int
    """GPUs the node should test; 0 where unknown (CPU fallback picks its worker count)."""
    mode: Literal["gpu", "cpu"]


@dataclass(frozen=True)
class DcgmParams:
    level: int


@dataclass(frozen=True)
class NcclParams:
    collective: str
    min_bytes: int
    max_bytes: int
    min_bytes_text: str
    """As nccl-tests takes it (``-b 8``)."""
    max_bytes_text: str
    gpus: int
    """Ranks per node."""
    backend: Literal["nccl", "gloo"]
    cpu_max_bytes: int = CPU_MAX_BYTES
    """Where the CPU fallback caps the sweep (``cpuMaxBytes``)."""

    @property
    def planned_largest(self) -> int:
        """The largest size the sweep reaches: ``min x 2^k <= max`` (capped for the CPU fallback)."""
        top = self.sweep_max
        sizes = sweep(self.min_bytes, top)
        return sizes[-1] if sizes else top

    @property
    def sweep_max(self) -> int:
        """The ``maxBytes`` the runner passes: the plan's, capped for the CPU fallback."""
        return min(self.max_bytes, self.cpu_max_bytes) if self.backend == "gloo" else self.max_bytes


@dataclass(frozen=True)
class RdmaParams:
    device: str | None
    link_gbps: float | None
    gid_index: int | None
    planned_largest: int | None
    """``maxBytes`` of the plan (``-a`` sweeps to :data:`PERFTEST_MAX_SIZE`); None in plans made
    before it was recorded: then only a table cut before its closing line is "incomplete"."""


def gpu_burn_params(check: ValidationCheckPlan, pool: PoolPlan) -> GpuBurnParams:
    p = check.params
    mode: Literal["gpu", "cpu"] = "cpu" if p.get("mode") == "cpu" or pool.gpu is None else "gpu"
    return GpuBurnParams(
        seconds=int(p.get("seconds", _BURN.seconds)), gpus=int(p.get("gpus", pool.gpus_per_node)), mode=mode
    )


def dcgm_params(check: ValidationCheckPlan) -> DcgmParams:
    return DcgmParams(level=int(check.params.get("level", _DCGM.level)))


def nccl_params(check: ValidationCheckPlan, pool: PoolPlan) -> NcclParams:
    p = check.params
    low, high = str(p.get("minBytes", _NCCL.min_bytes)), str(p.get("maxBytes", _NCCL.max_bytes))
    backend: Literal["nccl", "gloo"] = "gloo" if p.get("backend") == "gloo" or pool.gpu is None else "nccl"
    return NcclParams(
        collective=str(p.get("collective", _NCCL.collectives[0])),
        min_bytes=parse_size(low),
        max_bytes=parse_size(high),
        min_bytes_text=low,
        max_bytes_text=high,
        gpus=int(p.get("gpus", pool.gpus_per_node)),
        backend=backend,
        cpu_max_bytes=int(p.get("cpuMaxBytes", CPU_MAX_BYTES)),
    )


def rdma_params(check: ValidationCheckPlan) -> RdmaParams:
    p = check.params
    device = p.get("device")
    link = p.get("linkGbps")
    gid = p.get("gidIndex")
    return RdmaParams(
        device=str(device) if device is not None else None,
        link_gbps=float(link) if link is not None else None,
        gid_index=int(gid) if gid is not None else None,
        planned_largest=parse_size(str(p["maxBytes"])) if "maxBytes" in p else None,
    )
