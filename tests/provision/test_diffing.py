"""``diff``: cloud preview plus node check mode, combined into one report."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from aiinfra_iac.provision.diffing import diff_cluster
from aiinfra_iac.provision.engine import ChangeSummary

from .plans import aws_p4d_slurm, onprem


class Engine:
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def preview(self) -> ChangeSummary:
        return ChangeSummary("preview", self.counts)

    def outputs(self) -> dict[str, Any]:
        return {"addresses": {"train-0": "10.0.0.5"}}


def configure(changed: tuple[str, ...], seen: list[Any]) -> Any:
    class Result:
        skipped_reason = None
        changed_hosts = changed

    def run(plan: Any, *, check: bool, console: Console, addresses: Any) -> Any:
        seen.append((check, addresses))
        return Result()

    return run


def test_no_changes_anywhere() -> None:
    seen: list[Any] = []
    report = diff_cluster(
        aws_p4d_slurm(),
        state=None,
        console=Console(file=io.StringIO()),
        engine_factory=lambda plan: Engine({"same": 29}),
        configure_check=configure((), seen),
    )
    assert not report.changes_present
    assert seen == [(True, {"train-0": "10.0.0.5"})]
    assert report.lines()[0].endswith("no changes")


def test_cloud_or_node_changes_are_reported() -> None:
    cloud = diff_cluster(
        aws_p4d_slurm(),
        state=None,
        console=Console(file=io.StringIO()),
        engine_factory=lambda plan: Engine({"update": 1, "same": 28}),
        configure_check=configure((), []),
    )
    assert cloud.changes_present and "1 to update" in cloud.lines()[1]
    nodes = diff_cluster(
        onprem(), state=None, console=Console(file=io.StringIO()), configure_check=configure(("gpu-1",), [])
    )
    assert nodes.changes_present and "gpu-1" in nodes.lines()[2] and "no cloud resources" in nodes.lines()[1]
