"""EKS API endpoint access from the blueprint: private by default, public only when asked, from named CIDRs.

Every AWS node role carries the SSM core policy (and ``nodeAccess: ssh`` adds a bastion), so a path
into the VPC always exists; the endpoint is then private unless the blueprint asks for public access
with ``endpointAccess`` and says from where with ``endpointPublicCidrs``. EKS opens a public endpoint
to 0.0.0.0/0 unless ``publicAccessCidrs`` narrows it
(https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html); giving CIDRs without
``endpointAccess`` means public-and-private from them. Check AI124 refuses public access with no CIDRs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aiinfra_iac.blueprint.models import Provider
from aiinfra_iac.errors import ProvisionError
from aiinfra_iac.plan.model import ClusterPlan

EndpointMode = Literal["private", "public", "public-and-private"]


@dataclass(frozen=True)
class EndpointAccess:
    mode: EndpointMode
    public_cidrs: tuple[str, ...]
    """Who may reach the public endpoint; empty when it is private."""

    @property
    def private(self) -> bool:
        return self.mode != "public"

    @property
    def public(self) -> bool:
        return self.mode != "private"


def endpoint_access(provider: Provider) -> EndpointAccess:
    """The endpoint access ``up`` sets for an EKS cluster of this provider."""
    cidrs = tuple(provider.endpoint_public_cidrs or ())
    mode: EndpointMode = provider.endpoint_access or ("public-and-private" if cidrs else "private")
    return EndpointAccess(mode, cidrs if mode != "private" else ())


def private_endpoint_note(plan: ClusterPlan) -> str | None:
    """What a private endpoint means for this run of ``up`` (which installs the add-ons over the API),
    or None where the cluster is not EKS or its endpoint is public."""
    if plan.provider.type != "aws" or plan.scheduler.type != "kubernetes":
        return None
    if endpoint_access(plan.provider).public:
        return None
    return (
        "the EKS API endpoint is private (the default): up installs the add-ons over it, which works "
        "only from inside the VPC (a bastion, a VPN, an SSM port forward); to run up from this machine, "
        "set spec.provider.endpointPublicCidrs to its address, e.g. [203.0.113.7/32]"
    )


def unchosen_private_endpoint(plan: ClusterPlan) -> str | None:
    """Why ``up`` stops before creating anything, or None: the endpoint would be private only by
    default, and ``up`` installs the add-ons over the EKS API in the run that creates the cluster, so
    from outside the VPC it would leave a created cluster whose Helm releases time out. The blueprint
    says which case it is: ``endpointPublicCidrs`` (this machine's address) or an explicit
    ``endpointAccess: private`` (``up`` runs inside the VPC: a bastion, a VPN, a runner there)."""
    note = private_endpoint_note(plan)
    if note is None or plan.provider.endpoint_access is not None:
        return None
    return f"{note}; or, when up runs inside the VPC, say so with spec.provider.endpointAccess: private"


def require_endpoint_path(plan: ClusterPlan) -> None:
    """Stop ``up`` before it creates anything (:func:`unchosen_private_endpoint`)."""
    if (problem := unchosen_private_endpoint(plan)) is not None:
        raise ProvisionError(f"{problem}. Nothing was created.")
