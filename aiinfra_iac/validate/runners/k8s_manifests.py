"""Kubernetes manifests (plain dicts) for the validation checks: one ``batch/v1`` Job per node per
check, one Kubeflow ``MPIJob`` per multi-node NCCL check.

Facts the manifests rely on:

* Nodes are pinned with the well-known label ``kubernetes.io/hostname``
  (https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetesiohostname).
* GPUs: the NVIDIA device plugin / GPU Operator resource ``nvidia.com/gpu``.
* EFA: the AWS EFA device plugin advertises ``vpc.amazonaws.com/efa`` as an integer extended resource,
  one per EFA interface, requested in the container's requests and limits
  (https://docs.aws.amazon.com/eks/latest/userguide/device-management-efa.html).
* IB/RoCE with the NVIDIA Network Operator: the RDMA shared device plugin advertises
  ``rdma/<resourceName>``; the NicClusterPolicy example names it ``rdma_shared_device_a``
  (https://docs.nvidia.com/networking/display/kubernetes2610/customizations/cr-full-example.html), so the
  default request is ``rdma/rdma_shared_device_a: 1`` — a parameter, since every site names its own.
  RDMA needs locked memory: ``IPC_LOCK``; NCCL needs a large ``/dev/shm``: a memory ``emptyDir``.
* MPIJob ``kubeflow.org/v2beta1``: ``spec.slotsPerWorker``, ``spec.runPolicy`` (``cleanPodPolicy``,
  ``backoffLimit``, ``activeDeadlineSeconds``), ``spec.mpiImplementation`` and
  ``spec.mpiReplicaSpecs.{Launcher,Worker}`` with ``replicas`` and a pod ``template``; the operator
  writes the hostfile, so ``mpirun`` gets no ``-H``; workers run ``sshd`` and the launcher runs ``mpirun``
  (https://github.com/kubeflow/mpi-operator pkg/apis/kubeflow/v2beta1/types.go and
  examples/v2beta1/pi/pi-mpich.yaml). Its conditions are ``Succeeded`` / ``Failed``.

There is no official NGC image with gpu-burn, nccl-tests, perftest and DCGM together: the image is a
parameter (``AIINFRA_VALIDATION_IMAGE``) and must contain ``gpu_burn``, ``dcgmi``, the nccl-tests
binaries built with ``MPI=1``, Open MPI with ``sshd``, and ``ib_write_bw`` (perftest).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from dataclasses import dataclass
from typing import Any

from aiinfra_iac.plan.kubernetes import RDMA_SHARED_RESOURCE
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan

NAMESPACE = "aiinfra-validation"
DEFAULT_IMAGE = "aiinfra/gpu-validation:latest"
"""A placeholder name to override: build it from an NGC CUDA/PyTorch image plus the tools above."""
EFA_RESOURCE = "vpc.amazonaws.com/efa"
GPU_RESOURCE = "nvidia.com/gpu"
DEFAULT_RDMA_RESOURCE = f"rdma/{RDMA_SHARED_RESOURCE}"
"""The resource the NicClusterPolicy that `aiinfra up` creates advertises."""
HOSTNAME_LABEL = "kubernetes.io/hostname"
MISSING_MARK = "aiinfra-missing-tool:"
LABEL_CLUSTER = "aiinfra/cluster"
LABEL_CHECK = "aiinfra/check"
LABEL_NODE = "aiinfra/node"
LABEL_RUN = "aiinfra/run"
LABEL_ROLE = "aiinfra/role"
_NOT_DNS = re.compile(r"[^a-z0-9-]+")
_NOT_LABEL = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class KubeOptions:
    """Runner settings; :meth:`from_env` reads the ``AIINFRA_VALIDATION_*`` variables."""

    image: str = DEFAULT_IMAGE
    namespace: str = NAMESPACE
    rdma_resource: str = DEFAULT_RDMA_RESOURCE
    """Extended resource of the Network Operator's RDMA shared device plugin (IB/RoCE pools)."""
    timeout_s: int = 3600
    """Per phase: every Job of the phase must finish (Complete or Failed) within it."""
    keep: bool = False
    """Leave the Jobs and MPIJobs in the cluster after collecting their logs."""
    poll_s: float = 5.0
    shm_size: str = "64Gi"
    worker_command: tuple[str, ...] = ("/usr/sbin/sshd", "-De")
    """MPIJob workers: the sshd the launcher's mpirun connects to."""

    @classmethod
    def from_env(cls) -> KubeOptions:
        env = os.environ
        return cls(
            image=env.get("AIINFRA_VALIDATION_IMAGE", DEFAULT_IMAGE),
            namespace=env.get("AIINFRA_VALIDATION_NAMESPACE", NAMESPACE),
            rdma_resource=env.get("AIINFRA_VALIDATION_RDMA_RESOURCE", DEFAULT_RDMA_RESOURCE),
            timeout_s=_int_env("AIINFRA_VALIDATION_TIMEOUT", 3600),
            keep=env.get("AIINFRA_VALIDATION_KEEP", "") not in ("", "0", "false", "no"),
            poll_s=float(_int_env("AIINFRA_VALIDATION_POLL", 5)),
        )


