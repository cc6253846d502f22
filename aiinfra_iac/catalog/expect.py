"""Expected measurements from the catalog: nccl-tests bus bandwidth and ib_write_bw per rail."""

from __future__ import annotations

from aiinfra_iac.catalog.store import load_catalog, normalize_gpu_model
from aiinfra_iac.catalog.types import Catalog


def fabric_bound_gbytes(link_gbps: float, rails: int) -> float:
    """A node's total RDMA bandwidth in GB/s: rails x link rate (Gb/s) / 8."""
    return rails * link_gbps / 8


def expected_nccl_busbw(
    gpu: str,
    count: int,
    collective: str,
    scope: str = "node",
    link_gbps: float | None = None,
    rails: int | None = None,
    fabric: str = "infiniband",
) -> tuple[float, str] | None:
    """Expected nccl-tests busbw (GB/s) at large messages and where the figure comes from.

    ``scope="node"``: one node's GPUs over NVLink/PCIe, from the per-model table (nearest GPU
    count of the same model, then the all_reduce figure when the collective has no entry).
    ``scope="fabric"``: across nodes: efficiency(fabric) x rails x link / 8, capped by the node
    figure. None when the catalog has no basis for a figure.
    """
    catalog = load_catalog()
    model = normalize_gpu_model(gpu) or gpu
    node = _node_busbw(catalog, model, count, collective)
    if scope == "node":
        return node
    if link_gbps is None or rails is None:
        return None
    factor = catalog.expectations.fabric_efficiency.get(fabric)
    if factor is None:
        return None
    bound = factor.efficiency * fabric_bound_gbytes(link_gbps, rails)
    source = f"derived: {factor.efficiency} x {rails} x {link_gbps:g} Gb/s / 8 ({factor.source})"
    if node is not None and node[0] < bound:
        return node[0], f"capped by the single-node figure: {node[1]}"
    return round(bound, 2), source


def _node_busbw(catalog: Catalog, model: str, count: int, collective: str) -> tuple[float, str] | None:
    rows = [row for row in catalog.nccl_expectations if row.gpu_model == model]
    if count < 2 or not rows:
        return None
    same = [row for row in rows if row.collective == collective] or [
        row for row in rows if row.collective == "all_reduce"
    ]
    if not same:
        return None
    best = min(same, key=lambda row: (abs(row.gpus_per_node - count), -row.gpus_per_node))
    note = "" if best.collective == collective else f" (no {collective} figure: all_reduce used)"
    if best.gpus_per_node != count:
        note += f" (figure for {best.gpus_per_node} GPUs)"
    return best.busbw_gbps, best.source + note


def expected_rdma_gbps(link_gbps: float) -> tuple[float, str]:
    """Expected ib_write_bw average (Gb/s) on one rail of ``link_gbps`` and its source."""
    expectations = load_catalog().expectations
    value = round(expectations.rdma_efficiency * link_gbps, 2)
    return value, f"derived: {expectations.rdma_efficiency} x {link_gbps:g} Gb/s ({expectations.rdma_source})"
