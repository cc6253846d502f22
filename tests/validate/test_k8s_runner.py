"""The Kubernetes runner: Job / MPIJob manifests per blueprint, and a run against a fake ``kubectl``
(first on PATH) that records its argv and prints the fixture logs, judged like any results tree."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from aiinfra_iac.blueprint.models import Provider
from aiinfra_iac.deployment import Deployment, NodeRecord, Ssh
from aiinfra_iac.errors import MissingToolError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.plan.resolve import plan_from_file
from aiinfra_iac.validate import snapshot
from aiinfra_iac.validate.judge import judge
from aiinfra_iac.validate.runners import k8s_manifests as m
from aiinfra_iac.validate.runners.k8s_jobs import KubeJob, plan_jobs
from aiinfra_iac.validate.stage import collect_results

from . import builders as b
from .test_snapshot import snapshot_text

REPO = Path(__file__).resolve().parents[2]
P5 = REPO / "blueprints" / "h100-p5-eks-fsx-training.yaml"
EXISTING = REPO / "blueprints" / "existing-k8s-gpu-network-operator.yaml"
DNS = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _plan(path: Path) -> ClusterPlan:
    if not path.exists():
        pytest.skip(f"{path.name} not present")
    return plan_from_file(path)[0]


def _container(job: KubeJob) -> dict[str, Any]:
    spec = job.manifest["spec"]["template"]["spec"]
    return dict(spec["containers"][0])


def _find(jobs: list[KubeJob], check_id: str, node: str) -> KubeJob:
    return next(j for j in jobs if j.check_id == check_id and j.node == node)


def test_p5_eks_jobs_ask_for_8_gpus_and_32_efa_on_their_node() -> None:
    plan = _plan(P5)
    jobs = plan_jobs(plan, m.KubeOptions(), "run1")
    # 4 node checks x 16 nodes, plus a snapshot Job per node
    assert sum(j.kind == "Job" for j in jobs) == 16 * 4 + 16 and sum(j.kind == "MPIJob" for j in jobs) == 2
    nccl = _find(jobs, "nccl:train:all_reduce:node", "train-3")
    pod = nccl.manifest["spec"]["template"]["spec"]
    assert nccl.manifest["apiVersion"] == "batch/v1" and nccl.manifest["spec"]["backoffLimit"] == 0
    assert nccl.manifest["metadata"]["namespace"] == "aiinfra-validation"
    assert pod["nodeSelector"] == {"kubernetes.io/hostname": "train-3"}
    box = _container(nccl)
    assert box["resources"]["limits"] == {"nvidia.com/gpu": "8", "vpc.amazonaws.com/efa": "32"}
    assert box["resources"]["requests"] == box["resources"]["limits"]
    env = {e["name"]: e["value"] for e in box["env"]}
    assert env["NCCL_SOCKET_IFNAME"] == "^lo,docker,veth" and env["NCCL_DEBUG"] == "INFO"
    assert "FI_PROVIDER" not in env
    assert box["securityContext"] == {"capabilities": {"add": ["IPC_LOCK"]}}
    assert box["command"][-9:] == ["all_reduce_perf", "-b", "8", "-e", "8G", "-f", "2", "-g", "8"]
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "effect": "NoSchedule", "operator": "Exists"}]
    assert {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "64Gi"}} in pod["volumes"]
    labels = nccl.manifest["metadata"]["labels"]
    assert labels["aiinfra/cluster"] == "h100-p5-eks-fsx-training" and labels["aiinfra/node"] == "train-3"
    assert labels["aiinfra/check"] == "nccl.train.all_reduce.node"
    burn = _container(_find(jobs, "gpu_burn:train", "train-0"))
    assert burn["resources"]["limits"] == {"nvidia.com/gpu": "8"}  # the burn needs no fabric
    assert burn["command"][-3:] == ["gpu_burn", "-tc", "300"]
    assert burn["image"] == m.DEFAULT_IMAGE
    for job in jobs:
        assert DNS.match(job.name), job.name
        assert all(re.match(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", v) for v in labels.values())


def test_p5_mpijob_one_worker_per_node_one_slot_per_gpu() -> None:
    plan = _plan(P5)
    names = {f"train-{i}": f"ip-10-0-0-{i}.ec2.internal" for i in range(16)}
    jobs = plan_jobs(plan, m.KubeOptions(image="example/nccl:1"), "run1", names)
    mpi = next(j for j in jobs if j.check_id == "nccl:train:all_reduce:pool")
    doc = mpi.manifest
    assert doc["apiVersion"] == "kubeflow.org/v2beta1" and doc["kind"] == "MPIJob"
    spec = doc["spec"]
    assert spec["slotsPerWorker"] == 8 and spec["runPolicy"]["cleanPodPolicy"] == "Running"
    launcher = spec["mpiReplicaSpecs"]["Launcher"]
    worker = spec["mpiReplicaSpecs"]["Worker"]
    assert launcher["replicas"] == 1 and worker["replicas"] == 16
    argv = launcher["template"]["spec"]["containers"][0]["command"]
    mpirun = argv[argv.index("mpirun") :]
    assert mpirun[:4] == ["mpirun", "--allow-run-as-root", "-np", "128"] and "-H" not in mpirun
    assert "NCCL_SOCKET_IFNAME" in mpirun and mpirun[-9:] == [
        "all_reduce_perf",
        "-b",
        "8",
        "-e",
        "8G",
        "-f",
        "2",
        "-g",
        "1",
    ]
    wpod = worker["template"]["spec"]
    terms = wpod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    expr = terms["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert expr["key"] == "kubernetes.io/hostname" and expr["values"][0] == "ip-10-0-0-0.ec2.internal"
    assert wpod["containers"][0]["resources"]["limits"] == {
        "nvidia.com/gpu": "8",
        "vpc.amazonaws.com/efa": "32",
    }
    assert wpod["containers"][0]["image"] == "example/nccl:1"
    assert mpi.output == "_cluster/nccl_all_reduce.log" and mpi.log_source == f"job/{mpi.name}-launcher"
    node_job = _find(jobs, "dcgm:train", "train-5")
    assert node_job.manifest["spec"]["template"]["spec"]["nodeSelector"] == {
        "kubernetes.io/hostname": "ip-10-0-0-5.ec2.internal"
    }
    assert node_job.output == "train-5/dcgm_diag.json"


def test_existing_k8s_asks_for_the_network_operator_rdma_resource() -> None:
    plan = _plan(EXISTING)
    jobs = plan_jobs(plan, m.KubeOptions(), "run1")
    nccl = _container(_find(jobs, "nccl:h100:all_reduce:node", "h100-0"))
    assert nccl["resources"]["limits"] == {"nvidia.com/gpu": "8", "rdma/rdma_shared_device_a": "1"}
    env = {e["name"]: e["value"] for e in nccl["env"]}
    assert env["NCCL_IB_HCA"].startswith("=mlx5_0") and "FI_PROVIDER" not in env
    custom = plan_jobs(plan, m.KubeOptions(rdma_resource="rdma/shared_ib"), "run1")
    servers = [j for j in custom if j.phase == "rdma-server"]
    clients = [j for j in custom if j.phase == "rdma-client"]
    assert len(servers) == len(clients) == 8 * 2  # 8 rails, pairs (0,1) and (2,3)
    server = _find(servers, "rdma:h100:mlx5_3", "h100-2")
    client = next(c for c in clients if c.server == server.name)
    assert client.node == "h100-3" and client.output == "h100-3/ib_write_bw_mlx5_3.log"
    pod = client.manifest["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True and pod["containers"][0]["resources"]["limits"] == {
        "rdma/shared_ib": "1"
    }
    assert pod["containers"][0]["securityContext"]["capabilities"]["add"] == ["IPC_LOCK"]
    assert pod["containers"][0]["command"][-1] == "h100-2"  # replaced by the server pod's address at run time
    assert "tolerations" not in pod  # the pool has no taints


def test_options_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIINFRA_VALIDATION_IMAGE", "registry.local/val:2")
    monkeypatch.setenv("AIINFRA_VALIDATION_KEEP", "1")
    monkeypatch.setenv("AIINFRA_VALIDATION_TIMEOUT", "90")
    opts = m.KubeOptions.from_env()
    assert (opts.image, opts.keep, opts.timeout_s) == ("registry.local/val:2", True, 90)
    monkeypatch.setenv("AIINFRA_VALIDATION_TIMEOUT", "soon")
    with pytest.raises(Exception, match="AIINFRA_VALIDATION_TIMEOUT"):
        m.KubeOptions.from_env()


# --------------------------------------------------------------------------- fake kubectl

FAKE = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys
    from pathlib import Path
    state = Path(os.environ["FAKE_KUBE_STATE"])
    objects = state / "objects"
    objects.mkdir(parents=True, exist_ok=True)
    argv = sys.argv[1:]
    with open(state / "argv.jsonl", "a") as log:
        log.write(json.dumps(argv) + "\\n")
    args = []
    i = 0
    while i < len(argv):
        if argv[i] in ("--kubeconfig", "--context", "-n", "-l", "-o", "-f"):
            args.append((argv[i], argv[i + 1])); i += 2
        else:
            args.append(argv[i]); i += 1
    flags = dict(a for a in args if isinstance(a, tuple))
    words = [a for a in args if isinstance(a, str)]

    def stored():
        return [json.loads(p.read_text()) for p in sorted(objects.glob("*.json"))]

    def matches(labels, selector):
        return all(labels.get(k) == v for k, v in (p.split("=", 1) for p in selector.split(",")))

    def fixture(job):
        labels = job["metadata"]["labels"]
        check, node = labels["aiinfra/check"], labels["aiinfra/node"]
        if check == "snapshot":
            return Path(os.environ["FAKE_SNAPSHOTS"]) / f"{{node}}.txt"
        base = Path(os.environ["FAKE_FIXTURES"])
        sets = json.loads(os.environ["FAKE_SETS"])
        name = {{"gpu_burn": "gpu_burn.log", "dcgm": "dcgm_diag.json", "nccl": "nccl_all_reduce.log",
                 "rdma": "ib_write_bw_mlx5_0.log"}}[check.split(".")[0]]
        return base / "nodes" / sets[node] / name

    verb = words[0]
    if verb == "apply":
        from ruamel.yaml import YAML
        docs = list(YAML(typ="safe").load_all(sys.stdin.read()))
        if os.environ.get("FAKE_NO_MPI") and any(d["kind"] == "MPIJob" for d in docs):
            print('error: no matches for kind "MPIJob" in version "kubeflow.org/v2beta1"', file=sys.stderr)
            sys.exit(1)
        for doc in docs:
            (objects / f"{{doc['kind']}}__{{doc['metadata']['name']}}.json").write_text(json.dumps(doc))
            print(f"{{doc['kind'].lower()}}/{{doc['metadata']['name']}} created")
    elif verb == "get" and words[1] == "nodes":
        print(os.environ["FAKE_NODES"])
    elif verb == "get" and words[1] == "pods":
        items = []
        for n, doc in enumerate(d for d in stored() if d["kind"] == "Job"):
            labels = dict(doc["spec"]["template"]["metadata"]["labels"])
            labels["job-name"] = doc["metadata"]["name"]
            if matches(labels, flags["-l"]):
                dead = os.environ.get("FAKE_SERVER_DIES", "@") in doc["metadata"]["name"]
                status = {{"phase": "Failed"}} if dead else {{"phase": "Running", "podIP": f"10.0.0.{{n}}"}}
                items.append({{"metadata": {{"labels": labels}}, "status": status}})
        print(json.dumps({{"items": items}}))
    elif verb == "get":
        kinds = {{"jobs.batch": "Job", "mpijobs.kubeflow.org": "MPIJob"}}
        wanted = {{kinds[k] for k in words[1].split(",")}}
        items = []
        for doc in stored():
            if doc["kind"] not in wanted or not matches(doc["metadata"]["labels"], flags["-l"]):
                continue
            name = doc["metadata"]["name"]
            good = "Complete" if doc["kind"] == "Job" else "Succeeded"
            state = "Failed" if os.environ.get("FAKE_FAIL", "@") in name else good
            hang = os.environ.get("FAKE_HANG", "@") in name
            conditions = [] if hang else [{{"type": state, "status": "True"}}]
            items.append(dict(doc, status={{"conditions": conditions}}))
        print(json.dumps({{"items": items}}))
    elif verb == "logs":
        name = words[1].split("/", 1)[1]
        if os.environ.get("FAKE_NOLOG", "@") in name:
            print(f'error: pods for job "{{name}}" not found', file=sys.stderr); sys.exit(1)
        if os.environ.get("FAKE_MISSING"):
            print("aiinfra-missing-tool: " + os.environ["FAKE_MISSING"]); sys.exit(0)
        if name.endswith("-launcher"):
            sys.stdout.buffer.write(Path(os.environ["FAKE_CLUSTER_LOG"]).read_bytes())
        else:
            doc = json.loads((objects / f"Job__{{name}}.json").read_text())
            sys.stdout.buffer.write(fixture(doc).read_bytes())
    elif verb == "delete":
        print("deleted")
    else:
        print("unknown " + " ".join(argv), file=sys.stderr); sys.exit(1)
    """
)


