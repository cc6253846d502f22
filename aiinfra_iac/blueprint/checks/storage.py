"""Storage checks: FSx for Lustre rules, provider fit, per-type keys, retention.

FSx for Lustre facts (AWS documentation):
* EFA is "only supported when deploymentType is set to PERSISTENT_2"
  https://pub.dev/documentation/pulumi_aws/latest/fsx/LustreFileSystemArgs/efaEnabled.html
  (the Pulumi AWS provider's efaEnabled argument, generated from the AWS API reference).
* PerUnitStorageThroughput: PERSISTENT_1 SSD 50, 100, 200; PERSISTENT_2 SSD 125, 250, 500, 1000 MB/s/TiB;
  only valid for PERSISTENT_* types.
  https://docs.aws.amazon.com/fsx/latest/LustreGuide/managing-throughput-capacity.html
* StorageCapacity: SCRATCH_2, PERSISTENT_1 and PERSISTENT_2 (SSD) 1200, 2400, then increments of 2400 GiB;
  SCRATCH_1 1200, 2400, then increments of 3600 GiB.
  https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystem.html (StorageCapacity)
"""

from __future__ import annotations

from collections.abc import Iterator

from aiinfra_iac.blueprint.checks.base import Context, Finding, rule
from aiinfra_iac.blueprint.models import Storage

THROUGHPUT_PER_TIB = {"PERSISTENT_1": (50, 100, 200), "PERSISTENT_2": (125, 250, 500, 1000)}
CAPACITY_STEP_GIB = {"SCRATCH_1": 3600, "SCRATCH_2": 2400, "PERSISTENT_1": 2400, "PERSISTENT_2": 2400}

# keys that belong to one storage type only (camelCase, attribute)
_TYPE_KEYS = {
    "capacityGiB": ("capacity_gi_b", "fsx-lustre"),
    "deploymentType": ("deployment_type", "fsx-lustre"),
    "throughputPerTiB": ("throughput_per_ti_b", "fsx-lustre"),
    "bucket": ("bucket", "s3"),
    "dataRepository": ("data_repository", "fsx-lustre"),
    "server": ("server", "nfs"),
    "export": ("export", "nfs"),
    "devices": ("devices", "local-nvme"),
    "raidLevel": ("raid_level", "local-nvme"),
}


def _storage(ctx: Context) -> Iterator[tuple[int, Storage]]:
    yield from enumerate(ctx.blueprint.spec.storage)


def _loc(index: int, *rest: str) -> tuple[str | int, ...]:
    return ("spec", "storage", index, *rest)


@rule("AI150", "error", "FSx EFA on a deployment type without EFA")
def fsx_efa_deployment(ctx: Context) -> Iterator[Finding]:
    for index, item in _storage(ctx):
        if not item.efa:
            continue
        if item.type != "fsx-lustre":
            yield Finding(_loc(index, "efa"), f"'efa' applies to fsx-lustre only, not {item.type}; remove it")
        elif item.deployment_type != "PERSISTENT_2":
            yield Finding(
                _loc(index, "efa"),
                f"EFA-enabled FSx for Lustre needs deploymentType: PERSISTENT_2 (got {item.deployment_type})",
            )


@rule("AI151", "error", "FSx throughput per TiB not valid for the deployment type")
def fsx_throughput(ctx: Context) -> Iterator[Finding]:
    for index, item in _storage(ctx):
        if item.type != "fsx-lustre" or item.deployment_type is None:
            continue
        valid = THROUGHPUT_PER_TIB.get(item.deployment_type)
        value = item.throughput_per_ti_b
        if valid is None and value is not None:
            yield Finding(
                _loc(index, "throughputPerTiB"),
                f"{item.deployment_type} has no throughput setting; remove throughputPerTiB or use "
                "PERSISTENT_2",
            )
        elif valid is not None and value is None:
            yield Finding(
                _loc(index),
                f"{item.deployment_type} needs throughputPerTiB: one of {', '.join(map(str, valid))} "
                "(MB/s/TiB)",
            )
        elif valid is not None and value not in valid:
            best = min(valid, key=lambda option: abs(option - (value or 0)))
            yield Finding(
                _loc(index, "throughputPerTiB"),
                f"{value} MB/s/TiB is not offered for {item.deployment_type}: use one of "
                f"{', '.join(map(str, valid))} (closest: {best})",
            )


