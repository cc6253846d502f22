"""``up``'s stages with the engine, configure and validate replaced by recording fakes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from aiinfra_iac.deployment import Chroot, Local, Ssh, read_deployment
from aiinfra_iac.errors import Interrupted, UsageError
from aiinfra_iac.lifecycle.pipeline import Pipeline, UpContext
from aiinfra_iac.lifecycle.stages import StageRecord
from aiinfra_iac.lifecycle.up_stages import current_deployment, default_stages
from aiinfra_iac.provision.engine import ChangeSummary
from aiinfra_iac.validate.types import CheckResult, Verdict
from tests.provision.plans import aws_p4d_slurm, onprem


class FakeEngine:
    def __init__(self, calls: list[str], plan: Any) -> None:
        self.calls = calls
        self.hosts = [h for pool in plan.pools for h in pool.hosts]

    def up(self) -> ChangeSummary:
        self.calls.append("engine.up")
        return ChangeSummary("up", {"create": 27})

    def outputs(self) -> dict[str, Any]:
        self.calls.append("engine.outputs")
        return {"addresses": {h: f"10.0.0.{i + 4}" for i, h in enumerate(self.hosts)}}


def verdict(status: str) -> Verdict:
    check = CheckResult("gpu_burn:train", "train-0", "train", "gpu_burn", status, None, None, "", "")  # type: ignore[arg-type]
    return Verdict("c", (check,))


@pytest.fixture
def stages(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {"configure": [], "validate": [], "verdict": "pass"}

    class Result:
        skipped_reason = None

    def run_configure(
        plan: Any,
        *,
        check: bool,
        console: Console,
        deployment: Any,
        private_data_dir: Path,
        tags: tuple[str, ...] = (),
    ) -> Result:
        seen["configure"].append((check, deployment, private_data_dir))
        seen.setdefault("tags", []).append(tags)
        return Result()

    def run_validate(
        plan: Any, results: Path, *, collect: bool, console: Console, deployment: Any, work_dir: Path
    ) -> Verdict:
        seen["validate"].append((results, collect, deployment))
        return verdict(seen["verdict"])

    monkeypatch.setattr("aiinfra_iac.configure.stage.run_configure", run_configure)
    monkeypatch.setattr("aiinfra_iac.validate.stage.run_validate", run_validate)
    return seen


def pipeline(plan: Any, state: Path, calls: list[str], *, configure_tags: tuple[str, ...] = ()) -> Pipeline:
    return Pipeline(
        plan,
        state=state,
        console=Console(file=io.StringIO()),
        stages=default_stages(lambda p: FakeEngine(calls, p)),
        results_dir=state / "results",
        configure_tags=configure_tags,
    )


def test_aws_runs_all_stages_and_configures_the_recorded_nodes(
    stages: dict[str, Any], tmp_path: Path
) -> None:
    calls: list[str] = []
    outcome = pipeline(aws_p4d_slurm(), tmp_path, calls).run()
    assert outcome.ran == ["provision", "configure", "validate"] and not outcome.failed
    assert calls == ["engine.up", "engine.outputs"]
    record = read_deployment(tmp_path, "p4d-slurm.us-west-2")
    assert record is not None
    assert record.access_by_node()["head-0"] == Ssh(host="10.0.0.4")
    assert record.access_by_node()["train-0"] == Ssh(host="10.0.0.5")
    [(check, configured, pdd)] = stages["configure"]
    assert not check and configured.model_copy(update={"written_at": None}) == record.model_copy(
        update={"written_at": None}
    )
    assert pdd == tmp_path / "p4d-slurm.us-west-2" / "configure"
    assert stages["validate"] == [(tmp_path / "results", True, configured)]


def test_a_second_up_resumes_from_the_record_without_touching_the_stack(
    stages: dict[str, Any], tmp_path: Path
) -> None:
    pipeline(aws_p4d_slurm(), tmp_path, []).run(("provision",))
    calls: list[str] = []
    outcome = pipeline(aws_p4d_slurm(), tmp_path, calls).run()
    assert outcome.skipped == ["provision"] and outcome.ran == ["configure", "validate"]
    assert calls == []  # node accesses come from the deployment record
    assert stages["configure"][0][1].node("train-0").access == Ssh(host="10.0.0.5")


def test_configure_without_a_record_says_to_provision_first(stages: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--only provision"):
        pipeline(aws_p4d_slurm(), tmp_path, []).run(("configure",), resume=False)


def test_failed_validation_is_not_recorded_as_done(stages: dict[str, Any], tmp_path: Path) -> None:
    stages["verdict"] = "fail"
    outcome = pipeline(onprem(), tmp_path, []).run()
    assert outcome.failed
    assert StageRecord.load(tmp_path, onprem()).completed == ["provision", "configure"]


def test_only_reruns_one_stage_even_when_done(stages: dict[str, Any], tmp_path: Path) -> None:
    StageRecord.load(tmp_path, onprem()).mark("configure")
    outcome = pipeline(onprem(), tmp_path, []).run(("configure",), resume=False)
    assert outcome.ran == ["configure"] and len(stages["configure"]) == 1


def test_tagged_configure_runs_those_concerns_and_is_not_recorded_as_done(
    stages: dict[str, Any], tmp_path: Path
) -> None:
    """`up --only configure --tags nccl` on a cluster never configured whole: the next plain up still
    runs the whole configure stage."""
    StageRecord.load(tmp_path, onprem()).mark("provision")
    runner = pipeline(onprem(), tmp_path, [], configure_tags=("nccl", "slurm"))
    outcome = runner.run(("configure",), resume=False)
    assert outcome.ran == ["configure"] and stages["tags"] == [("nccl", "slurm")]
    assert StageRecord.load(tmp_path, onprem()).completed == ["provision"]
    assert (
        "configure: ran nccl, slurm only; the stage is not recorded as done" in runner.console.file.getvalue()
    )  # type: ignore[attr-defined]
    pipeline(onprem(), tmp_path, []).run()
    assert stages["tags"] == [("nccl", "slurm"), ()]


def test_stage_functions_are_the_ones_passed_in(tmp_path: Path) -> None:
    ran: list[str] = []

    def note(name: str) -> Any:
        return lambda ctx: ran.append(f"{name}:{ctx.plan.name}")

    fns = {"provision": note("p"), "configure": note("c"), "validate": note("v")}
    outcome = Pipeline(onprem(), state=tmp_path, console=Console(file=io.StringIO()), stages=fns).run()
    assert ran == ["p:onprem-ib", "c:onprem-ib", "v:onprem-ib"] and outcome.ran == list(fns)
    with pytest.raises(UsageError, match="no stage function for configure, validate"):
        Pipeline(onprem(), state=tmp_path, console=Console(), stages={"provision": note("p")})  # type: ignore[dict-item]


def test_an_interrupt_says_where_it_stopped_and_keeps_finished_stages(tmp_path: Path) -> None:
    def boom(ctx: UpContext) -> None:
        raise KeyboardInterrupt

    fns = {"provision": lambda ctx: None, "configure": boom, "validate": lambda ctx: None}
    with pytest.raises(Interrupted, match=r"interrupted during configure .*finished: provision") as caught:
        Pipeline(onprem(), state=tmp_path, console=Console(file=io.StringIO()), stages=fns).run()
    assert caught.value.exit_code == 130 and "\n" not in str(caught.value)
    assert StageRecord.load(tmp_path, onprem()).completed == ["provision"]


def test_hosts_providers_need_no_record(tmp_path: Path) -> None:
    on_prem = current_deployment(onprem(), tmp_path)
    assert all(isinstance(n.access, Ssh) for n in on_prem.nodes) and on_prem.nodes
    local = onprem().model_copy(update={"provider": onprem().provider.model_copy(update={"type": "local"})})
    assert all(isinstance(n.access, Local) for n in current_deployment(local, tmp_path).nodes)
    sandbox = local.model_copy(update={"provider": local.provider.model_copy(update={"sandbox": "chroot"})})
    with pytest.raises(UsageError, match="no deployment record"):
        current_deployment(sandbox, tmp_path)
    assert Chroot  # the sandbox's record is written by provision (tests/provision/test_sandbox.py)


def test_validation_through_kubernetes_needs_no_per_node_access(
    stages: dict[str, Any], tmp_path: Path
) -> None:
    from tests.provision.plans import aws_p5_eks

    class NoAddresses(FakeEngine):
        def outputs(self) -> dict[str, Any]:
            return {}

    plan = aws_p5_eks()
    fns = default_stages(lambda p: NoAddresses([], p))
    outcome = Pipeline(plan, state=tmp_path, console=Console(file=io.StringIO()), stages=fns).run(
        ("provision", "validate")
    )
    assert outcome.ran == ["provision", "validate"]
    [(_, _, record)] = stages["validate"]
    assert record.nodes == () and record.aws_region == "us-east-1"
    with pytest.raises(UsageError, match="has no access for"):  # but configure reaches each node itself
        Pipeline(plan, state=tmp_path, console=Console(file=io.StringIO()), stages=fns).run(("configure",))
