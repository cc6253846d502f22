"""EC2 vCPU quota codes per instance family: running On-Demand and Spot vCPUs are limited per
family group (https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html;
codes: https://docs.aws.amazon.com/servicequotas/latest/userguide/ and `aws service-quotas
list-service-quotas --service-code ec2`)."""

from __future__ import annotations

import re

ON_DEMAND = {
    "P": ("L-417A185B", "Running On-Demand P instances"),
    "G": ("L-DB2E81BA", "Running On-Demand G and VT instances"),
    "standard": ("L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"),
    "Trn": ("L-2C3B7624", "Running On-Demand Trn instances"),
    "Inf": ("L-1945791B", "Running On-Demand Inf instances"),
    "X": ("L-7295265B", "Running On-Demand X instances"),
    "DL": ("L-6E869C2A", "Running On-Demand DL instances"),
}
SPOT = {
    "P": ("L-7212CCBC", "All P Spot Instance Requests"),
    "G": ("L-3819A6DF", "All G and VT Spot Instance Requests"),
    "standard": ("L-34B43A08", "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests"),
}


def quota_group(instance_type: str) -> str | None:
    """The quota group of an instance type (p5.48xlarge → P, m6i.xlarge → standard)."""
    family = re.match(r"^([a-z]+)", instance_type)
    if family is None:
        return None
    letters = family.group(1)
    for prefix, group in (
        ("trn", "Trn"),
        ("inf", "Inf"),
        ("dl", "DL"),
        ("vt", "G"),
        ("p", "P"),
        ("g", "G"),
        ("x", "X"),
    ):
        if letters.startswith(prefix):
            return group
    return "standard" if letters[0] in "acdhimrtz" else None


def quota_for(instance_type: str, capacity_type: str) -> tuple[str, str] | None:
    """(quota code, name) that ``capacity_type`` instances of ``instance_type`` count against; None for
    capacity blocks (bought up front for a fixed size, not drawn from these quotas) and unknown families."""
    group = quota_group(instance_type)
    if group is None or capacity_type == "capacity-block":
        return None
    table = SPOT if capacity_type == "spot" else ON_DEMAND
    return table.get(group)
