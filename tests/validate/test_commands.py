"""The command lines the runners build for GPU nodes and pools."""

from __future__ import annotations

import shlex

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan
from aiinfra_iac.validate.runners.commands import all_steps, node_steps, pool_step, rdma_steps

from . import builders as b

H100 = b.gpu("H100", 8)


def _plan(scheduler: str = "slurm", count: int = 2) -> tuple[ClusterPlan, PoolPlan]:
    pool = b.pool("gpu", count, gpu_plan=H100, fabric_plan=b.fabric(), rails=2)
    return b.plan([pool], b.gpu_checks("gpu", multi=360.0), scheduler=scheduler), pool


def test_node_commands() -> None:
    plan, pool = _plan()
    burn, dcgm, nccl = (node_steps(plan, c, pool, "gpu-1")[0] for c in plan.validation[:3])
    assert burn.argv == ("gpu_burn", "-tc", "60") and burn.output == "gpu-1/gpu_burn.log"
    assert dcgm.argv == ("dcgmi", "diag", "-r", "3", "-j") and dcgm.output == "gpu-1/dcgm_diag.json"
    assert nccl.argv == ("all_reduce_perf", "-b", "8", "-e", "8G", "-f", "2", "-g", "8")
    assert nccl.output == "gpu-1/nccl_all_reduce.log"
    assert nccl.env["NCCL_DEBUG"] == "INFO" and nccl.env["NCCL_IB_HCA"] == "mlx5_0"
    assert nccl.shell().startswith("NCCL_DEBUG=INFO NCCL_IB_HCA=mlx5_0 all_reduce_perf -b 8")


def test_multi_node_under_slurm_uses_srun_with_the_nccl_env() -> None:
    plan, pool = _plan("slurm")
    step = pool_step(plan, plan.validation[-1], pool, pool.hosts)
    argv = list(step.argv)
    assert argv[0] == "srun" and "--nodes=2" in argv and "--ntasks-per-node=8" in argv
    assert "--nodelist=gpu-0,gpu-1" in argv
    assert "--export=ALL" in argv  # the NCCL env follows as env(1) arguments, one per variable
    env = argv[argv.index("env") + 1 : argv.index("all_reduce_perf")]
    assert "NCCL_DEBUG=INFO" in env and "NCCL_IB_HCA=mlx5_0" in env
    assert argv[-9:] == ["all_reduce_perf", "-b", "8", "-e", "8G", "-f", "2", "-g", "1"]
    assert step.output == "_cluster/nccl_all_reduce.log" and step.host == "gpu-0"


def test_multi_node_without_scheduler_uses_mpirun() -> None:
    plan, pool = _plan("kubernetes")
    step = pool_step(plan, plan.validation[-1], pool, pool.hosts)
    argv = list(step.argv)
    assert argv[:5] == ["mpirun", "-np", "16", "-H", "gpu-0:8,gpu-1:8"]
    assert argv[argv.index("NCCL_DEBUG") - 1 : argv.index("NCCL_DEBUG") + 1] == ["-x", "NCCL_DEBUG"]
    assert step.env["NCCL_IB_HCA"] == "mlx5_0"  # exported by -x from the launcher's environment
    assert shlex.split(step.shell())[0] == "NCCL_DEBUG=INFO"


def test_rdma_pairs_per_rail() -> None:
    plan, pool = _plan(count=3)
    steps = rdma_steps(plan.validation[3], pool, pool.hosts)
    # 2 rails x (pair 0-1 + odd node 2 paired with node 0) x (server + client)
    assert len(steps) == 8
    servers = [s for s in steps if s.background]
    clients = [s for s in steps if not s.background]
    assert {s.host for s in servers} == {"gpu-0", "gpu-2"}
    assert all(c.argv[-1] in {"gpu-0", "gpu-2"} for c in clients)
    ports = {(s.argv[s.argv.index("-d") + 1], s.argv[s.argv.index("-p") + 1]) for s in servers}
    assert len({p for _, p in ports}) == len(ports)  # every rail and pair on its own port
    outputs = sorted(s.output for s in steps)
    assert "gpu-0/ib_write_bw_mlx5_0.log.extra" in outputs and "gpu-1/ib_write_bw_mlx5_1.log" in outputs


def test_single_node_rdma_runs_in_loopback() -> None:
    plan, pool = _plan(count=1)
    steps = rdma_steps(plan.validation[3], pool, pool.hosts)
    assert {s.host for s in steps} == {"gpu-0"}
    assert any(s.argv[-1] == "gpu-0" for s in steps)


def test_all_steps_cover_every_check() -> None:
    plan, pool = _plan(count=2)
    steps = all_steps(plan, {"gpu": pool.hosts})
    assert {s.check_id for s in steps} == {c.id for c in plan.validation}
    assert sum(1 for s in steps if s.tool == "gpu_burn") == 2
