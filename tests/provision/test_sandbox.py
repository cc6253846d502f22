"""The chroot sandbox of provider local: node roots, addresses, tools, provision/configure/down wiring.

A tiny tarball (``usr/bin/python3`` and ``etc/hostname``) stands in for the debootstrap image, so
these run without root, debootstrap or network;
``tests/lifecycle/test_sandbox_lifecycle_e2e.py`` converges the real image.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from aiinfra_iac.configure.inventory import host_address_vars
from aiinfra_iac.configure.roles import configures_nodes, roles_for_pool
from aiinfra_iac.configure.stage import run_configure
from aiinfra_iac.errors import EXIT_USAGE, AiinfraError, MissingToolError, UsageError
from aiinfra_iac.lifecycle.stages import StageRecord
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox, sandbox_net
from aiinfra_iac.provision.providers import provider_for

BLUEPRINTS = Path(__file__).resolve().parents[2] / "blueprints"
CHROOT_BP = BLUEPRINTS / "local-chroot-sandbox.yaml"
LOCAL = BLUEPRINTS / "local-host.yaml"


def invoke(*args: object) -> tuple[int, str]:
    from typer.testing import CliRunner

    from aiinfra_iac.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stderr


def _plan(path: Path = CHROOT_BP) -> ClusterPlan:
    from aiinfra_iac.plan import plan_from_file

    return plan_from_file(path)[0]


def _console() -> Console:
    return Console(file=io.StringIO(), width=200)


def _text(console: Console) -> str:
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


@pytest.fixture
def fake_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tarball with the two files a node root is recognised by; tools treated as present."""
    src = tmp_path / "image"
    (src / "usr/bin").mkdir(parents=True)
    (src / "usr/bin/python3").write_text("#!/bin/false\n")
    (src / "etc").mkdir()
    (src / "etc/hostname").write_text("sandbox\n")
    tarball = tmp_path / "bookworm.tar"
    subprocess.run(["tar", "-C", str(src), "-cf", str(tarball), "."], check=True)
    monkeypatch.setattr(sandbox, "require_tools", lambda: None)
    monkeypatch.setattr(sandbox, "base_tarball", lambda: tarball)
    monkeypatch.setattr(sandbox_net, "up", _fake_net_up)
    return tarball


def _fake_net_up(plan: ClusterPlan, state: Path, roots: dict[str, Path]) -> sandbox_net.SandboxNet:
    """The record the network step would write, without namespaces (those need root: test_sandbox_net)."""
    nodes = tuple(
        sandbox_net.NodeNet(h, f"ns-{h}", f"veth{i}", f"10.9.9.{i + 2}")
        for i, h in enumerate(sandbox_net.hosts_in_plan(plan))
    )
    net = sandbox_net.SandboxNet("fake", "br-fake", "10.9.9.0/24", "10.9.9.1", 1500, nodes)
    path = sandbox_net.record_path(plan, state)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(net.to_json())
    return net


def test_roots_and_addresses_live_under_the_state_dir(tmp_path: Path) -> None:
    plan = _plan()
    roots = sandbox.node_roots(plan, tmp_path)
    assert roots == {
        "sandbox-0": tmp_path / "local-chroot-sandbox/sandbox/sandbox-0",
        "sandbox-1": tmp_path / "local-chroot-sandbox/sandbox/sandbox-1",
    }
    addresses = sandbox.chroot_addresses(plan, tmp_path)
    assert addresses["sandbox-1"] == f"chroot:{roots['sandbox-1']}"
    assert host_address_vars(addresses["sandbox-1"]) == {
        "ansible_connection": "community.general.chroot",
        "ansible_host": str(roots["sandbox-1"]),
    }


def test_only_local_with_chroot_is_a_sandbox_that_configure_runs_on() -> None:
    chroot, plain = _plan(), _plan(LOCAL)
    assert sandbox.uses_chroot_sandbox(chroot) and not sandbox.uses_chroot_sandbox(plain)
    assert configures_nodes(chroot) and not configures_nodes(plain)
    assert roles_for_pool(chroot, chroot.pool("sandbox")) == ["host_tuning"]
    assert roles_for_pool(plain, plain.pool("sandbox")) == []
    assert "sandbox node(s)" in provider_for(chroot).describe(chroot)
    assert "this machine" in provider_for(plain).describe(plain)


