"""Hourly cost estimate of a pool: catalog on-demand price x node count (aws only)."""

from __future__ import annotations

from dataclasses import dataclass

from aiinfra_iac.blueprint.models import Capacity
from aiinfra_iac.catalog.types import InstanceType

_NOTES = {
    "on-demand": "on-demand list price, us-east-1 (catalog estimate)",
    "reserved": "on-demand list price used; the reservation's price may differ",
    "spot": "on-demand list price used as an upper bound; spot prices vary",
    "capacity-block": "on-demand list price used as an estimate; capacity blocks are paid up front per block",
}


@dataclass(frozen=True)
class PoolCost:
    usd_per_node: float | None
    """None where no price is known (onprem, local, kubernetes, no instance type)."""
    note: str


def pool_cost(provider: str, instance: InstanceType | None, capacity: Capacity) -> PoolCost:
    if provider != "aws":
        return PoolCost(None, f"no price: {provider} nodes are not billed by the hour here")
    if instance is None:
        return PoolCost(None, "no price: the pool has no instance type")
    return PoolCost(instance.price_usd_hour, _NOTES[capacity.type])


def total_hourly(prices: list[tuple[float | None, int]]) -> float:
    """Sum of price x count over pools, unknown prices counted as 0; rounded to cents."""
    return round(sum((price or 0.0) * count for price, count in prices), 2)
