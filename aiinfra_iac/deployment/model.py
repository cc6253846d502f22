"""Typed records of a deployment: nodes (with how to reach each), storage endpoints, targets.

How a node is reached is a tagged union (``kind``): :class:`Ssh`, :class:`Ssm`, :class:`Chroot`
or :class:`Local` — never a string such as ``chroot:/path`` or ``ssh://user@host`` that every
reader parses again. The JSON form is the pydantic dump by alias (camelCase), with
``schemaVersion``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Ssh(Record):
    """Reach the node over SSH (``bastion``: a jump host, ``user@host[:port]``)."""

    kind: Literal["ssh"] = "ssh"
    host: str = Field(min_length=1)
    user: str | None = None
    port: int = Field(default=22, ge=1, le=65535)
    bastion: str | None = None
    key_file: str | None = Field(default=None, alias="keyFile")


class Ssm(Record):
    """Reach an EC2 instance through AWS Systems Manager (no inbound port)."""

    kind: Literal["ssm"] = "ssm"
    instance_id: str = Field(pattern=r"^i-[0-9a-f]{8,17}$", alias="instanceId")
    region: str = Field(min_length=1)
    profile: str | None = None


class Chroot(Record):
    """A sandbox node: a chroot on this machine, optionally in its own network namespace."""

    kind: Literal["chroot"] = "chroot"
    root: str = Field(min_length=1)
    netns: str | None = None


class Local(Record):
    """This machine itself (provider ``local`` without a sandbox)."""

    kind: Literal["local"] = "local"


Access = Annotated[Ssh | Ssm | Chroot | Local, Field(discriminator="kind")]


class NodeRecord(Record):
    name: str = Field(min_length=1)
    pool: str = Field(min_length=1)
    access: Access
    private_address: str | None = Field(default=None, alias="privateAddress")
    public_address: str | None = Field(default=None, alias="publicAddress")


class StorageRecord(Record):
    """One storage of the blueprint as provisioned: where clients mount it from."""

    name: str = Field(min_length=1)
    type: str = Field(min_length=1)
    dns_name: str | None = Field(default=None, alias="dnsName")
    """fsx-lustre: the file system's DNS name; nfs: the server."""
    mount_name: str | None = Field(default=None, alias="mountName")
    """fsx-lustre: the mount name; nfs: the export path; s3: the bucket."""
    retained: bool = False
    """Kept by ``down`` (``retain: true``)."""

    @property
    def mountable(self) -> bool:
        return bool(self.dns_name and self.mount_name)


class Deployment(Record):
    """What exists for one cluster and how to reach it; written after provision, read by all later."""

    schema_version: int = Field(default=SCHEMA_VERSION, alias="schemaVersion")
    cluster: str = Field(min_length=1)
    stack: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    nodes: tuple[NodeRecord, ...] = ()
    storage: tuple[StorageRecord, ...] = ()
    kubeconfig: str | None = None
    kube_context: str | None = Field(default=None, alias="kubeContext")
    aws_profile: str | None = Field(default=None, alias="awsProfile")
    aws_region: str | None = Field(default=None, alias="awsRegion")
    written_at: str | None = Field(default=None, alias="writtenAt")
    """UTC ISO-8601 time the record was written."""

    def node(self, name: str) -> NodeRecord | None:
        return next((n for n in self.nodes if n.name == name), None)

    def access_by_node(self) -> dict[str, Ssh | Ssm | Chroot | Local]:
        return {n.name: n.access for n in self.nodes}

    def storage_named(self, name: str) -> StorageRecord | None:
        return next((s for s in self.storage if s.name == name), None)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"
