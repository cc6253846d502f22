"""When a capacity-block pool scales: up to its node count at the block's start, to 0 before its end.

Pure data from the plan, shared by provision (the Auto Scaling scheduled actions) and
``aiinfra up --dry-run`` (which prints them without creating anything).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiinfra_iac.plan.model import PoolPlan

SCALE_IN_BEFORE_END = dt.timedelta(hours=1)
"""EC2 starts terminating a capacity block's instances 30 minutes before its end time
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/capacity-blocks-using.html); scaling in an hour
before the end leaves the pods half an hour to drain first."""


def stamp(value: dt.datetime) -> str:
    """UTC, second precision, ``Z`` suffix: the format Auto Scaling's ``StartTime`` takes."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def block_schedule(pool: PoolPlan) -> list[dict[str, Any]]:
    """Scheduled actions of a capacity-block pool: up to ``count`` at the block's start, to 0 before its
    end (https://docs.aws.amazon.com/eks/latest/userguide/capacity-blocks-mng.html). Empty without
    ``capacity.start``/``end`` (``aiinfra preflight`` prints them); the group then stays at 0."""
    capacity = pool.capacity
    if capacity.type != "capacity-block" or capacity.start is None or capacity.end is None:
        return []
    return [
        {"action": "block-start", "start_time": stamp(capacity.start), "size": pool.count},
        {"action": "block-end", "start_time": stamp(capacity.end - SCALE_IN_BEFORE_END), "size": 0},
    ]


def initial_size(pool: PoolPlan) -> int:
    """Capacity-block pools start at 0: EKS and Auto Scaling cannot launch before the block is active."""
    return 0 if pool.capacity.type == "capacity-block" else pool.count
