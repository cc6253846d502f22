"""`aiinfra up`: missing Pulumi CLI, confirmation, provider without cloud resources, resumption."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from aiinfra_iac.validate.types import CheckResult, Verdict

from ._cli import LOCAL, P5, invoke, run_cli, without_pulumi


def test_up_without_pulumi_cli_is_exit_2_one_sentence(tmp_path: Path) -> None:
    done = run_cli("up", P5, "--yes", env={**without_pulumi(tmp_path), "PULUMI_CONFIG_PASSPHRASE": "x"})
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Pulumi CLI" in lines[0] and "get.pulumi.com" in lines[0]
    assert "Traceback" not in done.stderr


def test_up_checks_the_cli_before_asking(tmp_path: Path) -> None:
    done = run_cli("up", P5, env=without_pulumi(tmp_path))
    assert done.returncode == 2 and "Pulumi CLI" in done.stderr and "--yes" not in done.stderr


def test_without_a_terminal_up_requires_yes(tmp_path: Path) -> None:
    done = run_cli("up", LOCAL, env=without_pulumi(tmp_path))
    assert done.returncode == 2
    assert "--yes" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def fake_stages(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {"configure": 0, "validate": 0, "status": "pass"}

    class Result:
        skipped_reason = None

    def run_configure(plan: Any, **kwargs: Any) -> Result:
        seen["configure"] += 1
        seen["deployment"] = kwargs.get("deployment")
        seen["tags"] = kwargs.get("tags")
        return Result()

    def run_validate(plan: Any, results: Path, **kwargs: Any) -> Verdict:
        seen["validate"] += 1
        check = CheckResult("gpu_burn:cpu", "cpu-0", "cpu", "gpu_burn", seen["status"], None, None, "", "ok")
        return Verdict(plan.name, (check,))

    monkeypatch.setattr("aiinfra_iac.configure.stage.run_configure", run_configure)
    monkeypatch.setattr("aiinfra_iac.validate.stage.run_validate", run_validate)
    return seen


def test_local_up_runs_configure_and_validate_then_resumes(
    fake_stages: dict[str, Any], tmp_path: Path
) -> None:
    code, _out, err = invoke("up", LOCAL, "--yes", "--state-dir", tmp_path)
    assert code == 0, err
    assert "provision: nothing to create" in err
    assert fake_stages["configure"] == 1 and fake_stages["validate"] == 1
    assert {n.access.kind for n in fake_stages["deployment"].nodes} == {"local"}
    assert len(list(tmp_path.glob("*/deployment.json"))) == 1
    record = json.loads(next(tmp_path.glob("*/stages.json")).read_text())
    assert record["completed"] == ["provision", "configure", "validate"]
    code, _, err = invoke("up", LOCAL, "--yes", "--state-dir", tmp_path)
    assert code == 0 and "nothing left to run" in err and fake_stages["validate"] == 1


def test_tags_run_one_concern_of_configure(fake_stages: dict[str, Any], tmp_path: Path) -> None:
    code, _out, err = invoke(
        "up", LOCAL, "--yes", "--state-dir", tmp_path, "--only", "configure", "--tags", "nccl, slurm"
    )
    assert code == 0, err
    assert fake_stages["tags"] == ("nccl", "slurm")
    assert "configure: ran nccl, slurm only; the stage is not recorded as done" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tags", "nccl"), "--tags selects part of the configure stage: use it with --only configure"),
        (("--only", "validate", "--tags", "nccl"), "use it with --only configure"),
        (
            ("--only", "configure", "--tags", "nccl,fabric"),
            "unknown concern(s) fabric; the configure stage has: ",
        ),
        (("--only", "configure", "--tags", " , "), "--tags: name one or more concerns"),
    ],
)
def test_tags_are_checked_before_anything_runs(
    fake_stages: dict[str, Any], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    code, _out, err = invoke("up", LOCAL, "--yes", "--state-dir", tmp_path, *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert fake_stages["configure"] == 0 and not list(tmp_path.iterdir())


def test_help_names_every_concern_of_site_yml() -> None:
    """The --tags help lists the concerns by hand (--help reads no YAML): it must name them all."""
    from aiinfra_iac.configure.tags import configure_tags
    from aiinfra_iac.resources import bundled_path

    code, out, _err = invoke("up", "--help")
    help_text = " ".join(out.replace("│", " ").split())
    listed = help_text.split("concerns, comma-separated (", 1)[1].split(")", 1)[0]
    assert code == 0 and tuple(sorted(listed.split(", "))) == configure_tags(
        bundled_path("roles") / "site.yml"
    )


def test_failed_validation_is_exit_1(fake_stages: dict[str, Any], tmp_path: Path) -> None:
    fake_stages["status"] = "fail"
    code, out, err = invoke("up", LOCAL, "--yes", "--state-dir", tmp_path)
    assert code == 1 and "did not pass validation" in err
    assert "gpu_burn" in out


def test_only_runs_the_named_stage(fake_stages: dict[str, Any], tmp_path: Path) -> None:
    code, _, err = invoke("up", LOCAL, "--yes", "--only", "configure", "--state-dir", tmp_path)
    assert code == 0, err
    assert (fake_stages["configure"], fake_stages["validate"]) == (1, 0)


def test_declining_the_prompt_changes_nothing(
    fake_stages: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("aiinfra_iac.commands.up.interactive", lambda: True)
    code, _, err = invoke("up", LOCAL, "--state-dir", tmp_path, stdin="n\n")
    assert code == 1 and "nothing was changed" in err and fake_stages["configure"] == 0


@pytest.mark.parametrize("under_a_file", [False, True])
def test_unusable_state_dir_is_exit_2_before_any_stage(
    fake_stages: dict[str, Any], tmp_path: Path, under_a_file: bool
) -> None:
    a_file = tmp_path / "state.txt"
    a_file.write_text("not a folder\n")
    state = a_file / "sub" if under_a_file else a_file
    code, out, err = invoke("up", LOCAL, "--yes", "--state-dir", state)
    assert code == 2 and out == ""
    assert f"cannot use {state} as the state folder" in err and "--state-dir" in err
    assert (fake_stages["configure"], fake_stages["validate"]) == (0, 0)
    done = run_cli("up", LOCAL, "--yes", "--only", "provision", env={"AIINFRA_STATE_DIR": str(a_file)})
    assert done.returncode == 2 and "Traceback" not in done.stderr and "state folder" in done.stderr


def test_dry_run_shows_the_capacity_block_schedule_and_creates_nothing(tmp_path: Path) -> None:
    """No Pulumi CLI, no passphrase, no credentials, no terminal: a dry run needs none and writes nothing."""
    env = without_pulumi(tmp_path)
    done = run_cli("up", P5, "--dry-run", env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "nothing is created" in out and "would run: provision, configure, validate" in out
    assert "pool train: 16 x p5.48xlarge, capacity-block cr-0a1b2c3d4e5f60718; created with 0 nodes" in out
    # the blueprint's block: 2027-01-04T11:30Z to 2027-01-18T11:30Z; scale-in one hour before the end
    assert "2027-01-04T11:30:00Z  scale to 16 node(s) (the block starts)" in out
    assert "2027-01-18T10:30:00Z  scale to 0 (1 h before the block ends at 2027-01-18T11:30:00Z" in out
    assert "pool aiinfra-system: 2 x m6i.xlarge, on-demand; created with 2 node(s)" in out
    assert "aws:autoscaling/schedule:Schedule" in out and "EKS API endpoint: private" in out
    # the blueprint never chose the private endpoint: the dry run says up would stop, as up does
    assert "not chosen by the blueprint: up would stop first" in out and "endpointAccess: private" in out
    assert not (tmp_path / "s").exists()  # the state folder is not even created
    assert "Traceback" not in done.stderr


def test_dry_run_of_a_block_without_times_says_the_group_stays_at_zero(tmp_path: Path) -> None:
    text = (
        P5.read_text()
        .replace('        start: "2027-01-04T11:30:00Z"\n', "")
        .replace('        end: "2027-01-18T11:30:00Z"\n', "")
    )
    assert "start:" not in text
    blueprint = tmp_path / "p5.yaml"
    blueprint.write_text(text)
    shutil.copytree(P5.parent / "bases", tmp_path / "bases")  # extends: paths are relative to the file
    code, out, _ = invoke("up", blueprint, "--dry-run", "--state-dir", tmp_path / "s")
    assert code == 0
    assert "no schedule: capacity.start/end are not set, so the group stays at 0" in out
    assert "scale to 16" not in out


def test_dry_run_names_the_stages_finished_earlier(tmp_path: Path) -> None:
    from aiinfra_iac.lifecycle.stages import StageRecord
    from aiinfra_iac.plan import plan_from_file

    plan, _ = plan_from_file(LOCAL)
    StageRecord.load(tmp_path, plan).mark("provision")
    code, out, _ = invoke("up", LOCAL, "--dry-run", "--state-dir", tmp_path)
    assert code == 0
    assert "would run: configure, validate" in out and "finished earlier, skipped: provision" in out
    code, out, _ = invoke("up", LOCAL, "--dry-run", "--only", "provision", "--state-dir", tmp_path)
    assert code == 0 and "would run: provision" in out and "skipped" not in out
