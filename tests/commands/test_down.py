"""`aiinfra down`: nothing to destroy on hosts providers, retained storage listed, missing CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiinfra_iac.lifecycle.stages import StageRecord
from aiinfra_iac.provision.engine import ChangeSummary

from ._cli import ONPREM, P5, invoke, run_cli, without_pulumi


def test_onprem_has_nothing_to_destroy_and_resets_the_stage_record(tmp_path: Path) -> None:
    from aiinfra_iac.plan import plan_from_file

    plan, _ = plan_from_file(ONPREM)
    StageRecord.load(tmp_path, plan).mark("configure")
    code, _, err = invoke("down", ONPREM, "--state-dir", tmp_path)
    assert code == 0 and "nothing to destroy" in err
    assert StageRecord.load(tmp_path, plan).completed == []


def test_down_without_pulumi_cli_is_exit_2(tmp_path: Path) -> None:
    done = run_cli("down", P5, "--yes", env=without_pulumi(tmp_path))
    assert done.returncode == 2 and "Pulumi CLI" in done.stderr and "Traceback" not in done.stderr


def test_down_lists_the_storage_it_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    class Engine:
        def __init__(self, plan: Any, **kwargs: Any) -> None:
            self.plan = plan

        def destroy(self, *, purge_retained: bool) -> tuple[ChangeSummary, list[str]]:
            assert not purge_retained
            return ChangeSummary("destroy", {"delete": 50}), ["scratch", "datasets"]

        def remaining(self) -> list[tuple[str, str, bool]]:
            return [
                ("aws:fsx/lustreFileSystem:LustreFileSystem", "llm-p5-scratch", True),
                ("aws:ec2/vpc:Vpc", "llm-p5-vpc", False),
            ]

    monkeypatch.setattr("aiinfra_iac.provision.engine.Engine", Engine)
    monkeypatch.setattr("aiinfra_iac.provision.engine.require_pulumi_cli", lambda: "/bin/pulumi")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "x")
    code, _, err = invoke("down", P5, "--yes", "--state-dir", tmp_path)
    assert code == 0, err
    assert "50 to delete" in err and "kept (2):" in err
    assert "llm-p5-scratch: retain: true (storage scratch)" in err
    assert "aws:ec2/vpc:Vpc llm-p5-vpc: a retained resource depends on it" in err


def test_down_with_a_file_as_state_dir_is_exit_2(tmp_path: Path) -> None:
    a_file = tmp_path / "state.txt"
    a_file.write_text("")
    code, _, err = invoke("down", ONPREM, "--yes", "--state-dir", a_file)
    assert code == 2 and "is a file, not a folder" in err
