"""``up``'s stages with the engine, configure and validate replaced by recording fakes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from aiinfra_iac.provision.engine import ChangeSummary
from aiinfra_iac.provision.pipeline import Pipeline, node_addresses
from aiinfra_iac.provision.stages import StageRecord
from aiinfra_iac.validate.types import CheckResult, Verdict

from .plans import aws_p4d_slurm, onprem


class FakeEngine:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def up(self) -> ChangeSummary:
        self.calls.append("engine.up")
        return ChangeSummary("up", {"create": 27})

    def outputs(self) -> dict[str, Any]:
        self.calls.append("engine.outputs")
        return {
            "addresses": {"head-0": "10.0.0.4", "train-0": "10.0.0.5"},
            "storageEndpoints": {"scratch": {"dnsName": "fs-1.fsx.aws", "mountName": "abcd"}},
        }


def verdict(status: str) -> Verdict:
    check = CheckResult("gpu_burn:train", "train-0", "train", "gpu_burn", status, None, None, "", "")  # type: ignore[arg-type]
    return Verdict("c", (check,))


@pytest.fixture
def stages(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {"configure": [], "validate": [], "verdict": "pass"}

    class Result:
        skipped_reason = None

    def run_configure(
        plan: Any, *, check: bool, console: Console, addresses: Any = None, storage_endpoints: Any = None
    ) -> Result:
        seen["configure"].append((check, addresses))
        seen["storage_endpoints"] = storage_endpoints
        return Result()

    def run_validate(
        plan: Any, results: Path, *, collect: bool, console: Console, addresses: Any = None
    ) -> Verdict:
        seen["validate"].append((results, collect, addresses))
        return verdict(seen["verdict"])

    monkeypatch.setattr("aiinfra_iac.configure.stage.run_configure", run_configure)
    monkeypatch.setattr("aiinfra_iac.validate.stage.run_validate", run_validate)
    return seen


def pipeline(plan: Any, state: Path, calls: list[str]) -> Pipeline:
    return Pipeline(
        plan,
        state=state,
        console=Console(file=io.StringIO()),
        engine_factory=lambda p: FakeEngine(calls),
        results_dir=state / "results",
    )


def test_aws_runs_all_stages_and_configures_the_provisioned_addresses(
    stages: dict[str, Any], tmp_path: Path
) -> None:
    calls: list[str] = []
    outcome = pipeline(aws_p4d_slurm(), tmp_path, calls).run()
    assert outcome.ran == ["provision", "configure", "validate"] and not outcome.failed
    assert calls == ["engine.up", "engine.outputs"]
    assert stages["configure"] == [(False, {"head-0": "10.0.0.4", "train-0": "10.0.0.5"})]
    assert stages["storage_endpoints"] == {"scratch": {"dnsName": "fs-1.fsx.aws", "mountName": "abcd"}}
    assert stages["validate"] == [(tmp_path / "results", True, {"head-0": "10.0.0.4", "train-0": "10.0.0.5"})]


def test_a_second_up_resumes_after_the_finished_stages(stages: dict[str, Any], tmp_path: Path) -> None:
    calls: list[str] = []
    StageRecord.load(tmp_path, aws_p4d_slurm()).mark("provision")
    outcome = pipeline(aws_p4d_slurm(), tmp_path, calls).run()
    assert outcome.skipped == ["provision"] and outcome.ran == ["configure", "validate"]
    assert calls == ["engine.outputs"]  # addresses come from the existing stack


def test_failed_validation_is_not_recorded_as_done(stages: dict[str, Any], tmp_path: Path) -> None:
    stages["verdict"] = "fail"
    outcome = pipeline(onprem(), tmp_path, []).run()
    assert outcome.failed
    assert StageRecord.load(tmp_path, onprem()).completed == ["provision", "configure"]


def test_only_reruns_one_stage_even_when_done(stages: dict[str, Any], tmp_path: Path) -> None:
    StageRecord.load(tmp_path, onprem()).mark("configure")
    outcome = pipeline(onprem(), tmp_path, []).run(("configure",), resume=False)
    assert outcome.ran == ["configure"] and len(stages["configure"]) == 1


def test_node_addresses_per_provider() -> None:
    local = onprem().model_copy(update={"provider": onprem().provider.model_copy(update={"type": "local"})})
    assert set(node_addresses(local, None).values()) == {"local"}  # type: ignore[union-attr]
    assert node_addresses(onprem(), None) is None
    assert node_addresses(aws_p4d_slurm(), {"addresses": {"x": "1.2.3.4"}}) == {"x": "1.2.3.4"}