@pytest.fixture
def fake_kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubectl"
    script.write_text(FAKE.format(python=sys.executable))
    script.chmod(0o755)
    state = tmp_path / "kube"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_KUBE_STATE", str(state))
    monkeypatch.setenv("FAKE_FIXTURES", str(b.FIXTURES))
    monkeypatch.setenv("FAKE_SETS", json.dumps({"gpu-0": "healthy-h100x8", "gpu-1": "faulty-gpu-h100x8"}))
    monkeypatch.setenv(
        "FAKE_CLUSTER_LOG", str(b.FIXTURES / "cluster" / "healthy-ib-h100x16" / "nccl_all_reduce.log")
    )
    monkeypatch.setenv("AIINFRA_VALIDATION_POLL", "0")
    snaps = tmp_path / "snapshots"
    snaps.mkdir()
    (snaps / "gpu-0.txt").write_text(snapshot_text())
    (snaps / "gpu-1.txt").write_text(snapshot_text(rate=200))
    monkeypatch.setenv("FAKE_SNAPSHOTS", str(snaps))
    return state


def _k8s_plan() -> ClusterPlan:
    pool = b.pool("gpu", 2, gpu_plan=b.gpu(), fabric_plan=b.fabric())
    plan = b.plan([pool], b.gpu_checks("gpu", multi=340.0), provider="kubernetes", scheduler="kubernetes")
    provider = Provider(type="kubernetes", kubeconfig="~/kube/cfg", context="gpu-cluster")
    return plan.model_copy(update={"provider": provider})


