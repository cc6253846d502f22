"""``LustreStorage`` (FSx for Lustre) and ``BucketStorage`` (S3), protected where ``retain: true``.

``retain: true`` sets ``protect`` (no update may delete it) and ``retainOnDelete`` (a destroy
that reaches it removes it from the stack but leaves it in AWS). ``aiinfra down`` destroys
with ``excludeProtected`` so the rest of the stack goes and these stay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from aiinfra_iac.blueprint.models import Storage

LUSTRE_VERSION = "2.15"
DEFAULT_LUSTRE_GIB = 1200
"""Smallest FSx for Lustre file system (https://docs.aws.amazon.com/fsx/latest/LustreGuide/managing-storage-capacity.html)."""
DEFAULT_THROUGHPUT_PER_TIB = {"PERSISTENT_1": 200, "PERSISTENT_2": 250}
S3_EVENTS = ["NEW", "CHANGED", "DELETED"]
"""Automatic import and export of every kind of change
(https://docs.aws.amazon.com/fsx/latest/APIReference/API_S3DataRepositoryConfiguration.html)."""


def uses_association(storage: Storage) -> bool:
    """Data repository associations link S3 on every Lustre 2.12/2.15 file system except SCRATCH_1
    (https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateDataRepositoryAssociation.html);
    SCRATCH_1 takes the older ImportPath/ExportPath of the file system itself
    (https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemLustreConfiguration.html)."""
    return (storage.deployment_type or "PERSISTENT_2") != "SCRATCH_1"


def legacy_repository_args(repository: pulumi.Input[str]) -> dict[str, Any]:
    """SCRATCH_1: import from the repository at creation; ``aiinfra`` exports back to the same path."""
    return {"import_path": repository, "export_path": repository}


def association_args(repository: pulumi.Input[str]) -> dict[str, Any]:
    """A DRA of the whole file system (``/``) to the repository: metadata loaded at creation, every
    change imported and exported (https://docs.aws.amazon.com/fsx/latest/LustreGuide/create-dra-linked-data-repo.html)."""
    return {
        "data_repository_path": repository,
        "file_system_path": "/",
        "batch_import_meta_data_on_create": True,
        "delete_data_in_filesystem": False,
        "s3": {"auto_import_policy": {"events": S3_EVENTS}, "auto_export_policy": {"events": S3_EVENTS}},
    }


def retain_options(storage: Storage, parent: pulumi.Resource) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, protect=storage.retain, retain_on_delete=storage.retain)


def lustre_args(storage: Storage) -> dict[str, Any]:
    """FSx inputs from the blueprint. EFA needs PERSISTENT_2 with a metadata configuration
    (https://docs.aws.amazon.com/fsx/latest/LustreGuide/efa-file-systems.html)."""
    deployment = storage.deployment_type or "PERSISTENT_2"
    args: dict[str, Any] = {
        "storage_capacity": storage.capacity_gi_b or DEFAULT_LUSTRE_GIB,
        "deployment_type": deployment,
        "file_system_type_version": LUSTRE_VERSION,
        "data_compression_type": "LZ4",
    }
    if deployment.startswith("PERSISTENT"):
        args["per_unit_storage_throughput"] = (
            storage.throughput_per_ti_b or DEFAULT_THROUGHPUT_PER_TIB[deployment]
        )
    if storage.efa:
        args["efa_enabled"] = True
    if storage.efa or deployment == "PERSISTENT_2":
        args["metadata_configuration"] = {"mode": "AUTOMATIC"}
    return args


@dataclass(frozen=True)
class LustreStorageArgs:
    storage: Storage
    subnet_id: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    data_repository: pulumi.Input[str] | None = None
    """``s3://bucket[/prefix]`` linked to the file system (``dataRepository``), resolved by the cluster."""
    tags: Mapping[str, str] = field(default_factory=dict)


class LustreStorage(pulumi.ComponentResource):
    TYPE = "aiinfra:aws:LustreStorage"

    def __init__(
        self, name: str, args: LustreStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        storage = args.storage
        repository = args.data_repository
        legacy = repository is not None and not uses_association(storage)
        self.file_system = aws.fsx.LustreFileSystem(
            f"{name}-fs",
            subnet_ids=args.subnet_id,  # one subnet: FSx for Lustre lives in a single AZ
            security_group_ids=[args.security_group_id],
            tags={**args.tags, "Name": name, "aiinfra:storage": storage.name},
            opts=retain_options(storage, self),
            **lustre_args(storage),
            **(legacy_repository_args(repository) if legacy and repository is not None else {}),
        )
        self.association: aws.fsx.DataRepositoryAssociation | None = None
        if repository is not None and not legacy:
            self.association = aws.fsx.DataRepositoryAssociation(
                f"{name}-dra",
                file_system_id=self.file_system.id,
                tags={**args.tags, "aiinfra:storage": storage.name},
                opts=retain_options(storage, self),
                **association_args(repository),
            )
        self.register_outputs(
            {
                "fileSystemId": self.file_system.id,
                "dnsName": self.file_system.dns_name,
                "mountName": self.file_system.mount_name,
                "retained": storage.retain,
            }
        )


@dataclass(frozen=True)
class BucketStorageArgs:
    storage: Storage
    bucket_name: str
    linked_to_fsx: bool = False
    """An fsx-lustre entry links it (``dataRepository``): SSE-S3 instead of SSE-KMS. FSx for Lustre
    reads and writes SSE-S3 buckets as they are; SSE-KMS needs a customer managed key whose policy lets
    FSx's service-linked role use it
    (https://docs.aws.amazon.com/fsx/latest/LustreGuide/s3-server-side-encryption-support.html)."""
    tags: Mapping[str, str] = field(default_factory=dict)


class BucketStorage(pulumi.ComponentResource):
    """A private bucket: versioning, SSE-KMS with bucket keys (SSE-S3 when FSx links it), all public
    access blocked."""

    TYPE = "aiinfra:aws:BucketStorage"

    def __init__(
        self, name: str, args: BucketStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        storage = args.storage
        self.retained = storage.retain
        keep = retain_options(storage, self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            force_destroy=not storage.retain,
            tags={**args.tags, "aiinfra:storage": storage.name},
            opts=keep,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled" if storage.versioning else "Suspended"},
            opts=keep,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "AES256" if args.linked_to_fsx else "aws:kms"
                    },
                    "bucket_key_enabled": not args.linked_to_fsx,
                }
            ],
            opts=keep,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=keep,
        )
        self.register_outputs({"bucket": self.bucket.id, "arn": self.bucket.arn, "retained": storage.retain})
