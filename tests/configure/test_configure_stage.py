"""run_configure's decisions before Ansible runs: skipped providers, missing addresses, missing tools."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from configure_plans import H100, cluster, efa_fabric, pool
from rich.console import Console

from aiinfra_iac.configure import runner
from aiinfra_iac.configure.stage import run_configure
from aiinfra_iac.errors import EXIT_USAGE, MissingToolError, UsageError


def _console() -> Console:
    return Console(file=io.StringIO(), width=120)


@pytest.mark.parametrize("provider", ["kubernetes", "local"])
def test_providers_whose_nodes_are_left_alone(provider: str, tmp_path: Path) -> None:
    plan = cluster((pool("gpu", 2, gpu=H100),), provider=provider, scheduler="kubernetes")
    result = run_configure(plan, console=_console(), private_data_dir=tmp_path)
    assert result.hosts == {} and result.changed_hosts == ()
    assert result.skipped_reason is not None and result.skipped_reason.startswith(f"provider {provider}:")
    assert not any(tmp_path.iterdir())


def test_aws_without_addresses_is_a_usage_error(tmp_path: Path) -> None:
    plan = cluster((pool("train", 8, gpu=H100, fabric=efa_fabric()),), provider="aws", scheduler="kubernetes")
    with pytest.raises(UsageError) as caught:
        run_configure(plan, console=_console(), addresses={"train-0": "10.0.0.1"}, private_data_dir=tmp_path)
    message = str(caught.value)
    assert (
        "no address known for 7 node(s) (train-1, train-2, train-3, train-4, train-5 and 2 more)" in message
    )
    assert "aiinfra up FILE --only provision" in message


def test_missing_ansible_playbook_is_exit_2_with_install_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    plan = cluster((pool("cpu", 1),), scheduler="kubernetes")
    with pytest.raises(MissingToolError) as caught:
        run_configure(
            plan, console=_console(), addresses={"cpu-0": "chroot:/nonexistent"}, private_data_dir=tmp_path
        )
    assert caught.value.exit_code == EXIT_USAGE
    assert str(caught.value).startswith("ansible-playbook is not installed: install it with `pip install")


def test_forks_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIINFRA_ANSIBLE_FORKS", raising=False)
    assert runner.forks_for(3) == 3
    assert runner.forks_for(10_240) == 100
    monkeypatch.setenv("AIINFRA_ANSIBLE_FORKS", "250")
    assert runner.forks_for(10_240) == 250
