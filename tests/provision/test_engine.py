"""The Automation API engine, with the Pulumi CLI and stacks faked: detection, backend, secrets, options."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from aiinfra_iac.errors import EXIT_USAGE, MissingToolError, ProvisionError, UsageError
from aiinfra_iac.provision.engine import (
    ChangeSummary,
    Engine,
    find_pulumi_cli,
    harden_state,
    require_passphrase,
    require_pulumi_cli,
    state_dir,
    usable_state_dir,
)

from .plans import aws_p5_eks, k8s_ib


def fake_cli(folder: Path) -> Path:
    cli = folder / "bin" / "pulumi"
    cli.parent.mkdir(parents=True)
    cli.write_text("#!/bin/sh\necho v3.200.0\n")
    cli.chmod(0o755)
    return cli


def test_missing_cli_is_exit_2_with_one_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert find_pulumi_cli() is None
    with pytest.raises(MissingToolError) as caught:
        require_pulumi_cli()
    message = str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    assert "Pulumi CLI" in message and "curl -fsSL https://get.pulumi.com | sh" in message
    assert "\n" not in message


def test_cli_is_found_on_path_or_in_the_installer_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    on_path = fake_cli(tmp_path / "a")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_pulumi_cli() == str(on_path)
    home = tmp_path / "home"
    installed = fake_cli(home / ".pulumi")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(home))
    assert find_pulumi_cli() == str(installed)


def test_passphrase_is_required() -> None:
    with pytest.raises(UsageError, match="PULUMI_CONFIG_PASSPHRASE"):
        require_passphrase({})
    require_passphrase({"PULUMI_CONFIG_PASSPHRASE_FILE": "/run/secrets/p"})


def test_state_dir_flag_then_env_then_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIINFRA_STATE_DIR", str(tmp_path / "env"))
    assert state_dir(tmp_path / "flag") == (tmp_path / "flag").resolve()
    assert state_dir() == (tmp_path / "env").resolve()
    monkeypatch.delenv("AIINFRA_STATE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert state_dir() == (tmp_path / ".aiinfra" / "state").resolve()


def test_usable_state_dir_creates_a_private_folder_or_refuses_a_file(tmp_path: Path) -> None:
    made = usable_state_dir(tmp_path / "a" / "b")
    assert made.is_dir() and stat.S_IMODE(made.stat().st_mode) & 0o077 == 0
    existing = tmp_path / "shared"
    existing.mkdir(mode=0o755)
    assert usable_state_dir(existing) == existing.resolve()
    # an existing state folder is narrowed like a new one (issue 16); a shared sticky one is refused
    assert stat.S_IMODE(existing.stat().st_mode) == 0o700
    a_file = tmp_path / "f"
    a_file.write_text("")
    for bad in (a_file, a_file / "sub"):
        with pytest.raises(UsageError, match="as the state folder") as caught:
            usable_state_dir(bad)
        assert caught.value.exit_code == EXIT_USAGE


def test_harden_state_makes_everything_owner_only(tmp_path: Path) -> None:
    stack = tmp_path / ".pulumi" / "stacks" / "aiinfra" / "llm.json"
    stack.parent.mkdir(parents=True)
    stack.write_text("{}")
    stack.chmod(0o644)
    harden_state(tmp_path)
    assert stat.S_IMODE(stack.stat().st_mode) == 0o600
    assert stat.S_IMODE(stack.parent.stat().st_mode) == 0o700


class FakeStack:
    def __init__(self, calls: list[tuple[str, Any]], fail: str | None = None) -> None:
        self.calls = calls
        self.fail = fail

    def set_config(self, key: str, value: Any) -> None:
        self.calls.append(("config", (key, value.value)))

    def _result(self, op: str, kwargs: dict[str, Any]) -> Any:
        from pulumi import automation as auto

        self.calls.append((op, kwargs))
        kwargs["on_output"]("Updating (llm-p5)")
        if self.fail == op:
            raise auto.errors.CommandError(
                auto.CommandResult("", "error: AccessDenied\nfix your credentials", 255)
            )

        class Summary:
            resource_changes = {"create": 40, "same": 2}

        class Result:
            summary = Summary()
            change_summary = {auto.OpType.CREATE: 3, auto.OpType.SAME: 1}

        return Result()

    def up(self, **kwargs: Any) -> Any:
        return self._result("up", kwargs)

    def preview(self, **kwargs: Any) -> Any:
        return self._result("preview", kwargs)

    def destroy(self, **kwargs: Any) -> Any:
        return self._result("destroy", kwargs)

    def outputs(self) -> dict[str, Any]:
        from pulumi import automation as auto

        return {"addresses": auto.OutputValue({"train-0": "10.0.0.5"}, False)}


@pytest.fixture
def fake_pulumi(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    from pulumi import automation as auto

    cli = fake_cli(tmp_path / "cli")
    monkeypatch.setenv("PATH", str(cli.parent))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    calls: list[tuple[str, Any]] = []
    opened: dict[str, Any] = {}

    def create_or_select_stack(**kwargs: Any) -> FakeStack:
        opened.update(kwargs)
        return FakeStack(calls, fail=os.environ.get("FAKE_FAIL"))

    monkeypatch.setattr(auto, "create_or_select_stack", create_or_select_stack)
    monkeypatch.setattr(auto, "PulumiCommand", lambda root: ("cmd", root))
    return calls, opened


def test_up_uses_a_file_backend_passphrase_secrets_and_streams_progress(
    fake_pulumi: tuple[list[tuple[str, Any]], dict[str, Any]], tmp_path: Path
) -> None:
    calls, opened = fake_pulumi
    lines: list[str] = []
    state = tmp_path / "state"
    summary = Engine(aws_p5_eks(), state=state, progress=lines.append).up()
    assert summary == ChangeSummary("up", {"create": 40, "same": 2}) and summary.changes == 40
    options = opened["opts"]
    assert opened["stack_name"] == "llm-p5" and opened["project_name"] == "aiinfra"
    assert options.project_settings.backend.url == state.resolve().as_uri()
    assert options.secrets_provider == "passphrase"
    assert options.pulumi_command == ("cmd", str(tmp_path / "cli"))
    assert ("config", ("aws:region", "us-east-1")) in calls
    assert lines == ["Updating (llm-p5)"]
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


def test_preview_counts_changes(
    fake_pulumi: tuple[list[tuple[str, Any]], dict[str, Any]], tmp_path: Path
) -> None:
    summary = Engine(k8s_ib(), state=tmp_path).preview()
    assert summary.counts == {"create": 3, "same": 1} and summary.describe() == "3 to create"


def test_destroy_excludes_protected_storage_and_says_what_it_kept(
    fake_pulumi: tuple[list[tuple[str, Any]], dict[str, Any]], tmp_path: Path
) -> None:
    calls, _ = fake_pulumi
    _summary, kept = Engine(aws_p5_eks(), state=tmp_path).destroy()
    assert kept == ["scratch", "checkpoints"]
    destroy = next(kwargs for op, kwargs in calls if op == "destroy")
    assert destroy["exclude_protected"] is True


def test_outputs_are_plain_values(
    fake_pulumi: tuple[list[tuple[str, Any]], dict[str, Any]], tmp_path: Path
) -> None:
    assert Engine(aws_p5_eks(), state=tmp_path).outputs() == {"addresses": {"train-0": "10.0.0.5"}}


def test_pulumi_failures_become_provision_errors(
    fake_pulumi: tuple[list[tuple[str, Any]], dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_FAIL", "up")
    with pytest.raises(ProvisionError, match="AccessDenied") as caught:
        Engine(aws_p5_eks(), state=tmp_path).up()
    assert caught.value.exit_code == 1


def test_engine_checks_the_cli_before_the_passphrase(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(MissingToolError):
        Engine(aws_p5_eks(), environ={})
