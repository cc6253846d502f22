"""Names, paths and identifiers that reach config files and command lines are refused by ``check``
with file and line when they could inject; command lines are argument lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra_iac.blueprint import load_blueprint, run_checks
from aiinfra_iac.errors import BlueprintError
from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.validate.runners.commands import all_steps

BASE = """apiVersion: aiinfra/v1
kind: Cluster
metadata: {name: demo}
spec:
  provider: {type: onprem, sshUser: ansible}
  nodePools:
    - name: head
      role: controller
      hosts: [head-01]
    - name: gpu
      gpu: {model: H100-SXM, count: 8}
      hosts: [gpu-01, gpu-02]
      fabric: ib
  fabrics: [{name: ib, type: infiniband}]
  storage: [{name: home, type: nfs, server: nfs-01, export: /export/home, mountPath: /home}]
  scheduler: {type: slurm, slurm: {partitions: {batch: [gpu]}}}
  tuning: {nccl: {env: {NCCL_IB_HCA: "=mlx5_0,mlx5_1"}}}
"""


def refused(tmp_path: Path, old: str, new: str) -> list[tuple[str, str, int | None]]:
    assert old in BASE, old
    path = tmp_path / "bp.yaml"
    path.write_text(BASE.replace(old, new))
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    return [(p.id, p.loc, p.line) for p in caught.value.problems]


def test_the_base_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "bp.yaml"
    path.write_text(BASE)
    assert not [p for p in run_checks(load_blueprint(path)) if p.level == "error"]


@pytest.mark.parametrize(
    ("old", "new", "loc", "line"),
    [
        ("batch: [gpu]", '"batch\\nNodeName=evil": [gpu]', "spec.scheduler.slurm.partitions", 16),
        ("sshUser: ansible", "sshUser: 'root -oProxyCommand=x'", "spec.provider.sshUser", 5),
        ("mountPath: /home", "mountPath: '/home defaults 0 0\\n/dev/sda /'", "spec.storage[0].mountPath", 15),
        ("export: /export/home", "export: '/x /y'", "spec.storage[0].export", 15),
        ("server: nfs-01", "server: 'nfs-01:/x'", "spec.storage[0].server", 15),
        ("mountPath: /home", "mountPath: /home, mountOptions: 'rw hard'", "spec.storage[0].mountOptions", 15),
        (
            'NCCL_IB_HCA: "=mlx5_0,mlx5_1"',
            'NCCL_IB_HCA: "mlx5_0\\nNCCL_X=1"',
            "spec.tuning.nccl.env.NCCL_IB_HCA",
            17,
        ),
        ('NCCL_IB_HCA: "=mlx5_0,mlx5_1"', '"NCCL_X=1 LD_PRELOAD": "1"', "spec.tuning.nccl.env", 17),
        ("metadata: {name: demo}", 'metadata: {name: demo, team: "a\\x1b[2Jb"}', "metadata.team", 3),
        ("metadata: {name: demo}", "metadata: {name: demo, labels: {a: 'b c'}}", "metadata.labels.a", 3),
    ],
)
def test_injection_shapes_are_refused_with_file_and_line(
    tmp_path: Path, old: str, new: str, loc: str, line: int
) -> None:
    problems = refused(tmp_path, old, new)
    assert any(
        pid == "AI004" and p_loc.startswith(loc) and p_line == line for pid, p_loc, p_line in problems
    ), problems


def test_nccl_values_reach_srun_as_single_arguments(tmp_path: Path) -> None:
    path = tmp_path / "bp.yaml"
    path.write_text(
        BASE.replace('NCCL_IB_HCA: "=mlx5_0,mlx5_1"', 'NCCL_ALGO: "Ring,LD_PRELOAD=/tmp/evil.so"')
    )
    plan, _ = plan_from_file(path)
    pool_steps = [s for s in all_steps(plan, {p.name: p.hosts for p in plan.pools}) if s.argv[0] == "srun"]
    nccl = next(s for s in pool_steps if "--mpi=pmix" in s.argv)
    argv = list(nccl.argv)
    assert "--export=ALL" in argv and not any(a.startswith("--export=ALL,") for a in argv)
    env = argv[argv.index("env") + 1 : argv.index("all_reduce_perf")]
    assert "NCCL_ALGO=Ring,LD_PRELOAD=/tmp/evil.so" in env
    assert not any(a.startswith("LD_PRELOAD") for a in argv)
