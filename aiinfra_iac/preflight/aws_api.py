"""The AWS questions preflight asks, as a typed API; :class:`Boto3Api` answers them with boto3.

boto3 honours ``AWS_ENDPOINT_URL`` (and ``AWS_ENDPOINT_URL_<SERVICE>``), so the same code runs
against AWS or an emulator. A call the endpoint cannot serve (not implemented, a 5xx, an HTML
error page) raises :class:`Unverifiable`; the check then reports ``unverified`` naming the
resource. "Not found" answers are real answers and come back as ``None`` / ``False``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from aiinfra_iac.errors import MissingToolError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable


class Unverifiable(Exception):
    """The endpoint could not answer this call; ``resource`` names what stays unchecked."""

    def __init__(self, resource: str, why: str) -> None:
        super().__init__(f"{resource}: {why}")
        self.resource = resource
        self.why = why


@dataclass(frozen=True)
class Reservation:
    """An EC2 capacity reservation or capacity block (DescribeCapacityReservations)."""

    id: str
    instance_type: str
    availability_zone: str
    total_count: int
    state: str
    """active | scheduled | expired | cancelled | pending | failed | payment-pending | …"""
    reservation_type: str
    """default | capacity-block"""
    start: dt.datetime | None
    end: dt.datetime | None
    placement_group_arn: str | None


@dataclass(frozen=True)
class PlacementGroup:
    name: str
    strategy: str
    state: str


class AwsApi(Protocol):
    region: str

    def offered_types(self, availability_zone: str, instance_types: Iterable[str]) -> set[str]: ...
    def vcpus(self, instance_types: Iterable[str]) -> dict[str, int]: ...
    def reservation(self, reservation_id: str) -> Reservation | None: ...
    def quota(self, quota_code: str) -> float: ...
    def placement_group(self, name: str) -> PlacementGroup | None: ...
    def image_exists(self, image_id: str) -> bool: ...
    def public_parameter(self, name: str) -> str | None: ...
    def addon_versions(self, addon: str, kubernetes_version: str) -> set[str]: ...
    def account(self) -> str: ...


_NOT_FOUND = {
    "InvalidCapacityReservationId.NotFound",
    "InvalidCapacityReservationId.Malformed",
    "InvalidPlacementGroup.Unknown",
    "InvalidAMIID.NotFound",
    "InvalidAMIID.Malformed",
    "InvalidAMIID.Unavailable",
    "ParameterNotFound",
}
_NO_CREDENTIALS = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "AuthFailure",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
}


def _boto3() -> Any:
    try:
        import boto3
    except ImportError:
        raise MissingToolError(
            "boto3", "pip install 'aiinfra-iac[aws]' (or pip install boto3) for aiinfra preflight"
        ) from None
    return boto3


class Boto3Api:
    """:class:`AwsApi` on boto3 clients of one session (profile + region), one attempt per call."""

    def __init__(self, region: str, profile: str | None = None) -> None:
        boto3 = _boto3()
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound
        from botocore.parsers import ResponseParserError

        self._client_error = ClientError
        self._botocore_error: tuple[type[Exception], ...] = (BotoCoreError, ResponseParserError)
        self.region = region
        try:
            session = boto3.Session(profile_name=profile, region_name=region)
        except ProfileNotFound:
            raise UsageError(
                f"AWS profile '{profile}' is not configured: run `aws configure --profile {profile}` "
                "or fix spec.provider.profile"
            ) from None
        config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=20)
        self._session = session
        self._config = config
        self._clients: dict[str, Any] = {}
        try:
            identity = session.client("sts", config=config).get_caller_identity()
        except NoCredentialsError:
            raise UsageError(
                "no AWS credentials found: set AWS_PROFILE or spec.provider.profile, or run `aws configure`"
            ) from None
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _NO_CREDENTIALS:
                raise UsageError(
                    f"AWS rejected the credentials ({code}): refresh them, e.g. `aws sso login`"
                ) from None
            raise UsageError(f"AWS STS GetCallerIdentity failed: {code or error}") from None
        except BotoCoreError as error:
            raise UsageError(f"cannot reach the AWS API: {error}") from None
        self._account = str(identity.get("Account", ""))

    def account(self) -> str:
        """The account the credentials belong to (STS GetCallerIdentity, asked once at start)."""
        return self._account

    def _client(self, service: str) -> Any:
        """One client per service, made on first use (loading a service model costs ~0.1-0.5 s)."""
        if service not in self._clients:
            self._clients[service] = self._session.client(service, config=self._config)
        return self._clients[service]

    @property
    def _ec2(self) -> Any:
        return self._client("ec2")

    @property
    def _quotas(self) -> Any:
        return self._client("service-quotas")

    @property
    def _ssm(self) -> Any:
        return self._client("ssm")

    @property
    def _eks(self) -> Any:
        return self._client("eks")

    def _call(self, resource: str, func: Any, **kwargs: Any) -> dict[str, Any] | None:
        """The response, None for a not-found answer; Unverifiable when the endpoint cannot answer."""
        try:
            response: dict[str, Any] = func(**kwargs)
            return response
        except self._client_error as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _NOT_FOUND:
                return None
            raise Unverifiable(
                resource, f"the endpoint could not answer ({code or 'no error code'})"
            ) from None
        except self._botocore_error as error:
            raise Unverifiable(resource, f"the endpoint could not answer ({type(error).__name__})") from None

    def offered_types(self, availability_zone: str, instance_types: Iterable[str]) -> set[str]:
        wanted = sorted(set(instance_types))
        response = self._call(
            f"instance type offerings in {availability_zone}",
            self._ec2.describe_instance_type_offerings,
            LocationType="availability-zone",
            Filters=[
                {"Name": "location", "Values": [availability_zone]},
                {"Name": "instance-type", "Values": wanted},
            ],
        )
        return {o["InstanceType"] for o in (response or {}).get("InstanceTypeOfferings", [])}

    def vcpus(self, instance_types: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(instance_types))
        response = self._call(
            "instance types " + ",".join(wanted), self._ec2.describe_instance_types, InstanceTypes=wanted
        )
        return {
            t["InstanceType"]: int(t["VCpuInfo"]["DefaultVCpus"])
            for t in (response or {}).get("InstanceTypes", [])
        }

    def reservation(self, reservation_id: str) -> Reservation | None:
        response = self._call(
            reservation_id, self._ec2.describe_capacity_reservations, CapacityReservationIds=[reservation_id]
        )
        found = (response or {}).get("CapacityReservations", [])
        if not found:
            return None
        r = found[0]
        return Reservation(
            id=r["CapacityReservationId"],
            instance_type=r["InstanceType"],
            availability_zone=r["AvailabilityZone"],
            total_count=int(r.get("TotalInstanceCount", 0)),
            state=str(r.get("State", "")),
            reservation_type=str(r.get("ReservationType", "default")),
            start=r.get("StartDate"),
            end=r.get("EndDate"),
            placement_group_arn=r.get("PlacementGroupArn"),
        )

    def quota(self, quota_code: str) -> float:
        response = self._call(
            f"service quota ec2/{quota_code}",
            self._quotas.get_service_quota,
            ServiceCode="ec2",
            QuotaCode=quota_code,
        )
        if response is None:
            raise Unverifiable(f"service quota ec2/{quota_code}", "not found")
        return float(response["Quota"]["Value"])

    def placement_group(self, name: str) -> PlacementGroup | None:
        response = self._call(
            f"placement group {name}", self._ec2.describe_placement_groups, GroupNames=[name]
        )
        groups = (response or {}).get("PlacementGroups", [])
        if not groups:
            return None
        g = groups[0]
        return PlacementGroup(name=g["GroupName"], strategy=g.get("Strategy", ""), state=g.get("State", ""))

    def image_exists(self, image_id: str) -> bool:
        response = self._call(image_id, self._ec2.describe_images, ImageIds=[image_id])
        return bool((response or {}).get("Images"))

    def public_parameter(self, name: str) -> str | None:
        response = self._call(name, self._ssm.get_parameter, Name=name)
        return None if response is None else str(response["Parameter"]["Value"])

    def addon_versions(self, addon: str, kubernetes_version: str) -> set[str]:
        response = self._call(
            f"EKS add-on {addon}",
            self._eks.describe_addon_versions,
            addonName=addon,
            kubernetesVersion=kubernetes_version,
        )
        return {
            v["addonVersion"] for a in (response or {}).get("addons", []) for v in a.get("addonVersions", [])
        }
