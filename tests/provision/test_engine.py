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
    """Stands in for ``pulumi.automation.Stack``; ``state`` is the exported deployment (shared)."""

    def __init__(
        self, calls: list[tuple[str, Any]], fail: str | None = None, state: dict[str, Any] | None = None
    ) -> None:
        self.calls = calls
        self.fail = fail
        self.state = state if state is not None else {}

    def export_stack(self) -> Any:
        from pulumi import automation as auto

        self.calls.append(("export", None))
        return auto.Deployment(version=3, deployment=dict(self.state))

    def import_stack(self, exported: Any) -> None:
        self.calls.append(("import", exported.deployment))
        self.state.clear()
        self.state.update(exported.deployment)

    def refresh(self, **kwargs: Any) -> Any:
        return self._result("refresh", kwargs)

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
    opened: dict[str, Any] = {"state": {}}

    def create_or_select_stack(**kwargs: Any) -> FakeStack:
        opened.update(kwargs)
        return FakeStack(calls, fail=os.environ.get("FAKE_FAIL"), state=opened["state"])

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
    assert opened["stack_name"] == "llm-p5.us-east-1" and opened["project_name"] == "aiinfra"
    assert options.project_settings.backend.url == state.resolve().as_uri()
    assert options.secrets_provider == "passphrase"
    assert options.pulumi_command == ("cmd", str(tmp_path / "cli"))
    assert ("config", ("aws:region", "us-east-1")) in calls
    assert lines == ["Updating (llm-p5)"]  # nothing to recover: no recovery lines
    up = next(kwargs for op, kwargs in calls if op == "up")
    assert up["refresh"] is True  # drift outside Pulumi is read before the update
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


def test_preview_and_destroy_refresh_first(
    fake_pulumi: tuple[list[tuple[str, Any]], dict[str, Any]], tmp_path: Path
) -> None:
    calls, _ = fake_pulumi
    Engine(k8s_ib(), state=tmp_path / "state").preview()
    Engine(aws_p5_eks(), state=tmp_path / "state").destroy()
    assert [kwargs["refresh"] for op, kwargs in calls if op in ("preview", "destroy")] == [True, True]


def test_stack_name_carries_the_target_or_metadata_stack() -> None:
    from aiinfra_iac.deployment.paths import stack_name

    p5 = aws_p5_eks()
    assert stack_name(p5) == "llm-p5.us-east-1"
    other = p5.model_copy(
        update={"provider": p5.provider.model_copy(update={"region": "eu-west-1", "profile": "prod"})}
    )
    assert stack_name(other) == "llm-p5.prod.eu-west-1"
    in_account = other.model_copy(
        update={"provider": other.provider.model_copy(update={"account_id": "210987654321"})}
    )
    assert stack_name(in_account) == "llm-p5.210987654321.eu-west-1"  # the account, not the profile
    assert stack_name(k8s_ib()) == "k8s-ib.prod"
    assert stack_name(p5.model_copy(update={"stack": "mine"})) == "mine"


def test_an_interrupted_run_is_recovered_before_the_next_up(
    fake_pulumi: tuple[list[tuple[str, Any]], dict[str, Any]], tmp_path: Path
) -> None:
    calls, opened = fake_pulumi
    pending = {
        "type": "creating",
        "resource": {
            "urn": "urn:pulumi:s::aiinfra::aws:ec2/instance:Instance::llm-p5-train-0",
            "type": "aws:ec2/instance:Instance",
        },
    }
    opened["state"].update({"resources": [], "pending_operations": [pending]})
    lock = tmp_path / ".pulumi" / "locks" / "organization" / "aiinfra" / "llm-p5.us-east-1" / "x.json"
    lock.parent.mkdir(parents=True)
    lock.write_text("{}")
    lines: list[str] = []
    Engine(aws_p5_eks(), state=tmp_path, progress=lines.append).up()
    assert not lock.exists()
    assert opened["state"]["pending_operations"] == []
    ops = [op for op, _ in calls if op in ("export", "import", "refresh", "up")]
    assert ops == ["export", "import", "refresh", "up"]  # cleared, refreshed, then updated
    said = "\n".join(lines)
    assert "removed 1 stale Pulumi lock(s)" in said
    assert (
        "cleared 1 pending operation(s)" in said
        and "creating aws:ec2/instance:Instance llm-p5-train-0" in said
    )


def test_remaining_lists_what_a_destroy_kept(
    fake_pulumi: tuple[list[tuple[str, Any]], dict[str, Any]], tmp_path: Path
) -> None:
    _, opened = fake_pulumi
    opened["state"]["resources"] = [
        {"urn": "urn:pulumi:s::aiinfra::pulumi:pulumi:Stack::aiinfra-s", "type": "pulumi:pulumi:Stack"},
        {"urn": "urn:pulumi:s::aiinfra::pulumi:providers:aws::default", "type": "pulumi:providers:aws"},
        {
            "urn": "urn:…::llm-p5-scratch",
            "type": "aws:fsx/lustreFileSystem:LustreFileSystem",
            "protect": True,
        },
        {"urn": "urn:…::llm-p5-vpc", "type": "aws:ec2/vpc:Vpc"},
    ]
    assert Engine(aws_p5_eks(), state=tmp_path).remaining() == [
        ("aws:fsx/lustreFileSystem:LustreFileSystem", "llm-p5-scratch", True),
        ("aws:ec2/vpc:Vpc", "llm-p5-vpc", False),
    ]


def test_purge_retained_lifts_protection_then_destroys_everything(
    fake_pulumi: tuple[list[tuple[str, Any]], dict[str, Any]], tmp_path: Path
) -> None:
    calls, opened = fake_pulumi
    opened["state"]["resources"] = [
        {
            "urn": "u::llm-p5-scratch",
            "type": "aws:fsx/lustreFileSystem:LustreFileSystem",
            "protect": True,
            "retainOnDelete": True,
        },
    ]
    _summary, kept = Engine(aws_p5_eks(), state=tmp_path).destroy(purge_retained=True)
    assert kept == []
    assert opened["state"]["resources"] == [
        {"urn": "u::llm-p5-scratch", "type": "aws:fsx/lustreFileSystem:LustreFileSystem", "protect": False}
    ]
    destroy = next(kwargs for op, kwargs in calls if op == "destroy")
    assert destroy["exclude_protected"] is False


def test_an_account_id_pins_the_aws_provider_to_that_account(
    fake_pulumi: tuple[list[tuple[str, Any]], dict[str, Any]], tmp_path: Path
) -> None:
    calls, opened = fake_pulumi
    p5 = aws_p5_eks()
    pinned = p5.model_copy(update={"provider": p5.provider.model_copy(update={"account_id": "123456789012"})})
    Engine(pinned, state=tmp_path / "state").preview()
    assert opened["stack_name"] == "llm-p5.123456789012.us-east-1"
    assert ("config", ("aws:allowedAccountIds", '["123456789012"]')) in calls
    calls.clear()
    Engine(p5, state=tmp_path / "state").preview()
    assert not [c for c in calls if c[0] == "config" and c[1][0] == "aws:allowedAccountIds"]
