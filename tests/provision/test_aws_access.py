"""Node access on AWS: the deployment record's targets and the local tools SSM needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra_iac.blueprint.models import Provider
from aiinfra_iac.deployment import Ssh, Ssm
from aiinfra_iac.errors import EXIT_USAGE, MissingToolError
from aiinfra_iac.provision.aws.node_access import node_records, require_access_tools

from .plans import aws_p4d_slurm, onprem


def test_ssm_is_the_default_and_records_instance_ids() -> None:
    plan = aws_p4d_slurm()
    ids = {"head-0": "i-0123456789abcdef0", "train-0": "i-0123456789abcdef1"}
    records = {r.name: r for r in node_records(plan, {"head-0": "10.0.0.5"}, ids)}
    assert set(records) == {"head-0", "train-0"}
    head = records["head-0"]
    assert head.access == Ssm(instance_id="i-0123456789abcdef0", region="us-west-2")
    assert head.private_address == "10.0.0.5" and head.pool == "head"


def test_ssh_access_records_the_bastion() -> None:
    plan = aws_p4d_slurm()
    plan = plan.model_copy(
        update={
            "provider": Provider(
                type="aws",
                region="us-west-2",
                availability_zone="us-west-2b",
                node_access="ssh",
                key_name="k",
            )
        }
    )
    [record] = node_records(plan, {"train-1": "10.0.0.9"}, {}, bastion_address="198.51.100.7")
    assert record.access == Ssh(host="10.0.0.9", user="ubuntu", bastion="ubuntu@198.51.100.7")


@pytest.mark.parametrize(("present", "missing"), [(set(), "aws"), ({"aws"}, "session-manager-plugin")])
def test_missing_aws_cli_or_plugin_is_exit_2_in_one_sentence(present: set[str], missing: str) -> None:
    with pytest.raises(MissingToolError) as raised:
        require_access_tools(
            aws_p4d_slurm(), which=lambda tool: f"/usr/bin/{tool}" if tool in present else None
        )
    assert raised.value.exit_code == EXIT_USAGE and raised.value.tool == missing
    assert str(raised.value).startswith(f"{missing} is not installed: install") and "\n" not in str(
        raised.value
    )


def test_tools_present_or_not_aws_pass() -> None:
    require_access_tools(aws_p4d_slurm(), which=lambda tool: f"/usr/bin/{tool}")
    require_access_tools(onprem(), which=lambda tool: None)


def test_deployment_record_of_an_aws_stack_uses_ssm_targets(tmp_path: Path) -> None:
    from aiinfra_iac.provision.record import deployment_for, missing_nodes

    plan = aws_p4d_slurm()
    hosts = [h for pool in plan.pools for h in pool.hosts]
    outputs = {
        "addresses": {h: f"10.0.0.{i + 10}" for i, h in enumerate(hosts)},
        "instanceIds": {h: f"i-0000000000000000{i}" for i, h in enumerate(hosts)},
        "nodeAccess": {"method": "ssm", "region": "us-west-2", "profile": None, "bastion": None},
    }
    record = deployment_for(plan, stack=plan.name, state=tmp_path, outputs=outputs)
    assert missing_nodes(plan, record) == []
    head = record.node("head-0")
    assert head is not None and head.access == Ssm(instance_id="i-00000000000000000", region="us-west-2")
    assert head.private_address == "10.0.0.10"


def test_a_stack_without_instance_ids_falls_back_to_the_private_address() -> None:
    [record] = node_records(aws_p4d_slurm(), {"train-2": "10.0.0.7"}, {})
    assert record.access == Ssh(host="10.0.0.7")