def _calls(state: Path) -> list[list[str]]:
    return [json.loads(line) for line in (state / "argv.jsonl").read_text().splitlines()]


def test_run_writes_the_results_layout_and_the_judge_reads_it(fake_kubectl: Path, tmp_path: Path) -> None:
    plan = _k8s_plan()
    out = tmp_path / "results"
    collect_results(plan, out, b.quiet_console())
    for rel in ("gpu_burn.log", "dcgm_diag.json", "nccl_all_reduce.log", "ib_write_bw_mlx5_0.log"):
        assert (out / "gpu-0" / rel).is_file() and (out / "gpu-1" / rel).is_file(), rel
    assert (out / "_cluster" / "nccl_all_reduce.log").is_file()
    fixture_burn = b.FIXTURES / "nodes" / "healthy-h100x8" / "gpu_burn.log"
    assert (out / "gpu-0" / "gpu_burn.log").read_bytes() == fixture_burn.read_bytes()
    verdict = {c.id: c.status for c in judge(plan, out).checks}
    assert verdict["gpu_burn:gpu:gpu-0"] == "pass" and verdict["gpu_burn:gpu:gpu-1"] == "fail"  # FAULTY GPU
    assert verdict["nccl:gpu:all_reduce:pool:_cluster"] == "pass"
    assert verdict["dcgm:gpu:gpu-0"] == "pass" and verdict["rdma:gpu:gpu-1:mlx5_0"] == "pass"
    calls = _calls(fake_kubectl)
    home = str(Path("~/kube/cfg").expanduser())
    assert all(c[:4] == ["--kubeconfig", home, "--context", "gpu-cluster"] for c in calls)
    verbs = [c[4] for c in calls]
    assert verbs[0] == "apply" and verbs[-1] == "delete"
    # 3 node checks x 2 nodes, one perftest pair, one MPIJob, a snapshot per node
    assert verbs.count("logs") == 6 + 2 + 1 + 2
    deletes = [c[5] for c in calls if c[4] == "delete"]
    assert deletes == ["jobs.batch", "mpijobs.kubeflow.org"]
    assert all(any(a.startswith("aiinfra/run=") for a in c) for c in calls if c[4] == "delete")
    objects = {p.name.split("__")[0] for p in (fake_kubectl / "objects").iterdir()}
    assert objects == {"Namespace", "Job", "MPIJob"}
    client = next((fake_kubectl / "objects").glob("Job__*rdma-client*.json"))
    command = json.loads(client.read_text())["spec"]["template"]["spec"]["containers"][0]["command"]
    assert re.match(r"^10\.0\.0\.\d+$", command[-1])  # the server pod's address, not the plan's host name
    assert ("logs" in verbs) and any(c[4] == "logs" and c[5].endswith("-launcher") for c in calls)


