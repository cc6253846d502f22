"""One ``up``/``down`` per stack at a time; unreachable nodes are exit 3 with the cause first;
``down`` says what it removed and is harmless twice; retain defaults follow the data's nature."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from aiinfra_iac.deployment import Deployment, NodeRecord, Ssh, write_deployment
from aiinfra_iac.deployment.paths import stack_dir, stack_name
from aiinfra_iac.errors import NodesUnreachable, StackLocked
from aiinfra_iac.lifecycle.lock import stack_lock
from aiinfra_iac.plan import plan_from_file
from tests.commands._cli import LOCAL, ONPREM, invoke


def test_a_second_run_of_the_same_stack_stops_at_once(tmp_path: Path) -> None:
    plan, _ = plan_from_file(LOCAL)
    with stack_lock(stack_dir(tmp_path, plan), stack_name(plan), "up"):
        for command in ("up", "down"):
            code, _, err = invoke(command, LOCAL, "--yes", "--state-dir", tmp_path)
            assert code == 1, err
            assert f"stack {stack_name(plan)} is locked by `aiinfra up` (pid" in err
            assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    with stack_lock(stack_dir(tmp_path, plan), stack_name(plan), "down"):
        pass  # released when the holder is done


def test_the_lock_names_its_holder(tmp_path: Path) -> None:
    with (
        stack_lock(tmp_path / "s", "s", "up"),
        pytest.raises(StackLocked, match=r"locked by `aiinfra up`"),
        stack_lock(tmp_path / "s", "s", "down"),
    ):
        pass


def test_unreachable_message_leads_with_the_cause() -> None:
    error = NodesUnreachable(
        "configure",
        [("a", "ssh: connect to host a port 22: Connection refused"), ("b", "timed out"),
         ("c", "ssh: connect to host a port 22: Connection refused")],
    )  # fmt: skip
    lines = str(error).splitlines()
    assert error.exit_code == 3
    assert (
        lines[0]
        == "3 node(s) unreachable during configure: ssh: connect to host a port 22: Connection refused"
    )
    assert lines[1:] == [
        "  a: ssh: connect to host a port 22: Connection refused",
        "  b: timed out",
        "  c: ssh: connect to host a port 22: Connection refused",
    ]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("ansible_runner") is None, reason="ansible-runner missing")
def test_configure_against_unreachable_nodes_is_exit_3(tmp_path: Path) -> None:
    plan, _ = plan_from_file(ONPREM)
    nodes = tuple(
        NodeRecord(name=h, pool=p.name, access=Ssh(host="127.0.0.1", port=1, user="nobody"))
        for p in plan.pools
        for h in p.hosts
    )
    write_deployment(
        tmp_path, Deployment(cluster=plan.name, stack=stack_name(plan), provider="onprem", nodes=nodes)
    )
    code, _, err = invoke("up", ONPREM, "--yes", "--only", "configure", "--state-dir", tmp_path)
    lines = err.strip().splitlines()
    first = next(i for i, line in enumerate(lines) if "unreachable during configure" in line)
    assert code == 3, err
    assert lines[first].startswith(f"{len(nodes)} node(s) unreachable during configure: ")
    assert "Connection refused" in lines[first] or "port 1" in lines[first]
    assert {line.split(":")[0].strip() for line in lines[first + 1 : first + 1 + len(nodes)]} == {
        n.name for n in nodes
    }


def test_down_removes_artifacts_and_record_and_is_harmless_twice(tmp_path: Path) -> None:
    plan, _ = plan_from_file(ONPREM)
    folder = stack_dir(tmp_path, plan)
    (folder / "configure" / "artifacts" / "x").mkdir(parents=True)
    (folder / "results" / "20260101T000000Z").mkdir(parents=True)
    write_deployment(tmp_path, Deployment(cluster=plan.name, stack=stack_name(plan), provider="onprem"))
    code, _, err = invoke("down", ONPREM, "--yes", "--state-dir", tmp_path)
    assert code == 0, err
    assert "removed the configure runner artifacts" in err and "removed the deployment record" in err
    assert f"validation results kept in {folder / 'results'}" in err
    assert not (folder / "configure").exists() and not (folder / "deployment.json").exists()
    code, _, err = invoke("down", ONPREM, "--yes", "--state-dir", tmp_path)
    assert code == 0 and "removed" not in err and "nothing to destroy" in err


@pytest.mark.parametrize(
    ("storage", "retained"),
    [
        ({"type": "s3"}, True),
        ({"type": "fsx-lustre"}, True),  # provision's default is PERSISTENT_2
        ({"type": "fsx-lustre", "deploymentType": "PERSISTENT_1"}, True),
        ({"type": "fsx-lustre", "deploymentType": "SCRATCH_2"}, False),
        ({"type": "fsx-lustre", "deploymentType": "SCRATCH_2", "retain": True}, True),
        ({"type": "s3", "retain": False}, False),
        ({"type": "nfs", "server": "n", "export": "/e"}, False),
    ],
)
def test_retain_defaults_to_true_only_for_persistent_data(storage: dict[str, object], retained: bool) -> None:
    from aiinfra_iac.blueprint.models import Storage

    assert Storage.model_validate({"name": "d", **storage}).retain is retained
