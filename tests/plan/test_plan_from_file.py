"""plan_from_file(): load + check + resolve, with file:line on resolve problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra_iac.errors import BlueprintError
from aiinfra_iac.plan import plan_from_file

REPO = Path(__file__).resolve().parents[2]
ONPREM_IB = """\
apiVersion: aiinfra/v1
kind: Cluster
metadata: {name: ib-test}
spec:
  provider: {type: onprem, sshUser: ops}
  nodePools:
    - name: gpu
      gpu: {model: H100-SXM5-80GB, count: 8}
      hosts: [gpu-001, gpu-002]
      fabric: ib
    - {name: head, role: controller, hosts: [head-001]}
  fabrics:
    - name: ib
      type: infiniband
      hcas: [mlx5_0, mlx5_1]
      railsPerNode: 4
  scheduler: {type: slurm}
"""


@pytest.mark.parametrize("path", sorted((REPO / "blueprints").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_blueprint_resolves(path: Path) -> None:
    plan, warnings = plan_from_file(path)
    assert plan.source_files[0] == str(path) or plan.source_files[0].endswith(path.name)
    assert plan.pools and plan.summary.nodes == sum(p.count for p in plan.pools)
    assert all(w.level == "warning" for w in warnings)
    ids = [check.id for check in plan.validation]
    assert len(ids) == len(set(ids))


def test_plan_from_file_resolves_a_written_blueprint(tmp_path: Path) -> None:
    path = tmp_path / "ib.yaml"
    path.write_text(ONPREM_IB.replace("      railsPerNode: 4\n", ""))
    plan, _ = plan_from_file(path)
    pool = plan.pool("gpu")
    assert pool.hosts == ("gpu-001", "gpu-002")
    assert [r.gpus for r in pool.rails] == [(0, 1, 2, 3), (4, 5, 6, 7)]


def test_inconsistent_fabric_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "ib.yaml"
    path.write_text(ONPREM_IB)
    with pytest.raises(BlueprintError) as caught:
        plan_from_file(path)
    problem = next(p for p in caught.value.problems if p.loc == "spec.fabrics[0].hcas")
    assert problem.id == "AI139"
    assert problem.file is not None and problem.file.endswith("ib.yaml")
    assert problem.line == 15
