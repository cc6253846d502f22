"""The validation checks of a plan, each with its expected value and where that comes from.

Per pool: ``gpu_burn`` and ``dcgm`` on every node of GPU pools; NCCL per collective on one node
(over NVLink/PCIe) and across the pool (over the fabric) when it has more than one node; one
``rdma`` (ib_write_bw) check per rail on InfiniBand/RoCE. CPU pools on provider ``local`` get the
CPU fallback: a matmul burn and a gloo all-reduce. Blueprint thresholds replace catalog figures.
"""

from __future__ import annotations

from typing import Literal

from aiinfra_iac.blueprint.models import Validation
from aiinfra_iac.catalog.expect import expected_nccl_busbw, expected_rdma_gbps
from aiinfra_iac.catalog.store import load_catalog
from aiinfra_iac.plan.model import PoolPlan, ValidationCheckPlan, ValidationKind

Params = dict[str, str | int | float | bool]

RDMA_FABRICS = ("infiniband", "roce")
"""Fabrics with an ib_write_bw check per rail. Not EFA: perftest's write tests support RC/XRC/UC/DC
connections only, while EFA speaks SRD (only ib_send_bw has ``-c SRD``); EFA is measured by the
multi-node NCCL run over aws-ofi-nccl instead."""


def _nccl_expected(validation: Validation, figure: tuple[float, str] | None) -> tuple[float | None, str]:
    wanted = validation.nccl.min_bus_bw_g_bps
    if wanted != "auto":
        return float(wanted), "blueprint"
    if figure is None:
        return None, "catalog: no figure for this hardware; judged pass/fail only"
    return figure[0], f"catalog: {figure[1]}"


def _nccl_params(pool: PoolPlan, validation: Validation, collective: str, nodes: int, backend: str) -> Params:
    params: Params = {
        "collective": collective,
        "minBytes": validation.nccl.min_bytes,
        "maxBytes": validation.nccl.max_bytes,
        "nodes": nodes,
        "backend": backend,
        "rdma": pool.fabric is not None,
    }
    if pool.gpu is not None:
        params["gpus"] = pool.gpu.count  # ranks per node; CPU fallback picks its own worker count
    return params


def _check(
    pool: PoolPlan,
    kind: ValidationKind,
    detail: str | None,
    scope: Literal["node", "pool"],
    params: Params,
    source: str,
    expected: float | None = None,
    unit: str = "",
) -> ValidationCheckPlan:
    """One check; its id is ``<kind>:<pool>[:<detail>]``, stable across plans of the same blueprint."""
    check_id = f"{kind}:{pool.name}" + (f":{detail}" if detail else "")
    return ValidationCheckPlan(
        id=check_id,
        kind=kind,
        pool=pool.name,
        scope=scope,
        expected=expected,
        unit=unit,
        params=params,
        source=source,
    )


def _gpu_nccl_checks(pool: PoolPlan, validation: Validation, collective: str) -> list[ValidationCheckPlan]:
    """Single node over NVLink/PCIe (2+ GPUs) and across the pool over its fabric (2+ nodes)."""
    assert pool.gpu is not None
    checks: list[ValidationCheckPlan] = []
    if pool.gpu.count >= 2:
        expected, source = _nccl_expected(
            validation, expected_nccl_busbw(pool.gpu.model, pool.gpu.count, collective, "node")
        )
        params = _nccl_params(pool, validation, collective, 1, "nccl")
        checks.append(_check(pool, "nccl", f"{collective}:node", "node", params, source, expected, "GB/s"))
    if pool.count > 1 and validation.nccl.multi_node:
        figure = None
        if pool.fabric is not None:
            figure = expected_nccl_busbw(
                pool.gpu.model,
                pool.gpu.count,
                collective,
                "fabric",
                link_gbps=pool.fabric.link_gbps,
                rails=len(pool.rails),
                fabric=pool.fabric.type,
            )
        expected, source = _nccl_expected(validation, figure)
        if pool.fabric is None and expected is None:
            source = "no RDMA fabric: TCP sockets, judged pass/fail only"
        params = _nccl_params(pool, validation, collective, pool.count, "nccl")
        checks.append(_check(pool, "nccl", f"{collective}:pool", "pool", params, source, expected, "GB/s"))
    return checks