@rule("AI152", "error", "FSx capacity not a valid size")
def fsx_capacity(ctx: Context) -> Iterator[Finding]:
    for index, item in _storage(ctx):
        if item.type != "fsx-lustre":
            continue
        if item.capacity_gi_b is None:
            yield Finding(_loc(index), "fsx-lustre needs capacityGiB (1200, 2400, then increments of 2400)")
            continue
        step = CAPACITY_STEP_GIB[item.deployment_type or "SCRATCH_1"]
        size = item.capacity_gi_b
        if size not in (1200, 2400) and size % step != 0:
            up = 1200 if size < 1200 else 2400 if size < 2400 else -(-size // step) * step
            yield Finding(
                _loc(index, "capacityGiB"),
                f"{size} GiB is not a valid size for {item.deployment_type or 'SCRATCH_1 (the default)'}: "
                f"use 1200, 2400 or a multiple of {step} (next valid: {up})",
            )


@rule("AI153", "warning", "storage deleted on down")
def retain_false(ctx: Context) -> Iterator[Finding]:
    for index, item in _storage(ctx):
        persistent = item.type == "s3" or (
            item.type == "fsx-lustre" and not (item.deployment_type or "").startswith("SCRATCH")
        )
        if not item.retain and persistent:
            yield Finding(
                _loc(index, "retain"),
                f"retain: false deletes '{item.name}' and its data on `aiinfra down`; keep retain: true for "
                "datasets and checkpoints",
            )


@rule("AI154", "error", "AWS storage outside AWS")
def aws_storage_on_aws(ctx: Context) -> Iterator[Finding]:
    if ctx.provider == "aws":
        return
    for index, item in _storage(ctx):
        if item.type == "fsx-lustre" or (item.type == "s3" and ctx.provider in ("onprem", "local")):
            yield Finding(
                _loc(index, "type"),
                f"{item.type} is created in AWS and needs provider aws (got {ctx.provider}); use nfs "
                "or local-nvme",
            )


@rule("AI155", "error", "storage key of another storage type or missing NFS location")
def storage_keys_match_type(ctx: Context) -> Iterator[Finding]:
    for index, item in _storage(ctx):
        for key, (attribute, owner) in _TYPE_KEYS.items():
            if getattr(item, attribute) is not None and item.type != owner:
                yield Finding(
                    _loc(index, key), f"'{key}' applies to type {owner}, not {item.type}; remove it"
                )
        if item.type == "nfs":
            for key, value in (("server", item.server), ("export", item.export)):
                if value is None:
                    yield Finding(_loc(index), f"nfs storage needs '{key}'")


@rule("AI156", "error", "local NVMe on an instance type without local NVMe")
def local_nvme_exists(ctx: Context) -> Iterator[Finding]:
    nvme = [(index, item) for index, item in _storage(ctx) if item.type == "local-nvme"]
    if not nvme:
        return
    for _, pool in ctx.pools():
        instance = ctx.instance(pool)
        mounted = pool.storage if pool.storage is not None else [item.name for _, item in nvme]
        for index, item in nvme:
            if instance is not None and instance.local_nvme_gib == 0 and item.name in mounted:
                yield Finding(
                    _loc(index, "type"),
                    f"pool '{pool.name}' ({instance.name}) has no instance-store NVMe; "
                    f"list only other storage in its 'storage' or pick an instance type with NVMe",
                )


@rule("AI157", "error", "FSx data repository names no s3 storage entry")
def data_repository_names_a_bucket(ctx: Context) -> Iterator[Finding]:
    """``dataRepository`` is an ``s3://`` URI or the name of an s3 entry of this blueprint."""
    buckets = {item.name for _, item in _storage(ctx) if item.type == "s3"}
    for index, item in _storage(ctx):
        link = item.data_repository
        if item.type != "fsx-lustre" or link is None or link.startswith("s3://") or link in buckets:
            continue
        known = ", ".join(sorted(buckets)) or "none"
        yield Finding(
            _loc(index, "dataRepository"),
            f"'{link}' is not an s3 storage entry of this blueprint (s3 entries: {known}); "
            "name one or write s3://bucket/prefix",
        )
