"""Provider checks: keys of one provider on another, AWS region and availability zone."""

from __future__ import annotations

import re
from collections.abc import Iterator

from aiinfra_iac.blueprint.checks.base import Context, Finding, pool_loc, rule

_PROVIDER_KEYS = {
    "region": ("aws",),
    "availabilityZone": ("aws",),
    "profile": ("aws",),
    "accountId": ("aws",),
    "nodeAccess": ("aws",),
    "keyName": ("aws",),
    "bastionCidr": ("aws",),
    "endpointAccess": ("aws",),
    "endpointPublicCidrs": ("aws",),
    "kubeconfig": ("kubernetes",),
    "context": ("kubernetes",),
    "sshUser": ("onprem",),
    "sshPrivateKeyFile": ("onprem",),
    "image": ("local",),
    "sandboxSubnet": ("local",),
}
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$")


@rule("AI120", "error", "provider-specific key on the wrong provider")
def wrong_provider_keys(ctx: Context) -> Iterator[Finding]:
    provider = ctx.blueprint.spec.provider
    kind = provider.type
    for key, owners in _PROVIDER_KEYS.items():
        if getattr(provider, _snake(key)) is not None and kind not in owners:
            yield Finding(
                ("spec", "provider", key),
                f"'{key}' applies to provider type {' or '.join(owners)}, not {kind}; remove it",
            )
    if provider.flow_logs and kind != "aws":
        yield Finding(
            ("spec", "provider", "flowLogs"),
            f"'flowLogs' applies to provider type aws, not {kind}; remove it",
        )
    if provider.sandbox != "none" and kind != "local":
        yield Finding(
            ("spec", "provider", "sandbox"),
            f"'sandbox' applies to provider type local, not {kind}; remove it",
        )
    for index, pool in ctx.pools():
        if pool.hosts is not None and kind != "onprem":
            yield Finding(pool_loc(index, "hosts"), f"'hosts' is for provider onprem, not {kind}; remove it")
        for key, value in (
            ("instanceType", pool.instance_type),
            ("imageId", pool.image_id),
            ("rootVolumeGiB", pool.root_volume_gib),
        ):
            if value is not None and kind != "aws":
                yield Finding(
                    pool_loc(index, key),
                    f"'{key}' is for provider aws, not {kind}; describe the GPUs with 'gpu: "
                    f"{{model, count}}'",
                )
        if pool.system is not None and kind != "onprem":
            yield Finding(
                pool_loc(index, "system"),
                f"'system' names an on-prem DGX system, not a node on {kind}; "
                + ("use instanceType" if kind == "aws" else "describe the GPUs with 'gpu: {model, count}'"),
            )
        if kind != "aws" and (pool.capacity.type != "on-demand" or pool.capacity.reservation_id is not None):
            yield Finding(
                pool_loc(index, "capacity"),
                f"capacity types and reservations are for provider aws, not {kind}; remove 'capacity'",
            )


@rule("AI121", "error", "aws provider without a valid region or availability zone")
def aws_region_and_zone(ctx: Context) -> Iterator[Finding]:
    provider = ctx.blueprint.spec.provider
    if provider.type != "aws":
        return
    if provider.region is None:
        yield Finding(("spec", "provider"), "provider aws needs 'region', e.g. region: us-east-1")
    elif not _REGION.match(provider.region):
        yield Finding(
            ("spec", "provider", "region"), f"'{provider.region}' is not an AWS region name (us-east-1)"
        )
    if provider.availability_zone is None:
        yield Finding(
            ("spec", "provider"),
            "provider aws needs 'availabilityZone' (GPU pools and FSx must share one AZ), e.g. us-east-1a",
        )


@rule("AI122", "error", "availability zone outside the region")
def zone_in_region(ctx: Context) -> Iterator[Finding]:
    provider = ctx.blueprint.spec.provider
    if provider.type != "aws" or provider.region is None or provider.availability_zone is None:
        return
    zone, region = provider.availability_zone, provider.region
    rest = zone[len(region) :] if zone.startswith(region) else None
    # AZ names are the region plus a letter (us-east-1a) or a Local/Wavelength zone suffix (us-west-2-lax-1a)
    if rest is None or not re.match(r"^([a-z]|-[a-z0-9-]+[a-z])$", rest):
        yield Finding(
            ("spec", "provider", "availabilityZone"),
            f"'{zone}' is not a zone of region {region}; use e.g. {region}a",
        )


def _snake(key: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), key)


@rule("AI123", "error", "SSH node access without a key pair or bastion CIDR")
def ssh_access_needs_key_and_cidr(ctx: Context) -> Iterator[Finding]:
    provider = ctx.blueprint.spec.provider
    if provider.type != "aws" or provider.node_access != "ssh":
        return
    for key, value in (("keyName", provider.key_name), ("bastionCidr", provider.bastion_cidr)):
        if value is None:
            yield Finding(
                ("spec", "provider", "nodeAccess"),
                f"nodeAccess ssh needs '{key}' (keyName: an existing EC2 key pair; bastionCidr: who may SSH "
                "to the bastion, e.g. 203.0.113.0/24); or drop nodeAccess to use SSM",
            )
            return


@rule("AI124", "error", "public EKS endpoint without allowed CIDRs, or CIDRs for a private one")
def endpoint_public_cidrs(ctx: Context) -> Iterator[Finding]:
    """EKS opens a public endpoint to 0.0.0.0/0 unless told otherwise
    (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html): say who may reach it."""
    provider = ctx.blueprint.spec.provider
    if provider.type != "aws":
        return
    mode, cidrs = provider.endpoint_access, provider.endpoint_public_cidrs
    if mode in ("public", "public-and-private") and not cidrs:
        yield Finding(
            ("spec", "provider", "endpointAccess"),
            f"endpointAccess {mode} needs endpointPublicCidrs: the addresses that may reach the API, e.g. "
            "[203.0.113.7/32] (0.0.0.0/0 only if the world may try); or drop it for a private endpoint",
        )
    elif mode == "private" and cidrs:
        yield Finding(
            ("spec", "provider", "endpointPublicCidrs"),
            "endpointPublicCidrs is for a public endpoint, but endpointAccess is private; remove one of them",
        )
