"""Patterns of the blueprint fields that are names, paths and identifiers.

Blueprints are untrusted input (docs/security.md): these values end up in config files
(slurm.conf, fstab, nccl.conf), on command lines and in Ansible variables, so each field
accepts only what its target accepts and nothing that could start a new line, a new option
or a template. Free text (``metadata.team``, NCCL values) is limited to printable characters.
Sources of the shapes are named beside each pattern.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

UNIX_USER = r"^[a-z_][a-z0-9_-]{0,31}$"
"""useradd(8): "[a-z_][a-z0-9_-]*[$]?", at most 32 characters (https://man7.org/linux/man-pages/man8/useradd.8.html)."""
ABS_PATH = r"^/([A-Za-z0-9._+@-]+/?)*$"
"""An absolute path of plain path characters: no spaces, quotes, '$', '{' or control characters."""
USER_PATH = r"^(~|/|[A-Za-z0-9._+@-])[A-Za-z0-9._+@/~-]*$"
"""A path on the machine that runs aiinfra (may start with ~ or be relative)."""
DEVICE_PATH = r"^/dev/[A-Za-z0-9._/-]+$"
MOUNT_OPTIONS = r"^[A-Za-z0-9_.:/+=@-]+(,[A-Za-z0-9_.:/+=@-]+)*$"
"""mount(8) -o list: comma-separated options, no spaces (fstab fields are space-separated)."""
SLURM_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$"
"""Slurm partition names: one token of slurm.conf (https://slurm.schedmd.com/slurm.conf.html)."""
VERSION = r"^[0-9]+(\.[0-9]+){0,3}([-+~][0-9A-Za-z.+~-]+)?$"
"""A package version such as 23.11, 2.27.7 or 2.27.7-1+cuda12.9."""
AWS_PROFILE = r"^[A-Za-z0-9_.+=,@-]{1,64}$"
AMI_ID = r"^ami-[0-9a-f]{8,17}$"
INSTANCE_TYPE = r"^[a-z0-9-]+\.[a-z0-9-]+$"
CATALOG_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
"""A catalog key (GPU model, NIC model) or a device name such as mlx5_0."""
S3_BUCKET = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
DATA_REPOSITORY = (
    r"^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._/-]*)?|[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)$"
)
"""https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"""
LABEL_KEY = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
"""Kubernetes label keys (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/)."""
LABEL_VALUE = r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$"
ENV_NAME = r"^[A-Z][A-Z0-9_]{0,127}$"
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
"""One line of printable text: no newline, carriage return, escape or other control character."""
KUBE_CONTEXT = r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,252}$"

PATTERN_MEANINGS = {
    UNIX_USER: "is not a Unix user name: lowercase letters, digits, '_' and '-', starting with a letter "
    "or '_' (at most 32 characters)",
    ABS_PATH: "is not a plain absolute path: start with / and use letters, digits, '.', '_', '-', '+', '@'",
    USER_PATH: "is not a plain file path: letters, digits, '.', '_', '-', '+', '@', '/' and a leading ~",
    DEVICE_PATH: "is not a device path such as /dev/nvme0n1",
    MOUNT_OPTIONS: "is not a mount option list: comma-separated options without spaces, "
    "e.g. nfsvers=4.1,hard",
    SLURM_NAME: "is not a Slurm name: letters, digits, '_', '.' and '-' (at most 63 characters)",
    VERSION: 'is not a version such as "23.11" or "2.27.7" (quote it in YAML)',
    AWS_PROFILE: "is not an AWS profile name",
    AMI_ID: "is not an AMI ID such as ami-0123456789abcdef0",
    INSTANCE_TYPE: "is not an EC2 instance type such as p5.48xlarge",
    CATALOG_NAME: "is not a name: letters, digits, '_', '.' and '-'",
    DATA_REPOSITORY: "is neither the name of an s3 storage entry nor an S3 URI such as s3://bucket/prefix",
    S3_BUCKET: "is not an S3 bucket name: lowercase letters, digits, '.' and '-' (3-63 characters)",
    LABEL_KEY: "is not a Kubernetes label key such as example.com/tier",
    LABEL_VALUE: "is not a Kubernetes label value: letters, digits, '-', '_' and '.' (at most 63)",
    ENV_NAME: "is not an environment variable name: uppercase letters, digits and '_'",
    PRINTABLE: "contains a control character (newline, tab, escape …): write it on one line",
    KUBE_CONTEXT: "is not a kubeconfig context name",
}


LabelKey = Annotated[str, Field(pattern=LABEL_KEY, max_length=317)]
LabelValue = Annotated[str, Field(pattern=LABEL_VALUE, max_length=63)]
SlurmName = Annotated[str, Field(pattern=SLURM_NAME)]
EnvName = Annotated[str, Field(pattern=ENV_NAME)]
EnvValue = Annotated[str, Field(pattern=PRINTABLE, max_length=4096)]
DevicePath = Annotated[str, Field(pattern=DEVICE_PATH)]
CatalogName = Annotated[str, Field(pattern=CATALOG_NAME)]
