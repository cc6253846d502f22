"""The command lines each GPU check runs, per node or per pool, and the file each one writes.

gpu-burn: ``gpu_burn -tc <seconds>`` (https://github.com/wilicc/gpu-burn README: ``-tc`` tries
Tensor Cores, the last argument is the time in seconds). DCGM: ``dcgmi diag -r <level> -j``
(https://docs.nvidia.com/datacenter/dcgm/latest/user-guide/dcgm-diagnostics.html). nccl-tests:
``<collective>_perf -b <min> -e <max> -f 2 -g <gpus>`` with ``NCCL_DEBUG=INFO`` so the transport
lines show (https://github.com/NVIDIA/nccl-tests README); across nodes one process per GPU
(``-g 1``) under ``srun`` on Slurm or ``mpirun`` elsewhere, with the pool's NCCL environment.
perftest: ``ib_write_bw -d <dev> -F --report_gbits -a`` server/client pairs per rail
(https://github.com/linux-rdma/perftest README).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan, ValidationCheckPlan
from aiinfra_iac.validate import layout

if TYPE_CHECKING:
    from aiinfra_iac.validate.kinds.params import NcclParams

NCCL_TESTS_HINT = (
    "build nccl-tests (git clone https://github.com/NVIDIA/nccl-tests && make MPI=1) and put its build/ "
    "directory on PATH"
)
TOOL_HINTS: dict[str, str] = {
    "gpu_burn": "build gpu-burn (https://github.com/wilicc/gpu-burn: make) and put gpu_burn on PATH",
    "dcgmi": "install the datacenter-gpu-manager package and start nv-hostengine",
    "ib_write_bw": "install the perftest package (apt-get install perftest / dnf install perftest)",
    "mpirun": "install Open MPI (apt-get install openmpi-bin) or run under Slurm",
    "srun": "install the Slurm client commands on the node that launches the pool test",
}
PERFTEST_PORT = 18515


@dataclass(frozen=True)
class Step:
    """One command to run, on ``host`` (a node name) or on the pool's launcher for ``scope: pool``."""

    check_id: str
    host: str
    argv: tuple[str, ...]
    output: str
    """Path of the output file relative to the results directory (stdout and stderr both go there)."""
    env: dict[str, str] = field(default_factory=dict)
    tool: str = ""
    """The program that must exist on the host (for the missing-tool preflight)."""
    background: bool = False
    """perftest servers: start, then the paired client runs."""
    split_to: str = ""
    """Slurm job steps: the per-node file name the labelled output is split into (see :mod:`.slurm`)."""

    def shell(self) -> str:
        """The step as one POSIX shell line, environment first."""
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        return (env + " " if env else "") + shlex.join(self.argv)


def tool_hint(tool: str) -> str:
    if tool.endswith("_perf"):
        return NCCL_TESTS_HINT
    return TOOL_HINTS.get(tool, f"install {tool}")


def nccl_env(pool: PoolPlan) -> dict[str, str]:
    return {**pool.nccl_env, "NCCL_DEBUG": "INFO"}


def nccl_args(params: NcclParams, gpus: int) -> tuple[str, ...]:
    """``<collective>_perf -b <min> -e <max> -f 2 -g <gpus>`` from the check's typed parameters."""
    return (
        f"{params.collective}_perf",
        "-b",
        params.min_bytes_text,
        "-e",
        params.max_bytes_text,
        "-f",
        "2",
        "-g",
        str(gpus),
    )


def node_steps(plan: ClusterPlan, check: ValidationCheckPlan, pool: PoolPlan, node: str) -> list[Step]:
    """Steps of a ``scope: node`` check on one node, from its kind (rdma: see :func:`rdma_steps`)."""
    from aiinfra_iac.validate.kinds import kind_of

    if check.kind == "rdma":
        raise ValueError(f"{check.kind} checks run in pairs: use rdma_steps")
    return kind_of(check.kind).steps(plan, check, pool, node)


