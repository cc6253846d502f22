"""The deployment record: typed access union, atomic 0600 write, clear errors on damaged files."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from aiinfra_iac.deployment import (
    Chroot,
    Deployment,
    Local,
    NodeRecord,
    Ssh,
    Ssm,
    StorageRecord,
    deployment_path,
    read_deployment,
    remove_deployment,
    require_deployment,
    write_deployment,
)
from aiinfra_iac.errors import UsageError


def sample() -> Deployment:
    return Deployment(
        cluster="c1",
        stack="c1",
        provider="aws",
        nodes=(
            NodeRecord(
                name="train-0",
                pool="train",
                access=Ssh(host="10.0.0.5", user="ubuntu", port=2222, bastion="jump@1.2.3.4"),
            ),
            NodeRecord(
                name="train-1",
                pool="train",
                access=Ssm(instance_id="i-0123456789abcdef0", region="us-east-1"),
                private_address="10.0.0.6",
            ),
            NodeRecord(name="sb-0", pool="sb", access=Chroot(root="/s/sb-0", netns="aiinfra-sb-0")),
            NodeRecord(name="me", pool="sb", access=Local()),
        ),
        storage=(
            StorageRecord(
                name="scratch", type="fsx-lustre", dns_name="fs.x", mount_name="abc", retained=True
            ),
        ),
        aws_region="us-east-1",
    )


def test_round_trip_keeps_every_access_kind(tmp_path: Path) -> None:
    path = write_deployment(tmp_path, sample())
    assert path == deployment_path(tmp_path, "c1")
    back = read_deployment(tmp_path, "c1")
    assert back is not None
    assert back.model_copy(update={"written_at": None}) == sample()
    assert back.written_at
    kinds = {n.name: type(n.access) for n in back.nodes}
    assert kinds == {"train-0": Ssh, "train-1": Ssm, "sb-0": Chroot, "me": Local}
    storage = back.storage_named("scratch")
    assert storage is not None and storage.mountable and storage.retained


def test_json_is_camel_case_with_schema_version(tmp_path: Path) -> None:
    data = json.loads(write_deployment(tmp_path, sample()).read_text())
    assert data["schemaVersion"] == 1
    assert data["nodes"][1]["access"] == {
        "kind": "ssm",
        "instanceId": "i-0123456789abcdef0",
        "region": "us-east-1",
        "profile": None,
    }
    assert data["storage"][0]["dnsName"] == "fs.x"


def test_written_owner_only_and_no_temporary_left(tmp_path: Path) -> None:
    path = write_deployment(tmp_path, sample())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["deployment.json"]


def test_missing_record_is_none_and_require_says_what_to_run(tmp_path: Path) -> None:
    assert read_deployment(tmp_path, "nope") is None
    with pytest.raises(UsageError, match="aiinfra up"):
        require_deployment(tmp_path, "nope", "nope")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", "not JSON"),
        ('{"schemaVersion": 99}', "schemaVersion 99"),
        (
            '{"schemaVersion": 1, "cluster": "c", "stack": "c", "provider": "local", '
            '"nodes": [{"name": "n", "pool": "p", "access": {"kind": "telnet"}}]}',
            "nodes.0.access",
        ),
    ],
)
def test_damaged_record_is_a_usage_error_naming_the_file(tmp_path: Path, text: str, match: str) -> None:
    path = deployment_path(tmp_path, "c")
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(UsageError, match=match) as caught:
        read_deployment(tmp_path, "c")
    assert str(path) in str(caught.value)


def test_remove_is_harmless_twice(tmp_path: Path) -> None:
    write_deployment(tmp_path, sample())
    assert remove_deployment(tmp_path, "c1") is True
    assert remove_deployment(tmp_path, "c1") is False


def test_records_are_frozen() -> None:
    with pytest.raises(ValueError):
        sample().nodes[0].access.host = "x"  # type: ignore[misc,union-attr]
