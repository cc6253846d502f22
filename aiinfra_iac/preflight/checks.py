"""The preflight checks: each returns findings with a stable ID (``PF1xx``, never renumbered).

PF101 instance type offered in the AZ · PF102 vCPU quota · PF103 reservation exists ·
PF104 reservation active or scheduled · PF105 reservation matches type and AZ ·
PF106 reservation large enough · PF107 placement group compatible · PF108 AMI exists ·
PF109 EKS version supported · PF110 EKS add-on version offered · PF111 block times match ·
PF112 credentials belong to ``provider.accountId``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator

from aiinfra_iac.catalog.aws_pins import AwsPins
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan
from aiinfra_iac.preflight.aws_api import AwsApi, Unverifiable
from aiinfra_iac.preflight.quotas import quota_for
from aiinfra_iac.preflight.report import Finding, PreflightReport, ScheduleEntry

FINAL_STATES = {"expired", "cancelled", "failed", "payment-failed", "unsupported"}


def _aws_pools(plan: ClusterPlan) -> list[PoolPlan]:
    return [p for p in plan.pools if p.instance_type and p.count > 0]


def _eks(plan: ClusterPlan) -> bool:
    return plan.scheduler.type == "kubernetes"


def _unverified(check_id: str, error: Unverifiable, what: str) -> Finding:
    return Finding(
        check_id,
        "unverified",
        error.resource,
        f"{what}: not checked, {error.why}",
        "verify it by hand (aws CLI or console) before up",
    )


def account(plan: ClusterPlan, api: AwsApi, pins: AwsPins, today: dt.date) -> Iterator[Finding]:
    """The credentials' account is the blueprint's ``accountId`` (where it names one): a profile
    of the wrong account would otherwise create the cluster there."""
    wanted = plan.provider.account_id
    found = api.account()
    if wanted is None:
        yield Finding("PF112", "ok", f"account {found}", "credentials in use (no accountId to compare)")
    elif found == wanted:
        yield Finding("PF112", "ok", f"account {found}", "the credentials belong to spec.provider.accountId")
    else:
        yield Finding(
            "PF112",
            "problem",
            f"account {found}",
            f"the credentials belong to account {found}, the blueprint's spec.provider.accountId is {wanted}",
            f"use credentials of account {wanted} (spec.provider.profile or AWS_PROFILE), or fix accountId",
        )


def offerings(plan: ClusterPlan, api: AwsApi, pins: AwsPins, today: dt.date) -> Iterator[Finding]:
    zone = plan.provider.availability_zone or ""
    pools = _aws_pools(plan)
    types = {p.instance_type for p in pools if p.instance_type}
    if _eks(plan) and plan.scheduler.kubernetes and plan.scheduler.kubernetes.system_nodes:
        types.add(plan.scheduler.kubernetes.system_instance_type)
    offered = api.offered_types(zone, types)
    for instance_type in sorted(types):
        if instance_type in offered:
            yield Finding("PF101", "ok", instance_type, f"offered in {zone}")
        else:
            yield Finding(
                "PF101",
                "problem",
                instance_type,
                f"instance type {instance_type} is not offered in availability zone {zone}",
                "pick an AZ that offers it (aws ec2 describe-instance-type-offerings --location-type "
                f"availability-zone --filters Name=instance-type,Values={instance_type}) and set "
                "spec.provider.availabilityZone",
            )


def quotas(plan: ClusterPlan, api: AwsApi, pins: AwsPins, today: dt.date) -> Iterator[Finding]:
    pools = _aws_pools(plan)
    per_type = api.vcpus({p.instance_type for p in pools if p.instance_type})
    wanted: dict[tuple[str, str], int] = defaultdict(int)
    for pool in pools:
        assert pool.instance_type is not None
        found = quota_for(pool.instance_type, pool.capacity.type)
        if found is None:
            continue
        vcpus = per_type.get(pool.instance_type) or pool.vcpus or 0
        wanted[found] += vcpus * pool.count
    for (code, name), vcpus in sorted(wanted.items()):
        resource = f"service quota ec2/{code} ({name})"
        try:
            limit = api.quota(code)
        except Unverifiable as error:
            yield _unverified("PF102", error, f"{name}: {vcpus} vCPUs wanted,")
            continue
        if limit < vcpus:
            yield Finding(
                "PF102",
                "problem",
                resource,
                f"quota {limit:g} vCPUs is below the {vcpus} vCPUs the blueprint asks for",
                f"request an increase to at least {vcpus}: aws service-quotas request-service-quota-increase "
                f"--service-code ec2 --quota-code {code} --desired-value {vcpus}",
            )
        else:
            yield Finding("PF102", "ok", resource, f"{limit:g} vCPUs ≥ {vcpus} wanted")


def _iso(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else ""


def reservations(
    plan: ClusterPlan, api: AwsApi, pins: AwsPins, today: dt.date, report: PreflightReport | None = None
) -> Iterator[Finding]:
    zone = plan.provider.availability_zone or ""
    for pool in _aws_pools(plan):
        capacity = pool.capacity
        rid = capacity.reservation_id
        if rid is None:
            continue
        try:
            found = api.reservation(rid)
        except Unverifiable as error:
            yield _unverified("PF103", error, f"capacity reservation of pool {pool.name}")
            continue
        if found is None:
            yield Finding(
                "PF103",
                "problem",
                rid,
                f"capacity reservation {rid} of pool {pool.name} does not exist in {plan.provider.region}",
                "check the ID and region (aws ec2 describe-capacity-reservations)",
            )
            continue
        yield Finding("PF103", "ok", rid, f"exists ({found.reservation_type}, {found.state})")
        if found.state in FINAL_STATES:
            yield Finding(
                "PF104",
                "problem",
                rid,
                f"capacity reservation {rid} is {found.state} (ended {_iso(found.end) or 'unknown'})",
                "buy a new reservation or capacity block and put its ID in capacity.reservationId",
            )
        elif found.state not in ("active", "scheduled", "pending", "payment-pending", "assessing", "delayed"):
            yield Finding("PF104", "warning", rid, f"reservation state {found.state}")
        else:
            yield Finding("PF104", "ok", rid, f"{found.state}")
        if found.instance_type != pool.instance_type or found.availability_zone != zone:
            yield Finding(
                "PF105",
                "problem",
                rid,
                f"reservation {rid} is for {found.instance_type} in {found.availability_zone}; pool "
                f"{pool.name} asks for {pool.instance_type} in {zone}",
                f"set spec.provider.availabilityZone: {found.availability_zone} and the pool's instanceType: "
                f"{found.instance_type}, or use a matching reservation",
            )
        if found.total_count < pool.count:
            yield Finding(
                "PF106",
                "problem",
                rid,
                f"reservation {rid} holds {found.total_count} instances; pool {pool.name} wants {pool.count}",
                f"set the pool's count to {found.total_count} or extend the reservation",
            )
        yield from _placement(pool, found.placement_group_arn)
        if capacity.type == "capacity-block" and found.start and found.end:
            if report is not None:
                report.schedule.append(ScheduleEntry(pool.name, rid, _iso(found.start), _iso(found.end)))
            if capacity.start is None or capacity.end is None:
                yield Finding(
                    "PF111",
                    "warning",
                    rid,
                    "the node group stays at 0 nodes without the block's times",
                    f"add to the pool's capacity: start: {_iso(found.start)}, end: {_iso(found.end)}",
                )
            elif capacity.start != found.start or capacity.end != found.end:
                yield Finding(
                    "PF111",
                    "problem",
                    rid,
                    f"capacity.start/end ({_iso(capacity.start)} to {_iso(capacity.end)}) differ from the "
                    f"block ({_iso(found.start)} to {_iso(found.end)})",
                    f"set start: {_iso(found.start)}, end: {_iso(found.end)}",
                )


def _placement(pool: PoolPlan, reservation_group_arn: str | None) -> Iterator[Finding]:
    named = pool.capacity.placement_group
    group_of_reservation = reservation_group_arn.rsplit("/", 1)[-1] if reservation_group_arn else None
    if group_of_reservation and named != group_of_reservation:
        yield Finding(
            "PF107",
            "problem",
            reservation_group_arn or "",
            f"the reservation lives in placement group {group_of_reservation}; pool {pool.name} would "
            f"launch {'into ' + named if named else 'outside it'} and not use the reservation",
            f"set the pool's capacity.placementGroup: {group_of_reservation}",
        )


def placement_groups(plan: ClusterPlan, api: AwsApi, pins: AwsPins, today: dt.date) -> Iterator[Finding]:
    for pool in _aws_pools(plan):
        name = pool.capacity.placement_group
        if name is None:
            continue
        try:
            group = api.placement_group(name)
        except Unverifiable as error:
            yield _unverified("PF107", error, f"placement group of pool {pool.name}")
            continue
        if group is None:
            yield Finding(
                "PF107",
                "problem",
                name,
                f"placement group {name} does not exist",
                "create it or fix the name",
            )
        elif group.strategy != "cluster":
            yield Finding(
                "PF107",
                "warning",
                name,
                f"placement group {name} has strategy {group.strategy}; EFA pools want cluster placement",
            )
        else:
            yield Finding("PF107", "ok", name, "cluster placement group exists")


def images(plan: ClusterPlan, api: AwsApi, pins: AwsPins, today: dt.date) -> Iterator[Finding]:
    version = plan.scheduler.kubernetes.version if plan.scheduler.kubernetes else pins.eks_default
    seen: set[str] = set()
    for pool in _aws_pools(plan):
        if pool.image_id:
            if pool.image_id in seen:
                continue
            seen.add(pool.image_id)
            try:
                exists = api.image_exists(pool.image_id)
            except Unverifiable as error:
                yield _unverified("PF108", error, f"AMI of pool {pool.name}")
                continue
            if exists:
                yield Finding("PF108", "ok", pool.image_id, f"AMI exists in {plan.provider.region}")
            else:
                yield Finding(
                    "PF108",
                    "problem",
                    pool.image_id,
                    f"AMI {pool.image_id} of pool {pool.name} does not exist in {plan.provider.region}",
                    "copy it to this region or fix the pool's imageId",
                )
            continue
        if _eks(plan):
            yield from _eks_image(pool, version, api, pins)
        else:
            yield from _dlami(pool, api, pins)


def _eks_image(pool: PoolPlan, version: str, api: AwsApi, pins: AwsPins) -> Iterator[Finding]:
    name = pins.eks_ami.parameter(version, gpu=pool.gpu is not None)
    try:
        value = api.public_parameter(name)
        if value is None:
            # the region publishes EKS AMI parameters at all? then the pinned release is gone
            recommended = pins.eks_ami.recommended_parameter.format(version=version)
            if api.public_parameter(recommended) is None:
                raise Unverifiable(name, "the endpoint publishes no EKS AMI parameters")
    except Unverifiable as error:
        yield _unverified(
            "PF108", error, f"pinned EKS AMI release {pins.eks_ami.release} of pool {pool.name}"
        )
        return
    if value is None:
        yield Finding(
            "PF108",
            "problem",
            name,
            f"EKS AMI release {pins.eks_ami.release} is not published for Kubernetes {version}",
            "bump eks_ami.release in catalog/data/aws_pins.yaml or set the pool's imageId",
        )
    else:
        yield Finding("PF108", "ok", name, f"resolves to {value}")


def _dlami(pool: PoolPlan, api: AwsApi, pins: AwsPins) -> Iterator[Finding]:
    name = pins.dlami_gpu_parameter if pool.gpu else pins.dlami_cpu_parameter
    try:
        value = api.public_parameter(name)
    except Unverifiable as error:
        yield _unverified("PF108", error, f"default AMI of pool {pool.name}")
        return
    if value is None:
        yield Finding(
            "PF108",
            "unverified",
            name,
            f"public parameter not readable; pool {pool.name} has no pinned AMI",
            "set the pool's imageId",
        )
    else:
        yield Finding(
            "PF108",
            "warning",
            name,
            f"pool {pool.name} boots the latest image ({value}), which changes over time",
            f"pin it: imageId: {value}",
        )


def eks_version(plan: ClusterPlan, api: AwsApi, pins: AwsPins, today: dt.date) -> Iterator[Finding]:
    if not _eks(plan) or plan.scheduler.kubernetes is None:
        return
    version = plan.scheduler.kubernetes.version
    known = pins.eks_version(version)
    supported = ", ".join(v.version for v in pins.eks_versions if v.support(today) != "ended")
    if known is None or known.support(today) == "ended":
        yield Finding(
            "PF109",
            "problem",
            f"EKS {version}",
            f"Kubernetes {version} is not offered by EKS on {today.isoformat()} (supported: {supported})",
            f'set spec.scheduler.kubernetes.version: "{pins.eks_default}"',
        )
    elif known.support(today) == "extended":
        yield Finding(
            "PF109",
            "warning",
            f"EKS {version}",
            f"Kubernetes {version} left standard support on {known.end_standard}; extended support costs "
            f"extra per cluster hour ({pins.eks_source})",
            f'set spec.scheduler.kubernetes.version: "{pins.eks_default}"',
        )
    else:
        yield Finding("PF109", "ok", f"EKS {version}", f"standard support until {known.end_standard}")


def addons(plan: ClusterPlan, api: AwsApi, pins: AwsPins, today: dt.date) -> Iterator[Finding]:
    if not _eks(plan) or plan.scheduler.kubernetes is None:
        return
    version = plan.scheduler.kubernetes.version
    for pin in pins.addons:
        resource = f"EKS add-on {pin.name} {pin.version}"
        try:
            offered = api.addon_versions(pin.name, version)
        except Unverifiable as error:
            yield _unverified("PF110", error, f"pinned version {pin.version}")
            continue
        if pin.version in offered:
            yield Finding("PF110", "ok", resource, f"offered for Kubernetes {version}")
        else:
            yield Finding(
                "PF110",
                "problem",
                resource,
                f"{pin.name} {pin.version} is not offered for Kubernetes {version}",
                "bump it in catalog/data/aws_pins.yaml (aws eks describe-addon-versions "
                f"--addon-name {pin.name} --kubernetes-version {version})",
            )


def run_preflight(plan: ClusterPlan, api: AwsApi, pins: AwsPins, today: dt.date) -> PreflightReport:
    """Every check on ``plan``; a check whose call the endpoint cannot answer reports unverified."""
    report = PreflightReport(plan.name, plan.provider.region or "", plan.provider.availability_zone or "")
    steps: list[Callable[[], Iterator[Finding]]] = [
        lambda: account(plan, api, pins, today),
        lambda: offerings(plan, api, pins, today),
        lambda: quotas(plan, api, pins, today),
        lambda: reservations(plan, api, pins, today, report),
        lambda: placement_groups(plan, api, pins, today),
        lambda: images(plan, api, pins, today),
        lambda: eks_version(plan, api, pins, today),
        lambda: addons(plan, api, pins, today),
    ]
    for step in steps:
        try:
            report.findings.extend(step())
        except Unverifiable as error:
            report.findings.append(_unverified("PF100", error, "this check"))
    return report
