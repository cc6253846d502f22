"""``ClusterNetwork``: VPC, subnets in the blueprint's AZ, NAT egress and the EFA security group.

EFA needs a security group that allows all traffic to and from itself, inbound and outbound
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-start.html#efa-start-security).
Instances with several network interfaces get no public IP, so nodes sit in a private
subnet and reach the internet through a NAT gateway in a small public subnet. S3 traffic
(datasets, checkpoints, FSx data repositories) takes a gateway endpoint instead of the NAT:
no per-GB NAT charge and no single NAT as the bottleneck
(https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

VPC_CIDR = "10.0.0.0/16"
NODE_CIDR = "10.0.0.0/17"
"""32k addresses: every EFA-capable interface of a node takes one IP (efa-only ones do not)."""
PUBLIC_CIDR = "10.0.128.0/24"
CONTROL_PLANE_CIDR = "10.0.129.0/24"


def second_zone(availability_zone: str) -> str:
    """Another AZ of the same region for the EKS control plane, which needs subnets in two AZs
    (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html). Nodes stay in the first."""
    region, letter = availability_zone[:-1], availability_zone[-1]
    for candidate in "abcdef":
        if candidate != letter:
            return region + candidate
    raise ValueError(f"cannot pick a second availability zone next to {availability_zone}")


@dataclass(frozen=True)
class ClusterNetworkArgs:
    availability_zone: str
    region: str = ""
    """For the S3 gateway endpoint's service name (``com.amazonaws.<region>.s3``)."""
    control_plane_subnet: bool = False
    """Add a subnet in a second AZ for an EKS control plane."""
    tags: Mapping[str, str] = field(default_factory=dict)


class ClusterNetwork(pulumi.ComponentResource):
    TYPE = "aiinfra:aws:ClusterNetwork"

    def __init__(
        self, name: str, args: ClusterNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        def tagged(suffix: str) -> dict[str, str]:
            return {**tags, "Name": f"{name}-{suffix}"}

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=VPC_CIDR,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=tagged("vpc"),
            opts=child,
        )
        self.node_subnet = aws.ec2.Subnet(
            f"{name}-nodes",
            vpc_id=self.vpc.id,
            cidr_block=NODE_CIDR,
            availability_zone=args.availability_zone,
            tags=tagged("nodes"),
            opts=child,
        )
        public_subnet = aws.ec2.Subnet(
            f"{name}-public",
            vpc_id=self.vpc.id,
            cidr_block=PUBLIC_CIDR,
            availability_zone=args.availability_zone,
            map_public_ip_on_launch=True,
            tags=tagged("public"),
            opts=child,
        )
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags=tagged("igw"), opts=child)
        nat_ip = aws.ec2.Eip(f"{name}-nat-ip", domain="vpc", tags=tagged("nat-ip"), opts=child)
        nat = aws.ec2.NatGateway(
            f"{name}-nat", allocation_id=nat_ip.id, subnet_id=public_subnet.id, tags=tagged("nat"), opts=child
        )
        public_routes = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}],
            tags=tagged("public-rt"),
            opts=child,
        )
        aws.ec2.RouteTableAssociation(
            f"{name}-public-rta", subnet_id=public_subnet.id, route_table_id=public_routes.id, opts=child
        )
        private_routes = aws.ec2.RouteTable(
            f"{name}-private-rt",
            vpc_id=self.vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat.id}],
            tags=tagged("private-rt"),
            opts=child,
        )
        aws.ec2.RouteTableAssociation(
            f"{name}-nodes-rta", subnet_id=self.node_subnet.id, route_table_id=private_routes.id, opts=child
        )
        self.public_subnet = public_subnet
        self.nat_ip = nat_ip
        self.s3_endpoint: aws.ec2.VpcEndpoint | None = None
        if args.region:
            self.s3_endpoint = aws.ec2.VpcEndpoint(
                f"{name}-s3",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.s3",
                vpc_endpoint_type="Gateway",
                route_table_ids=[private_routes.id],
                tags=tagged("s3"),
                opts=child,
            )
        self.control_plane_subnet: aws.ec2.Subnet | None = None
        if args.control_plane_subnet:
            self.control_plane_subnet = aws.ec2.Subnet(
                f"{name}-control-plane",
                vpc_id=self.vpc.id,
                cidr_block=CONTROL_PLANE_CIDR,
                availability_zone=second_zone(args.availability_zone),
                tags=tagged("control-plane"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-control-plane-rta",
                subnet_id=self.control_plane_subnet.id,
                route_table_id=private_routes.id,
                opts=child,
            )

        self.efa_security_group = aws.ec2.SecurityGroup(
            f"{name}-efa",
            vpc_id=self.vpc.id,
            description="EFA: all traffic to and from members of this group",
            tags=tagged("efa"),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-efa-ingress-self",
            security_group_id=self.efa_security_group.id,
            referenced_security_group_id=self.efa_security_group.id,
            ip_protocol="-1",
            description="EFA: all traffic from this group",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-efa-egress-self",
            security_group_id=self.efa_security_group.id,
            referenced_security_group_id=self.efa_security_group.id,
            ip_protocol="-1",
            description="EFA: all traffic to this group",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress-internet",
            security_group_id=self.efa_security_group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="-1",
            description="Package mirrors, container registries and AWS APIs through the NAT gateway",
            opts=child,
        )
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "nodeSubnetId": self.node_subnet.id,
                "securityGroupId": self.efa_security_group.id,
                "natGatewayId": nat.id,
            }
        )
