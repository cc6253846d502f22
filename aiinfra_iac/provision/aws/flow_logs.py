"""``VpcFlowLogs``: the VPC's flow log records (all traffic) in a CloudWatch Logs group (``flowLogs: true``).

Off by default: CloudWatch bills flow log ingestion per GB, and a training cluster moves a lot of
bytes (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html); records are aggregated
over AWS's default 10-minute interval. The flow logs service writes with a role it assumes; this one
may only write to the cluster's own log group
(https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from aiinfra_iac.provision.aws.iam import assume_role_policy

FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"
DELIVERY_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")
"""What the service needs on a log group that already exists (the role page above lists these plus
CreateLogGroup/DescribeLogGroups, which are not needed when the group is created here)."""


def delivery_policy(log_group_arn: str) -> str:
    """Write access to one log group's streams only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": list(DELIVERY_ACTIONS),
                    "Resource": [log_group_arn, f"{log_group_arn}:*"],
                }
            ],
        },
        sort_keys=True,
    )


@dataclass(frozen=True)
class VpcFlowLogsArgs:
    vpc_id: pulumi.Input[str]
    log_group_name: str
    retention_days: int
    tags: Mapping[str, str] = field(default_factory=dict)


class VpcFlowLogs(pulumi.ComponentResource):
    TYPE = "aiinfra:aws:VpcFlowLogs"

    def __init__(self, name: str, args: VpcFlowLogsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-group",
            name=args.log_group_name,
            retention_in_days=args.retention_days,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role", assume_role_policy=assume_role_policy(FLOW_LOGS_SERVICE), tags=tags, opts=child
        )
        policy = aws.iam.RolePolicy(
            f"{name}-deliver",
            role=role.id,
            policy=self.log_group.arn.apply(delivery_policy),
            opts=child,
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-vpc",
            vpc_id=args.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.log_group.arn,
            iam_role_arn=role.arn,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.register_outputs({"logGroup": self.log_group.name, "flowLogId": self.flow_log.id})