def test_not_root_is_a_missing_tool_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aiinfra_iac.provision.sandbox.os.geteuid", lambda: 1000)
    with pytest.raises(MissingToolError, match="apt-get install debootstrap and run as root") as caught:
        sandbox.require_tools()
    assert caught.value.exit_code == EXIT_USAGE


def test_missing_debootstrap_is_a_missing_tool_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aiinfra_iac.provision.sandbox.os.geteuid", lambda: 0)
    monkeypatch.setattr(
        "aiinfra_iac.provision.sandbox.shutil.which",
        lambda tool: None if tool == "debootstrap" else f"/x/{tool}",
    )
    with pytest.raises(MissingToolError, match="debootstrap is not installed: apt-get install debootstrap"):
        sandbox.require_tools()


def test_create_extracts_each_node_once_and_remove_lists_them(fake_image: Path, tmp_path: Path) -> None:
    plan, state = _plan(), tmp_path / "state"
    with pytest.raises(UsageError, match=r"sandbox-0, sandbox-1 have no root.*--only provision"):
        sandbox.require_nodes(plan, state)
    assert sandbox.create_nodes(plan, state) == sandbox.NodeChanges(["sandbox-0", "sandbox-1"], [], [])
    root = sandbox.node_roots(plan, state)["sandbox-0"]
    assert (root / "etc/hostname").read_text() == "sandbox\n"
    (root / "etc/marker").write_text("kept")
    # a root cut short (no python3) is extracted again; a complete one is left alone
    (sandbox.node_roots(plan, state)["sandbox-1"] / "usr/bin/python3").unlink()
    assert sandbox.create_nodes(plan, state) == sandbox.NodeChanges(["sandbox-1"], ["sandbox-0"], [])
    assert (root / "etc/marker").read_text() == "kept"
    sandbox.require_nodes(plan, state)
    removed = sandbox.remove_nodes(plan, state)
    assert removed == ["sandbox-0", "sandbox-1"]
    assert not sandbox.sandbox_dir(plan, state).exists()
    assert sandbox.remove_nodes(plan, state) == []


def test_remove_refuses_while_something_is_mounted_below(
    fake_image: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _plan()
    sandbox.create_nodes(plan, tmp_path)
    proc_dir = sandbox.node_roots(plan, tmp_path)["sandbox-0"] / "proc"
    monkeypatch.setattr(sandbox, "mounts_below", lambda base: [str(proc_dir)])
    with pytest.raises(AiinfraError, match=r"1 mount\(s\) below .*unmount them first"):
        sandbox.remove_nodes(plan, tmp_path)
    assert proc_dir.parent.exists()


def test_mounts_below_matches_the_folder_and_its_children_only() -> None:
    assert "/proc" in sandbox.mounts_below(Path("/proc"))
    assert sandbox.mounts_below(Path("/pro")) == []


def test_tool_failure_names_the_step() -> None:
    with pytest.raises(sandbox.ImageBuildError, match=r"extract /nowhere failed \(exit 2\)"):
        sandbox.run_tool(["tar", "-C", "/nowhere", "-xf", "/nonexistent.tar"], what="extract /nowhere")


def test_configure_refuses_a_sandbox_without_chroot_addresses() -> None:
    plan = _plan()
    with pytest.raises(UsageError, match=r"sandbox-0, sandbox-1 have no chroot address.*never retunes"):
        run_configure(plan, console=_console(), addresses={"sandbox-0": "local", "sandbox-1": "local"})


def test_plain_local_sandbox_still_skips_configure() -> None:
    result = run_configure(_plan(LOCAL), console=_console())
    assert result.skipped_reason is not None and "never retunes the machine" in result.skipped_reason


def test_down_removes_the_roots_and_says_which(fake_image: Path, tmp_path: Path) -> None:
    plan = _plan()
    sandbox.create_nodes(plan, tmp_path)
    StageRecord.load(tmp_path, plan).mark("provision")
    code, err = invoke("down", CHROOT_BP, "--yes", "--state-dir", tmp_path)
    assert code == 0, err
    assert "2 node root(s)" in err and "sandbox-0, sandbox-1" in err
    assert not sandbox.sandbox_dir(plan, tmp_path).exists()
    assert StageRecord.load(tmp_path, plan).completed == []
    code, err = invoke("down", CHROOT_BP, "--yes", "--state-dir", tmp_path)
    assert code == 0 and "nothing to remove" in err
