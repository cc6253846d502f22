"""The ansible-runner fallback: the generated playbook and per-host variables."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from aiinfra_iac.deployment import Ssh, Ssm
from aiinfra_iac.validate.runners.commands import Step, all_steps
from aiinfra_iac.validate.runners.playbook import GROUP, MISSING_MARK, host_vars, playbook
from aiinfra_iac.validate.runners.remote import _missing_tools, inventory

from . import builders as b


def _steps() -> list[Step]:
    pool = b.pool("gpu", 2, gpu_plan=b.gpu(), fabric_plan=b.fabric())
    plan = b.plan([pool], b.gpu_checks("gpu", multi=360.0))
    return all_steps(plan, {"gpu": pool.hosts})


def test_host_vars_split_steps_by_play() -> None:
    hv = host_vars(_steps())
    assert set(hv) == {"gpu-0", "gpu-1"}
    first = hv["gpu-0"]
    assert first["aiinfra_validate_tools"] == ["all_reduce_perf", "dcgmi", "gpu_burn", "ib_write_bw", "srun"]
    assert [s["output"] for s in first["aiinfra_validate_node_steps"]] == [
        "gpu-0/gpu_burn.log",
        "gpu-0/dcgm_diag.json",
        "gpu-0/nccl_all_reduce.log",
    ]
    assert [s["output"] for s in first["aiinfra_validate_pool_steps"]] == ["_cluster/nccl_all_reduce.log"]
    assert hv["gpu-1"]["aiinfra_validate_pool_steps"] == []
    assert len(first["aiinfra_validate_rdma_servers"]) == 1 and hv["gpu-1"]["aiinfra_validate_rdma_clients"]


def test_playbook_shape(tmp_path: Path) -> None:
    plays = playbook(tmp_path / "results")
    assert [p["name"].split(": ")[1] for p in plays] == [
        "preflight",
        "per-node tests",
        "RDMA pairs",
        "multi-node NCCL",
    ]
    assert plays[0]["any_errors_fatal"] is True and plays[1]["strategy"] == "free"
    modules = {k for p in plays for t in p["tasks"] for k in t if k.startswith("ansible.builtin.")}
    assert {"ansible.builtin.fetch", "ansible.builtin.fail", "ansible.builtin.async_status"} <= modules
    fetch = plays[1]["tasks"][1]["ansible.builtin.fetch"]
    assert fetch["dest"] == f"{tmp_path / 'results'}/{{{{ item.output }}}}" and fetch["flat"] is True


@pytest.mark.skipif(shutil.which("ansible-playbook") is None, reason="ansible-playbook not installed")
def test_playbook_passes_ansible_syntax_check(tmp_path: Path) -> None:
    book = tmp_path / "validate.yml"
    book.write_text(yaml.safe_dump(playbook(tmp_path / "results")))
    inventory = tmp_path / "hosts.json"
    inventory.write_text(json.dumps({"all": {"children": {GROUP: {"hosts": host_vars(_steps())}}}}))
    done = subprocess.run(
        ["ansible-playbook", "--syntax-check", "-i", str(inventory), str(book)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_missing_tool_event_is_found() -> None:
    events = [
        {"event": "runner_on_ok", "event_data": {"host": "gpu-0", "res": {"msg": "fine"}}},
        {
            "event": "runner_on_failed",
            "event_data": {"host": "gpu-1", "res": {"msg": f"{MISSING_MARK} all_reduce_perf,gpu_burn"}},
        },
    ]
    assert _missing_tools(events) == {"gpu-1": "all_reduce_perf"}
    assert _missing_tools(events[:1]) == {}


def test_inventory_reaches_the_nodes_as_the_deployment_record_says() -> None:
    head = b.pool("head", 1)
    gpu = b.pool("gpu", 2, gpu_plan=b.gpu(), fabric_plan=b.fabric())
    plan = b.plan([head, gpu], b.gpu_checks("gpu"))
    access = {
        "gpu-0": Ssh(host="10.0.0.5", user="ubuntu", port=2222, bastion="jump@1.2.3.4"),
        "gpu-1": Ssm(instance_id="i-0123456789abcdef0", region="us-east-1"),
    }
    inv = inventory(plan, access)
    group = inv["all"]["children"][GROUP]["hosts"]
    assert set(group) == {"gpu-0", "gpu-1"}  # the head node runs nothing
    assert group["gpu-0"]["aiinfra_validate_node_steps"][0]["output"] == "gpu-0/gpu_burn.log"
    assert group["gpu-0"]["ansible_host"] == "10.0.0.5" and group["gpu-0"]["ansible_port"] == 2222
    assert group["gpu-0"]["ansible_ssh_common_args"] == "-o ProxyJump=jump@1.2.3.4"
    assert group["gpu-1"]["ansible_connection"] == "community.aws.aws_ssm"
    assert "ansible_host" not in inventory(plan)["all"]["children"][GROUP]["hosts"]["gpu-0"]
