"""The Kubernetes workloads of a validation run: which Job or MPIJob runs each step of
:mod:`.commands`, where its log goes in the results layout, and in which phase it runs.

Phases run one after another: ``node`` (gpu-burn, DCGM, single-node nccl-tests: every Job of every node
at once; each asks for all GPUs of its node, so the scheduler runs one at a time per node),
plus one snapshot Job per node (:mod:`aiinfra_iac.validate.snapshot`: GPUs, driver, HCAs, links and
MTU, kernel arguments, on the host network so the node's own NICs are seen), ``rdma-server`` then
``rdma-client`` (perftest pairs on the host network; a client learns its server's
address from the server pod), then ``pool`` (one MPIJob per multi-node NCCL check, which needs the GPUs
of every node of the pool, so one at a time).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan, ValidationCheckPlan
from aiinfra_iac.validate import snapshot
from aiinfra_iac.validate.runners import k8s_manifests as m
from aiinfra_iac.validate.runners.commands import Step, node_steps, pool_step, rdma_steps

Phase = Literal["node", "rdma-server", "rdma-client", "pool"]
PHASES: tuple[Phase, ...] = ("node", "rdma-server", "rdma-client", "pool")
MPI_API = "kubeflow.org/v2beta1"


@dataclass(frozen=True)
class KubeJob:
    """One workload: its manifest, the results file its log goes to, and how to reach that log."""

    name: str
    kind: Literal["Job", "MPIJob"]
    phase: Phase
    check_id: str
    node: str
    """Plan node name (``_cluster`` for an MPIJob)."""
    output: str
    """Results file, relative to the results directory."""
    manifest: dict[str, Any] = field(compare=False)
    server: str = ""
    """rdma-client: the name of the server Job whose pod address ends the client's command."""

    @property
    def resource(self) -> str:
        """``kubectl`` resource reference, e.g. ``job/gpu-burn-train-0``."""
        return f"{'job' if self.kind == 'Job' else 'mpijob'}/{self.name}"

    @property
    def log_source(self) -> str:
        """Where ``kubectl logs`` reads: the Job, or the MPIJob's launcher Job (``<name>-launcher``)."""
        return f"job/{self.name}" if self.kind == "Job" else f"job/{self.name}-launcher"


def _job(
    plan: ClusterPlan,
    step: Step,
    pool: PoolPlan,
    k8s_node: str,
    options: m.KubeOptions,
    run_id: str,
    *,
    phase: Phase,
    gpus: int,
    fabric: bool,
    host_network: bool = False,
    server: str = "",
) -> KubeJob:
    node = step.output.split("/", 1)[0]
    name = m.dns_name("aiinfra", step.output.replace(".log", "").replace(".json", ""), phase, run_id)
    resources = {m.GPU_RESOURCE: str(gpus)} if gpus else {}
    if fabric:
        resources |= m.fabric_resources(pool, options)
    rdma = fabric and pool.fabric is not None
    container = m.container("check", m.guarded(step.argv), step.env, options, resources, rdma=rdma)
    spec = m.pod_spec(pool, [container], options)
    spec["nodeSelector"] = {m.HOSTNAME_LABEL: k8s_node}
    if host_network:
        spec |= {"hostNetwork": True, "dnsPolicy": "ClusterFirstWithHostNet"}
    labels = m.labels(plan, step.check_id, node, run_id, phase)
    manifest = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": options.namespace, "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": options.timeout_s,
            "template": {"metadata": {"labels": dict(labels)}, "spec": spec},
        },
    }
    return KubeJob(name, "Job", phase, step.check_id, node, step.output, manifest, server=server)


def mpi_job(
    plan: ClusterPlan,
    check: ValidationCheckPlan,
    pool: PoolPlan,
    k8s_nodes: tuple[str, ...],
    options: m.KubeOptions,
    run_id: str,
) -> KubeJob:
    """The MPIJob of a ``scope: pool`` NCCL check: one worker per node, one slot per GPU."""
    step = pool_step(plan, check, pool, pool.hosts)
    argv = list(step.argv)
    if "-H" in argv:  # the operator writes the hostfile of the workers
        at = argv.index("-H")
        del argv[at : at + 2]
    argv.insert(1, "--allow-run-as-root")
    name = m.dns_name("aiinfra", check.id.replace(":", "-"), run_id)
    labels = m.labels(plan, check.id, "cluster", run_id, "pool")
    gpus = pool.gpus_per_node
    resources = {m.GPU_RESOURCE: str(gpus)} | m.fabric_resources(pool, options)
    launcher = m.pod_spec(
        pool, [m.container("launcher", m.guarded(tuple(argv)), step.env, options, {}, rdma=False)], options
    )
    launcher["restartPolicy"] = "OnFailure"  # the launcher may start before the workers' sshd listens
    worker_container = m.container(
        "worker", list(options.worker_command), step.env, options, resources, rdma=pool.fabric is not None
    )
    worker = m.pod_spec(pool, [worker_container], options)
    worker["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": m.HOSTNAME_LABEL, "operator": "In", "values": list(k8s_nodes)}
                        ]
                    }
                ]
            }
        }
    }
    manifest = {
        "apiVersion": MPI_API,
        "kind": "MPIJob",
        "metadata": {"name": name, "namespace": options.namespace, "labels": labels},
        "spec": {
            "slotsPerWorker": gpus,
            "mpiImplementation": "OpenMPI",
            "runPolicy": {
                "cleanPodPolicy": "Running",
                "backoffLimit": 3,
                "activeDeadlineSeconds": options.timeout_s,
            },
            "mpiReplicaSpecs": {
                "Launcher": {
                    "replicas": 1,
                    "restartPolicy": "OnFailure",
                    "template": {"metadata": {"labels": dict(labels)}, "spec": launcher},
                },
                "Worker": {
                    "replicas": len(k8s_nodes),
                    "restartPolicy": "Never",
                    "template": {"metadata": {"labels": dict(labels)}, "spec": worker},
                },
            },
        },
    }
    return KubeJob(name, "MPIJob", "pool", check.id, "_cluster", step.output, manifest)