def _int_env(name: str, default: int) -> int:
    from aiinfra_iac.errors import UsageError

    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise UsageError(f"environment variable {name}={raw!r} is not a whole number of seconds") from error


def dns_name(*parts: str) -> str:
    """A DNS-1123 name (≤ 63 characters) from ``parts``; long names keep a hash of the whole."""
    name = _NOT_DNS.sub("-", "-".join(parts).lower()).strip("-")
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return name[:54].rstrip("-") + "-" + digest


def label_value(text: str) -> str:
    """A label value (≤ 63 characters of ``[A-Za-z0-9_.-]``, alphanumeric at both ends)."""
    value = _NOT_LABEL.sub(".", text).strip("._-")
    if len(value) > 63:
        value = value[:54].rstrip("._-") + "." + hashlib.sha1(text.encode()).hexdigest()[:8]
    return value


def labels(plan: ClusterPlan, check_id: str, node: str, run_id: str, role: str) -> dict[str, str]:
    return {
        LABEL_CLUSTER: label_value(plan.name),
        LABEL_CHECK: label_value(check_id),
        LABEL_NODE: label_value(node),
        LABEL_RUN: run_id,
        LABEL_ROLE: role,
    }


def efa_count(pool: PoolPlan) -> int:
    """EFA interfaces per node: the EFA and EFA-only interfaces attached, else one per rail."""
    attached = sum(1 for nic in pool.network_interfaces if nic.kind in ("efa", "efa-only"))
    return attached or len(pool.rails)


def fabric_resources(pool: PoolPlan, options: KubeOptions) -> dict[str, str]:
    """Extended resources that give a pod the pool's fabric: EFA interfaces, or the RDMA shared device."""
    if pool.fabric is None:
        return {}
    if pool.fabric.type == "efa":
        count = efa_count(pool)
        return {EFA_RESOURCE: str(count)} if count else {}
    return {options.rdma_resource: "1"}


def tolerations(pool: PoolPlan) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for taint in pool.taints:
        item = {"key": taint.key, "effect": taint.effect}
        if taint.value is None:
            item["operator"] = "Exists"
        else:
            item |= {"operator": "Equal", "value": taint.value}
        out.append(item)
    return out


def guarded(argv: tuple[str, ...]) -> list[str]:
    """``argv`` behind a check that its program exists: a missing tool prints :data:`MISSING_MARK`."""
    tool = shlex.quote(argv[0])
    script = f'command -v {tool} >/dev/null || {{ echo "{MISSING_MARK} {argv[0]}"; exit 127; }}; exec "$@"'
    return ["sh", "-c", script, "sh", *argv]


def container(
    name: str,
    argv: list[str],
    env: dict[str, str],
    options: KubeOptions,
    resources: dict[str, str],
    *,
    rdma: bool,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "image": options.image,
        "command": argv,
        "env": [{"name": k, "value": v} for k, v in sorted(env.items())],
        "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}],
    }
    if resources:
        spec["resources"] = {"requests": dict(resources), "limits": dict(resources)}
    if rdma:
        spec["securityContext"] = {"capabilities": {"add": ["IPC_LOCK"]}}
    return spec


def pod_spec(pool: PoolPlan, containers: list[dict[str, Any]], options: KubeOptions) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": containers,
        "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": options.shm_size}}],
    }
    toleration = tolerations(pool)
    if toleration:
        spec["tolerations"] = toleration
    return spec


def namespace(options: KubeOptions) -> dict[str, Any]:
    """The namespace, labelled ``privileged`` for Pod Security Admission: perftest pods use the host
    network and RDMA pods add ``IPC_LOCK``, both refused by the ``baseline`` level
    (https://kubernetes.io/docs/concepts/security/pod-security-standards/)."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": options.namespace,
            "labels": {"pod-security.kubernetes.io/enforce": "privileged"},
        },
    }