def _rdma_checks(pool: PoolPlan, validation: Validation) -> list[ValidationCheckPlan]:
    """One ib_write_bw check per rail of an InfiniBand/RoCE pool."""
    fabric = pool.fabric
    if not validation.rdma.enabled or fabric is None or fabric.type not in RDMA_FABRICS:
        return []
    checks: list[ValidationCheckPlan] = []
    for rail in pool.rails:
        if validation.rdma.min_gbps == "auto":
            value, why = expected_rdma_gbps(rail.link_gbps)
            expected, source = value, f"catalog: {why}"
        else:
            expected, source = float(validation.rdma.min_gbps), "blueprint"
        params: Params = {
            "device": rail.device,
            "linkGbps": rail.link_gbps,
            "numaNode": rail.numa_node,
            # ib_write_bw -a sweeps to perftest's MAX_SIZE (8388608, src/perftest_parameters.h)
            "maxBytes": "8M",
        }
        if fabric.roce is not None and fabric.roce.gid_index is not None:
            params["gidIndex"] = fabric.roce.gid_index
        checks.append(_check(pool, "rdma", rail.device, "node", params, source, expected, "Gb/s"))
    return checks


def _gpu_checks(pool: PoolPlan, validation: Validation) -> list[ValidationCheckPlan]:
    assert pool.gpu is not None
    checks: list[ValidationCheckPlan] = []
    if validation.gpu_burn.enabled:
        params: Params = {"seconds": validation.gpu_burn.seconds, "mode": "gpu", "gpus": pool.gpu.count}
        checks.append(
            _check(pool, "gpu_burn", None, "node", params, "pass/fail: no faulty GPU, no error line")
        )
    if validation.dcgm.enabled:
        params = {"level": validation.dcgm.level}
        checks.append(_check(pool, "dcgm", None, "node", params, "pass/fail: every dcgmi diag test passes"))
    if validation.nccl.enabled:
        for collective in validation.nccl.collectives:
            checks.extend(_gpu_nccl_checks(pool, validation, collective))
    checks.extend(_rdma_checks(pool, validation))
    return checks


def _cpu_checks(pool: PoolPlan, validation: Validation) -> list[ValidationCheckPlan]:
    """CPU fallback on provider local: matmul burn + gloo all_reduce (node, and pool when > 1 node)."""
    catalog = load_catalog().expectations
    checks: list[ValidationCheckPlan] = []
    if validation.gpu_burn.enabled:
        params: Params = {"seconds": validation.gpu_burn.seconds, "mode": "cpu"}
        checks.append(_check(pool, "gpu_burn", None, "node", params, "cpu-fallback: matmul burn, pass/fail"))
    if validation.nccl.enabled:
        wanted = validation.nccl.min_bus_bw_g_bps
        expected, source = (
            (float(wanted), "blueprint")
            if wanted != "auto"
            else (catalog.cpu_gloo_busbw_gbps, f"cpu-fallback: {catalog.cpu_source}")
        )
        scopes: list[tuple[Literal["node", "pool"], int]] = [("node", 1)]
        if pool.count > 1 and validation.nccl.multi_node:
            scopes.append(("pool", pool.count))
        for scope, nodes in scopes:
            params = _nccl_params(pool, validation, "all_reduce", nodes, "gloo")
            checks.append(
                _check(pool, "nccl", f"all_reduce:{scope}", scope, params, source, expected, "GB/s")
            )
    return checks


def validation_checks(
    pools: tuple[PoolPlan, ...], validation: Validation, provider: str
) -> tuple[ValidationCheckPlan, ...]:
    checks: list[ValidationCheckPlan] = []
    for pool in pools:
        if pool.count == 0:
            continue
        if pool.gpu is not None:
            checks.extend(_gpu_checks(pool, validation))
        elif provider == "local":
            checks.extend(_cpu_checks(pool, validation))
    return tuple(checks)