def plan_jobs(
    plan: ClusterPlan,
    options: m.KubeOptions,
    run_id: str,
    node_names: Mapping[str, str] | None = None,
) -> list[KubeJob]:
    """Every workload of the plan's checks, in phase order. ``node_names`` maps plan node names to
    Kubernetes node names (the ``kubernetes.io/hostname`` label); a node absent from it keeps its name."""
    names = dict(node_names or {})
    jobs: list[KubeJob] = []
    for check in plan.validation:
        pool = plan.pool(check.pool)
        if not pool.hosts:
            continue
        if check.scope == "pool":
            k8s_nodes = tuple(names.get(h, h) for h in pool.hosts)
            jobs.append(mpi_job(plan, check, pool, k8s_nodes, options, run_id))
        elif check.kind == "rdma":
            jobs.extend(_rdma_jobs(plan, check, pool, names, options, run_id))
        else:
            for host in pool.hosts:
                jobs.extend(
                    _node_job(
                        plan, step, pool, names.get(host, host), options, run_id, fabric=check.kind == "nccl"
                    )
                    for step in node_steps(plan, check, pool, host)
                )
    jobs.extend(snapshot_jobs(plan, options, run_id, names))
    return sorted(jobs, key=lambda job: PHASES.index(job.phase))


def _node_job(
    plan: ClusterPlan,
    step: Step,
    pool: PoolPlan,
    k8s_node: str,
    options: m.KubeOptions,
    run_id: str,
    *,
    fabric: bool,
    host_network: bool = False,
) -> KubeJob:
    """A ``node``-phase Job on the Kubernetes node ``k8s_node`` with every GPU of the node."""
    return _job(
        plan, step, pool, k8s_node, options, run_id,
        phase="node", gpus=pool.gpus_per_node, fabric=fabric, host_network=host_network,
    )  # fmt: skip


def snapshot_jobs(
    plan: ClusterPlan, options: m.KubeOptions, run_id: str, names: Mapping[str, str]
) -> list[KubeJob]:
    """The snapshot Job of each node of a pool with checks (as the Slurm/ssh runners record it): the
    read-only :data:`~aiinfra_iac.validate.snapshot.SCRIPT` with every GPU of the node (so
    ``nvidia-smi`` lists them all) on the host network (so ``ip -o link`` shows the node's NICs and
    MTU; ``/proc/cmdline`` and ``ibstat``'s sysfs are the host's in any pod)."""
    checked = {check.pool for check in plan.validation}
    jobs: list[KubeJob] = []
    for pool in plan.pools:
        if pool.name not in checked:
            continue
        for host in pool.hosts:
            step = Step("snapshot", host, snapshot.step_argv(), f"{host}/{snapshot.FILE}", tool="sh")
            jobs.append(
                _node_job(
                    plan, step, pool, names.get(host, host), options, run_id, fabric=False, host_network=True
                )
            )
    return jobs


def _rdma_jobs(
    plan: ClusterPlan,
    check: ValidationCheckPlan,
    pool: PoolPlan,
    names: Mapping[str, str],
    options: m.KubeOptions,
    run_id: str,
) -> list[KubeJob]:
    jobs: list[KubeJob] = []
    server = ""
    for step in rdma_steps(check, pool, pool.hosts):
        phase: Phase = "rdma-server" if step.background else "rdma-client"
        job = _job(
            plan,
            step,
            pool,
            names.get(step.host, step.host),
            options,
            run_id,
            phase=phase,
            gpus=0,
            fabric=True,
            host_network=True,
            server="" if step.background else server,
        )
        if step.background:
            server = job.name  # rdma_steps yields each server right before its client
        jobs.append(job)
    return jobs


def with_server_address(job: KubeJob, address: str) -> KubeJob:
    """An rdma-client Job whose command ends with ``address`` (its server pod's host-network address)."""
    manifest: dict[str, Any] = copy.deepcopy(job.manifest)
    command = manifest["spec"]["template"]["spec"]["containers"][0]["command"]
    command[-1] = address
    return KubeJob(job.name, job.kind, job.phase, job.check_id, job.node, job.output, manifest, job.server)
