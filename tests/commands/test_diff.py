"""`aiinfra diff`: exit codes 0 none / 1 error / 2 changes (with --detailed-exitcode)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiinfra_iac.lifecycle.diffing import DiffReport

from ._cli import P5, invoke, run_cli, without_pulumi


def fake_report(monkeypatch: pytest.MonkeyPatch, cloud: int, nodes: tuple[str, ...]) -> None:
    def diff_cluster(plan: Any, **kwargs: Any) -> DiffReport:
        return DiffReport(
            plan.name, cloud, f"{cloud} to update" if cloud else "no changes", nodes, "no node differs"
        )

    monkeypatch.setattr("aiinfra_iac.lifecycle.diffing.diff_cluster", diff_cluster)


def test_no_changes_is_exit_0(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_report(monkeypatch, 0, ())
    code, out, _ = invoke("diff", P5, "--detailed-exitcode")
    assert code == 0 and "no changes" in out


def test_changes_are_exit_2_only_with_detailed_exitcode(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_report(monkeypatch, 3, ("train-4",))
    code, out, _ = invoke("diff", P5, "--detailed-exitcode")
    assert code == 2 and "changes present" in out and "train-4" in out
    code, _, _ = invoke("diff", P5)
    assert code == 0


def test_diff_without_pulumi_cli_is_exit_1(tmp_path: Path) -> None:
    """diff keeps 2 for "changes present" alone, with or without --detailed-exitcode."""
    done = run_cli("diff", P5, env={**without_pulumi(tmp_path), "PULUMI_CONFIG_PASSPHRASE": "x"})
    assert done.returncode == 1 and "Pulumi CLI" in done.stderr and "Traceback" not in done.stderr


def test_detailed_exitcode_keeps_2_for_changes_only(tmp_path: Path) -> None:
    """A pipeline reads 2 as drift: a missing Pulumi CLI or an unreadable file is 1 there."""
    env = {**without_pulumi(tmp_path), "PULUMI_CONFIG_PASSPHRASE": "x"}
    done = run_cli("diff", P5, "--detailed-exitcode", env=env)
    assert done.returncode == 1 and "Pulumi CLI" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
    code, out, err = invoke("diff", tmp_path / "missing.yaml", "--detailed-exitcode")
    assert code == 1 and "AI008" in err and out == ""
    code, _, err = invoke("diff", tmp_path / "missing.yaml")
    assert code == 1 and "AI008" in err
