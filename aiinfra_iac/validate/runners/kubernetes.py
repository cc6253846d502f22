"""Run the checks as Kubernetes workloads (scheduler ``kubernetes``): a Job per node per check, perftest
pairs as Jobs on the host network, an MPIJob per multi-node NCCL check (see :mod:`.k8s_jobs`).

Each phase is applied with ``kubectl apply``, then polled (``kubectl get -o json``) until every workload
has the condition ``Complete``/``Failed`` (Job) or ``Succeeded``/``Failed`` (MPIJob) or the phase's
timeout passes; the logs (``kubectl logs``) go into the results layout whatever the outcome, so the judge
fails a check from its content, or from the missing file when a pod never ran. Workloads are deleted at
the end unless ``AIINFRA_VALIDATION_KEEP`` is set.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from aiinfra_iac.errors import MissingToolError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.terminal import markup
from aiinfra_iac.validate.runners import k8s_manifests as m
from aiinfra_iac.validate.runners.commands import tool_hint
from aiinfra_iac.validate.runners.k8s_jobs import PHASES, KubeJob, plan_jobs, with_server_address
from aiinfra_iac.validate.runners.kubectl import Kubectl, KubectlError

MPI_OPERATOR_HINT = (
    "kubectl apply --server-side -f "
    "https://raw.githubusercontent.com/kubeflow/mpi-operator/master/deploy/v2beta1/mpi-operator.yaml"
)
_DONE = {
    "Job": {"Complete": "complete", "Failed": "failed"},
    "MPIJob": {"Succeeded": "complete", "Failed": "failed"},
}


def run_kubernetes(
    plan: ClusterPlan,
    results_dir: Path,
    console: Console,
    *,
    node_names: Mapping[str, str] | None = None,
    options: m.KubeOptions | None = None,
) -> None:
    """Run every check of ``plan`` in its Kubernetes cluster and write the results layout.

    ``node_names``: plan node name → Kubernetes node name (or an address of the node: addresses are
    looked up among the cluster's nodes)."""
    opts = options or m.KubeOptions.from_env()
    kubectl = Kubectl.for_plan(plan)
    run_id = secrets.token_hex(3)
    names = _node_names(kubectl, node_names) if node_names else {}
    jobs = plan_jobs(plan, opts, run_id, names)
    runner = _Runner(kubectl, opts, run_id, results_dir, console)
    kubectl.apply([m.namespace(opts)])
    console.print(
        f"validating on Kubernetes: {len(jobs)} workloads in namespace {opts.namespace} "
        f"(image {opts.image}, run {run_id})"
    )
    try:
        for phase in PHASES:
            batch = [job for job in jobs if job.phase == phase]
            if phase == "rdma-server" or not batch:
                continue
            if phase == "rdma-client":
                servers = [job for job in jobs if job.phase == "rdma-server"]
                runner.run_pairs(servers, batch)
            elif phase == "pool":
                for job in batch:  # each needs every GPU of the pool
                    runner.run_batch([job])
            else:
                runner.run_batch(batch)
    finally:
        if not opts.keep:  # one kind per call: a cluster without the MPIJob CRD still loses its Jobs
            for kind in sorted({"jobs.batch" if j.kind == "Job" else "mpijobs.kubeflow.org" for j in jobs}):
                kubectl.run(
                    "delete", kind, "-n", opts.namespace, "-l", f"{m.LABEL_RUN}={run_id}",
                    "--ignore-not-found", "--wait=false", check=False,
                )  # fmt: skip


def _node_names(kubectl: Kubectl, given: Mapping[str, str]) -> dict[str, str]:
    """Plan names → Kubernetes node names: values that are node names stay, addresses are looked up."""
    nodes = kubectl.get_json("nodes").get("items", [])
    by_address: dict[str, str] = {}
    known: set[str] = set()
    for node in nodes:
        name = str(node.get("metadata", {}).get("name", ""))
        known.add(name)
        for address in node.get("status", {}).get("addresses", []):
            by_address[str(address.get("address", ""))] = name
    return {plan: value if value in known else by_address.get(value, value) for plan, value in given.items()}


class _Runner:
    def __init__(
        self, kubectl: Kubectl, options: m.KubeOptions, run_id: str, results_dir: Path, console: Console
    ) -> None:
        self.kubectl = kubectl
        self.options = options
        self.run_id = run_id
        self.results_dir = results_dir
        self.console = console

    def run_batch(self, jobs: list[KubeJob]) -> None:
        try:
            self.kubectl.apply([job.manifest for job in jobs])
        except KubectlError as error:
            if any(j.kind == "MPIJob" for j in jobs) and "no matches for kind" in str(error):
                raise MissingToolError(
                    "the MPI Operator (MPIJob kubeflow.org/v2beta1)", MPI_OPERATOR_HINT
                ) from error
            raise
        states = self.wait(jobs)
        self.collect(jobs, states)

    def run_pairs(self, servers: list[KubeJob], clients: list[KubeJob]) -> None:
        """perftest: start the servers, give each client its server's address, run, collect both sides."""
        self.kubectl.apply([job.manifest for job in servers])
        addresses = self.server_addresses(servers)
        ready = [with_server_address(c, addresses[c.server]) for c in clients if c.server in addresses]
        for client in clients:
            if client.server not in addresses:
                self.console.print(
                    f"[yellow]{client.check_id}: server {client.server} never ran; no client[/]"
                )
        if ready:
            self.kubectl.apply([job.manifest for job in ready])
        states = self.wait([*servers, *ready])
        self.collect([*servers, *ready], states)

    def server_addresses(self, servers: list[KubeJob]) -> dict[str, str]:
        deadline = time.monotonic() + self.options.timeout_s
        found: dict[str, str] = {}
        ended: set[str] = set()  # servers that stopped before serving (their log says why)
        while True:
            pods = self._get("pods", "-l", f"{m.LABEL_RUN}={self.run_id},{m.LABEL_ROLE}=rdma-server")
            for pod in pods:
                job = str(pod.get("metadata", {}).get("labels", {}).get("job-name", ""))
                status = pod.get("status", {})
                if status.get("phase") == "Running" and status.get("podIP"):
                    found[job] = str(status["podIP"])
                elif status.get("phase") in ("Succeeded", "Failed"):
                    ended.add(job)
            if all(s.name in found or s.name in ended for s in servers) or time.monotonic() >= deadline:
                return found
            time.sleep(self.options.poll_s)

    def wait(self, jobs: list[KubeJob]) -> dict[str, str]:
        """Job name → ``complete`` | ``failed`` | ``timeout``."""
        deadline = time.monotonic() + self.options.timeout_s
        states: dict[str, str] = {}
        while True:
            kinds = ",".join(
                sorted({"jobs.batch" if j.kind == "Job" else "mpijobs.kubeflow.org" for j in jobs})
            )
            for item in self._get(kinds, "-l", f"{m.LABEL_RUN}={self.run_id}"):
                name = str(item.get("metadata", {}).get("name", ""))
                kind = str(item.get("kind", ""))
                for condition in item.get("status", {}).get("conditions", []) or []:
                    state = _DONE.get(kind, {}).get(str(condition.get("type")))
                    if state and condition.get("status") == "True":
                        states[name] = state
            if all(job.name in states for job in jobs):
                return states
            if time.monotonic() >= deadline:
                return {job.name: states.get(job.name, "timeout") for job in jobs}
            time.sleep(self.options.poll_s)

    def collect(self, jobs: list[KubeJob], states: Mapping[str, str]) -> None:
        for job in jobs:
            state = states.get(job.name, "timeout")
            if state != "complete":
                what = f"{job.check_id} on {job.node}: {job.kind} {job.name} {state}"
                self.console.print(f"[yellow]{markup(what)}[/]")
            done = self.kubectl.run(
                "logs", job.log_source, "-n", self.options.namespace, "--tail=-1", check=False
            )
            if done.returncode != 0:
                why = done.stderr.decode("utf-8", errors="replace").strip()
                what = f"{job.check_id} on {job.node}: no log ({why[:200]})"
                self.console.print(f"[yellow]{markup(what)}[/]")
                continue
            text = done.stdout.decode("utf-8", errors="replace")
            if text.startswith(m.MISSING_MARK):
                tool = text[len(m.MISSING_MARK) :].split()[0]
                raise MissingToolError(f"{tool} (in the image {self.options.image})", tool_hint(tool))
            out = self.results_dir / job.output
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(done.stdout)  # bytes: gpu-burn repaints progress with bare \r

    def _get(self, *args: str) -> list[dict[str, Any]]:
        try:
            doc = self.kubectl.get_json(*args, "-n", self.options.namespace)
        except KubectlError as error:
            self.console.print(f"[yellow]{markup(error)}; retrying[/]")
            return []
        items = doc.get("items", []) if isinstance(doc, dict) else []
        return [item for item in items if isinstance(item, dict)]