def test_failed_and_logless_jobs_leave_what_exists(
    fake_kubectl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_FAIL", "gpu-0-gpu-burn")
    monkeypatch.setenv("FAKE_NOLOG", "gpu-1-dcgm")
    monkeypatch.setenv("AIINFRA_VALIDATION_KEEP", "1")
    plan = _k8s_plan()
    out = tmp_path / "results"
    collect_results(plan, out, b.quiet_console())
    assert (out / "gpu-0" / "gpu_burn.log").is_file()  # a failed Job's log is kept for the judge
    assert not (out / "gpu-1" / "dcgm_diag.json").exists()
    verdict = {c.id: c for c in judge(plan, out).checks}
    assert verdict["dcgm:gpu:gpu-1"].status == "fail"
    assert verdict["dcgm:gpu:gpu-0"].status == "pass"
    assert all(c[4] != "delete" for c in _calls(fake_kubectl))  # keep: nothing deleted


def test_a_phase_that_times_out_still_collects_logs(
    fake_kubectl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_HANG", "gpu-1-nccl")
    monkeypatch.setenv("AIINFRA_VALIDATION_TIMEOUT", "0")
    out = tmp_path / "results"
    collect_results(_k8s_plan(), out, b.quiet_console())
    assert (out / "gpu-1" / "nccl_all_reduce.log").is_file()


def test_a_tool_missing_from_the_image_is_exit_2(
    fake_kubectl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_MISSING", "gpu_burn")
    with pytest.raises(
        MissingToolError, match=r"gpu_burn \(in the image aiinfra/gpu-validation:latest\)"
    ) as err:
        collect_results(_k8s_plan(), tmp_path / "results", b.quiet_console())
    assert err.value.exit_code == 2
    assert _calls(fake_kubectl)[-1][4] == "delete"  # cleaned up even so


def test_missing_kubectl_is_exit_2_with_an_install_hint(tmp_path: Path) -> None:
    if not EXISTING.exists():
        pytest.skip(f"{EXISTING.name} not present")
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "aiinfra_iac.cli", "validate", str(EXISTING)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert (
        "kubectl is not installed: install kubectl (https://kubernetes.io/docs/tasks/tools/)" in done.stderr
    )
    assert "Traceback" not in done.stderr


def test_node_addresses_are_mapped_to_kubernetes_node_names(
    fake_kubectl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes = [
        {
            "metadata": {"name": "ip-10-1-0-5"},
            "status": {"addresses": [{"type": "InternalIP", "address": "10.1.0.5"}]},
        },
        {"metadata": {"name": "gpu-node-b"}, "status": {"addresses": []}},
    ]
    monkeypatch.setenv("FAKE_NODES", json.dumps({"items": nodes}))
    monkeypatch.setenv("AIINFRA_VALIDATION_KEEP", "1")
    collect_results(
        _k8s_plan(),
        tmp_path / "results",
        b.quiet_console(),
        deployment=Deployment(
            cluster="k",
            stack="k",
            provider="kubernetes",
            nodes=(
                NodeRecord(name="gpu-0", pool="gpu", access=Ssh(host="10.1.0.5"), private_address="10.1.0.5"),
                NodeRecord(name="gpu-1", pool="gpu", access=Ssh(host="x"), private_address="gpu-node-b"),
            ),
        ),
    )
    selectors = {}
    for path in (fake_kubectl / "objects").glob("Job__*gpu-burn*.json"):
        doc = json.loads(path.read_text())
        node = doc["metadata"]["labels"]["aiinfra/node"]
        selectors[node] = doc["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/hostname"]
    assert selectors == {"gpu-0": "ip-10-1-0-5", "gpu-1": "gpu-node-b"}
    assert (tmp_path / "results" / "gpu-0" / "gpu_burn.log").is_file()  # files keep the plan's node names
    namespace = json.loads(next((fake_kubectl / "objects").glob("Namespace__*.json")).read_text())
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_a_cluster_without_the_mpi_operator_is_exit_2(
    fake_kubectl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NO_MPI", "1")
    with pytest.raises(MissingToolError, match="MPI Operator") as err:
        collect_results(_k8s_plan(), tmp_path / "results", b.quiet_console())
    assert "mpi-operator.yaml" in str(err.value) and err.value.exit_code == 2
    assert (tmp_path / "results" / "gpu-0" / "gpu_burn.log").is_file()  # the earlier phases were collected


def test_a_perftest_server_that_dies_gets_no_client(
    fake_kubectl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_SERVER_DIES", "rdma-server")
    monkeypatch.setenv("AIINFRA_VALIDATION_TIMEOUT", "30")  # returns as soon as the server pod has ended
    plan = _k8s_plan()
    out = tmp_path / "results"
    collect_results(plan, out, b.quiet_console())
    assert (out / "gpu-0" / "ib_write_bw_mlx5_0.log").is_file() and not (
        out / "gpu-1" / "ib_write_bw_mlx5_0.log"
    ).exists()
    assert not list((fake_kubectl / "objects").glob("Job__*rdma-client*.json"))
    verdict = {c.id: c.status for c in judge(plan, out).checks}
    assert verdict["rdma:gpu:gpu-1:mlx5_0"] == "fail"


def test_each_node_records_a_snapshot_judged_against_the_plan(fake_kubectl: Path, tmp_path: Path) -> None:
    plan = _k8s_plan()
    jobs = plan_jobs(plan, m.KubeOptions(), "run1")
    snaps = [j for j in jobs if j.check_id == "snapshot"]
    assert sorted(j.node for j in snaps) == ["gpu-0", "gpu-1"]
    for job in snaps:
        pod = job.manifest["spec"]["template"]["spec"]
        assert job.phase == "node" and job.output == f"{job.node}/{snapshot.FILE}"
        assert pod["hostNetwork"] is True and pod["nodeSelector"] == {m.HOSTNAME_LABEL: job.node}
        box = _container(job)
        assert box["command"][-3:] == list(snapshot.step_argv())
        assert box["resources"]["limits"] == {m.GPU_RESOURCE: "8"}  # nvidia-smi sees every GPU
    out = tmp_path / "results"
    collect_results(plan, out, b.quiet_console())
    assert (out / "gpu-0" / snapshot.FILE).read_text() == snapshot_text()
    verdict = {c.node: c for c in judge(plan, out).checks if c.kind == "snapshot"}
    assert verdict["gpu-0"].status == "pass", verdict["gpu-0"].detail
    assert verdict["gpu-1"].status == "fail"
    assert verdict["gpu-1"].detail == "drift from the plan: mlx5_0 links at 200G on a 400G fabric"
