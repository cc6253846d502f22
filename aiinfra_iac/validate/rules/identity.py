"""Is the result from the hardware the plan expects? GPU model, NCCL network vs fabric, RDMA device.

Each helper returns a failure detail (``str``) or None; :func:`gpu_model` also returns a note for
GPU names the catalog cannot map (those are reported, not judged).
"""

from __future__ import annotations

from collections.abc import Iterable

from aiinfra_iac.plan.model import FabricPlan, PoolPlan
from aiinfra_iac.validate.parsers.types import NcclRun

_NETWORKS = ("NET/IB", "NET/RoCE", "NET/OFI", "NET/Socket", "COLLNET")


def _canonical(name: str) -> str | None:
    from aiinfra_iac.catalog import normalize_gpu_model

    return normalize_gpu_model(name)


def gpu_model(names: Iterable[str], pool: PoolPlan, source: str) -> tuple[str | None, str]:
    """``(failure, note)`` for the GPU names a tool printed (``source``) vs the pool's ``gpu.model``.

    A name that maps to another catalog model fails; a name the catalog does not know is only
    noted (``note`` starts with ``"; "`` so it can be appended to a pass detail)."""
    if pool.gpu is None:
        return None, ""
    want = _canonical(pool.gpu.model)
    if want is None:
        return None, f"; GPU model not judged: the pool's model {pool.gpu.model!r} is not in the catalog"
    wrong: dict[str, list[str]] = {}
    unknown: list[str] = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        model = _canonical(name)
        if model is None:
            unknown.append(name)
        elif model != want:
            wrong.setdefault(model, []).append(name)
    note = (
        f"; GPU model not judged: {', '.join(repr(n) for n in unknown)} ({source}) is not in the catalog"
        if unknown
        else ""
    )
    if wrong:
        found = ", ".join(f"{model} ({'/'.join(seen)})" for model, seen in wrong.items())
        return f"{found} found where the pool expects {want} ({source})", note
    return None, note


def network_mismatch(run: NcclRun, fabric: FabricPlan | None, *, multi_node: bool) -> str | None:
    """A failure detail where the NCCL network transport does not fit the pool's fabric type.

    Socket fallback is judged by the caller; a run that logged no transport at all is not judged."""
    if fabric is None or not run.transports:
        return None
    used = run.transports
    nets = sorted(t for t in used if t in _NETWORKS and t != "NET/Socket")
    where = f"the pool's {fabric.type} fabric ({fabric.name})"
    if fabric.type == "infiniband":
        bad = sorted(used & {"NET/RoCE", "NET/OFI"})
        if bad:
            return f"NCCL ran over {', '.join(bad)} on {where}: check NCCL_IB_HCA and the HCAs' link layer"
    elif fabric.type == "roce":
        if "NET/OFI" in used:
            return f"NCCL ran over NET/OFI on {where}"
        if "NET/IB" in used and "IB" in run.ib_link_layers:
            return (
                f"NCCL ran over NET/IB on InfiniBand link-layer ports instead of RoCE on {where}: "
                "check NCCL_IB_HCA"
            )
    elif fabric.type == "efa":
        bad = sorted(used & {"NET/IB", "NET/RoCE"})
        if bad:
            return f"NCCL ran over {', '.join(bad)} instead of NET/OFI (aws-ofi-nccl) on {where}"
        if multi_node and "NET/OFI" not in used and "NET/Socket" not in used:
            seen = ", ".join(nets or sorted(used))
            return (
                f"no NET/OFI (aws-ofi-nccl) transport in the NCCL log on {where} (saw {seen}): "
                "check the aws-ofi-nccl plugin and FI_PROVIDER=efa"
            )
    return None


def rdma_device(measured: str | None, expected: str) -> str | None:
    """A failure detail where a perftest log names another HCA than its file/check."""
    if measured is None or not expected or measured == expected:
        return None
    return f"log for {expected} measured {measured}: the run used the wrong HCA (check -d)"
