"""``diff``: cloud refresh+preview plus node check mode against the recorded deployment."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from aiinfra_iac.deployment import Deployment, NodeRecord, Ssh, write_deployment
from aiinfra_iac.deployment.paths import stack_name
from aiinfra_iac.errors import UsageError
from aiinfra_iac.lifecycle.diffing import diff_cluster
from aiinfra_iac.provision.engine import ChangeSummary
from tests.provision.plans import aws_p4d_slurm, onprem


class Engine:
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def preview(self) -> ChangeSummary:
        return ChangeSummary("preview", self.counts)


def configure(changed: tuple[str, ...], seen: list[Any]) -> Any:
    class Result:
        skipped_reason = None
        changed_hosts = changed

    def run(plan: Any, *, check: bool, console: Console, deployment: Any, private_data_dir: Path) -> Any:
        seen.append((check, deployment, private_data_dir))
        return Result()

    return run


def recorded(state: Path) -> Deployment:
    plan = aws_p4d_slurm()
    nodes = tuple(
        NodeRecord(name=h, pool=p.name, access=Ssh(host=f"10.9.0.{i}", user="ubuntu"))
        for p in plan.pools
        for i, h in enumerate(p.hosts)
    )
    record = Deployment(cluster=plan.name, stack=stack_name(plan), provider="aws", nodes=nodes)
    write_deployment(state, record)
    return record


def test_node_side_uses_the_recorded_deployment(tmp_path: Path) -> None:
    record = recorded(tmp_path)
    seen: list[Any] = []
    report = diff_cluster(
        aws_p4d_slurm(),
        state=tmp_path,
        console=Console(file=io.StringIO()),
        engine_factory=lambda plan: Engine({"same": 29}),
        configure_check=configure((), seen),
    )
    assert not report.changes_present and report.lines()[0].endswith("no changes")
    [(check, used, pdd)] = seen
    assert check and used.access_by_node() == record.access_by_node()
    assert pdd == tmp_path / "p4d-slurm.us-west-2" / "configure"


def test_without_a_record_aws_diff_says_to_run_up(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no deployment record"):
        diff_cluster(
            aws_p4d_slurm(),
            state=tmp_path,
            console=Console(file=io.StringIO()),
            engine_factory=lambda plan: Engine({}),
            configure_check=configure((), []),
        )


def test_cloud_or_node_changes_are_reported(tmp_path: Path) -> None:
    recorded(tmp_path)
    cloud = diff_cluster(
        aws_p4d_slurm(),
        state=tmp_path,
        console=Console(file=io.StringIO()),
        engine_factory=lambda plan: Engine({"update": 1, "same": 28}),
        configure_check=configure((), []),
    )
    assert cloud.changes_present and "1 to update" in cloud.lines()[1]
    nodes = diff_cluster(
        onprem(),
        state=tmp_path,
        console=Console(file=io.StringIO()),
        configure_check=configure(("gpu-1",), []),
    )
    assert nodes.changes_present and "gpu-1" in nodes.lines()[2] and "no cloud resources" in nodes.lines()[1]