def pool_step(plan: ClusterPlan, check: ValidationCheckPlan, pool: PoolPlan, hosts: tuple[str, ...]) -> Step:
    """The multi-node nccl-tests run of a ``scope: pool`` check, launched from the pool's first host."""
    gpus = pool.gpus_per_node
    env = nccl_env(pool)
    from aiinfra_iac.validate.kinds.params import nccl_params

    test = nccl_args(nccl_params(check, pool), 1)
    if plan.scheduler.type == "slurm":
        launcher: tuple[str, ...] = (
            "srun",
            f"--nodes={len(hosts)}",
            f"--ntasks-per-node={gpus}",
            f"--gpus-per-node={gpus}",
            f"--nodelist={','.join(hosts)}",
            "--mpi=pmix",
            # Not --export=ALL,K=V,…: srun splits that list at commas, so a value with a comma
            # (NCCL_IB_HCA=mlx5_0,mlx5_1) would be cut and could smuggle another variable in.
            # env(1) takes each K=V as its own argument.
            "--export=ALL",
            "env",
            *(f"{k}={v}" for k, v in sorted(env.items())),
        )
        run_env: dict[str, str] = {}
    else:
        launcher = (
            "mpirun",
            "-np",
            str(gpus * len(hosts)),
            "-H",
            ",".join(f"{h}:{gpus}" for h in hosts),
            "--bind-to",
            "numa",
            *(arg for k in sorted(env) for arg in ("-x", k)),
        )
        run_env = env
    out = f"{layout.cluster_rel(plan, check.pool)}/{layout.nccl_file(layout.collective_of(check))}"
    return Step(check.id, hosts[0], launcher + test, out, env=run_env, tool=launcher[0])


def rdma_steps(check: ValidationCheckPlan, pool: PoolPlan, hosts: tuple[str, ...]) -> list[Step]:
    """ib_write_bw per rail between node pairs (0↔1, 2↔3, …; an odd last node pairs with node 0 on
    another port; a single node runs in loopback). Both sides write the result table; the node that
    serves twice keeps its second table in ``<file>.extra``."""
    steps: list[Step] = []
    # (server, client, port shift, suffix of the client's file)
    pairs = [(hosts[i], hosts[i + 1], 0, "") for i in range(0, len(hosts) - 1, 2)]
    if len(hosts) % 2:
        pairs.append((hosts[-1], hosts[0], 1, ".extra" if len(hosts) > 1 else ".client"))
    rails = [rail.device for rail in pool.rails]
    gid = ("-x", str(check.params["gidIndex"])) if "gidIndex" in check.params else ()  # RoCE GID
    for device in layout.rdma_devices(check, pool):
        index = rails.index(device) if device in rails else 0  # one port pair per rail: rails run at once
        name = layout.rdma_file(device)
        for server, client, shift, suffix in pairs:
            port = str(PERFTEST_PORT + 2 * index + shift)
            base = ("ib_write_bw", "-d", device, "-F", "--report_gbits", "-a", "-p", port, *gid)
            steps.append(
                Step(check.id, server, base, f"{server}/{name}", tool="ib_write_bw", background=True)
            )
            steps.append(
                Step(check.id, client, (*base, server), f"{client}/{name}{suffix}", tool="ib_write_bw")
            )
    return steps


def all_steps(plan: ClusterPlan, nodes: dict[str, tuple[str, ...]]) -> list[Step]:
    """Every step of the plan's checks on ``nodes`` (pool name → node names).

    On Slurm with a controller, per-node tools run as one job step per check launched from the
    controller (:mod:`.slurm`), and so does the multi-node NCCL run; RDMA pairs run on the nodes."""
    from aiinfra_iac.validate.runners.slurm import as_job_step, controller

    launcher = controller(plan)
    steps: list[Step] = []
    for check in plan.validation:
        pool = plan.pool(check.pool)
        hosts = nodes.get(check.pool, pool.hosts)
        if not hosts:
            continue
        if check.scope == "pool":
            step = pool_step(plan, check, pool, hosts)
            steps.append(replace(step, host=launcher) if launcher else step)
        elif check.kind == "rdma":
            steps.extend(rdma_steps(check, pool, hosts))
        elif launcher is not None:
            first = node_steps(plan, check, pool, hosts[0])[0]
            file_name = first.output.split("/", 1)[1]
            steps.append(as_job_step(first, hosts, launcher, file_name))
        else:
            for node in hosts:
                steps.extend(node_steps(plan, check, pool, node))
    return steps
