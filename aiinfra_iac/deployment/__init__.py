"""The deployment record: what provisioning produced and how to reach it.

A leaf package (it imports nothing of ``provision``, ``configure``, ``validate`` or
``lifecycle``): provision writes the record, every later stage and command reads it.
"""

from aiinfra_iac.deployment.model import (
    SCHEMA_VERSION,
    Access,
    Chroot,
    Deployment,
    Local,
    NodeRecord,
    Ssh,
    Ssm,
    StorageRecord,
)
from aiinfra_iac.deployment.store import (
    DEPLOYMENT_FILE,
    deployment_path,
    read_deployment,
    remove_deployment,
    require_deployment,
    write_deployment,
)

__all__ = [
    "DEPLOYMENT_FILE",
    "SCHEMA_VERSION",
    "Access",
    "Chroot",
    "Deployment",
    "Local",
    "NodeRecord",
    "Ssh",
    "Ssm",
    "StorageRecord",
    "deployment_path",
    "read_deployment",
    "remove_deployment",
    "require_deployment",
    "write_deployment",
]
