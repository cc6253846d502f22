"""Validation kinds: one module per kind (steps to run, result files, parse, judge, plot), registered
in :data:`KINDS`. The judge, the runners and the reports look a kind up here; nothing else branches
on ``check.kind``. Each kind reads its typed parameters from the plan's check (:mod:`.params`), whose
defaults are set once, by the blueprint model, when the plan is resolved.
"""

from __future__ import annotations

from aiinfra_iac.validate.kinds.base import Kind
from aiinfra_iac.validate.kinds.dcgm import DCGM
from aiinfra_iac.validate.kinds.gpu_burn import GPU_BURN
from aiinfra_iac.validate.kinds.nccl import NCCL
from aiinfra_iac.validate.kinds.rdma import RDMA

KINDS: dict[str, Kind] = {kind.name: kind for kind in (GPU_BURN, DCGM, NCCL, RDMA)}
"""Every validation kind a plan can hold, by ``ValidationCheckPlan.kind``."""


def kind_of(name: str) -> Kind:
    """The registered kind ``name``; a plan check of another kind is a programming error."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"no validation kind {name!r} is registered (known: {', '.join(KINDS)})") from None


__all__ = ["KINDS", "Kind", "kind_of"]
