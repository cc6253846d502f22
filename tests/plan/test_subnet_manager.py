"""One subnet manager per InfiniBand fabric: the blueprint names the opensm master (and standby)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra_iac.configure.inventory import role_vars_for_pool
from aiinfra_iac.errors import BlueprintError
from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.plan.model import ClusterPlan

BLUEPRINT = """apiVersion: aiinfra/v1
kind: Cluster
metadata: {{name: sm}}
spec:
  provider: {{type: onprem}}
  nodePools:
    - {{name: head, role: controller, hosts: [head-01]}}
    - {{name: gpu, gpu: {{model: H100-SXM, count: 8}}, hosts: [g01, g02, g03, g04], fabric: ib}}
  fabrics:
    - name: ib
      type: infiniband
      hcas: [mlx5_0, mlx5_3, mlx5_4, mlx5_5, mlx5_6, mlx5_9, mlx5_10, mlx5_11]
      infiniband: {infiniband}
  scheduler: {{type: slurm}}
"""


def _plan(tmp_path: Path, infiniband: str) -> ClusterPlan:
    path = tmp_path / "sm.yaml"
    path.write_text(BLUEPRINT.format(infiniband=infiniband))
    return plan_from_file(path)[0]


def _opensm(plan: ClusterPlan) -> object:
    return role_vars_for_pool(plan, plan.pool("gpu"))["rdma_infiniband_opensm_hosts"]


def test_named_master_and_standby_reach_the_role_and_the_plan(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "{subnetManager: host, subnetManagerHosts: [g03, g04]}")
    assert _opensm(plan) == ["g03", "g04"]
    assert plan.pool("gpu").fabric is not None and plan.pool("gpu").fabric.subnet_manager_hosts == (
        "g03",
        "g04",
    )


def test_default_is_the_first_two_nodes_of_the_fabric(tmp_path: Path) -> None:
    assert _opensm(_plan(tmp_path, "{subnetManager: host}")) == ["g01", "g02"]


@pytest.mark.parametrize(
    ("infiniband", "words"),
    [
        ("{subnetManager: switch, subnetManagerHosts: [g01]}", "only subnetManager: host does"),
        (
            "{subnetManager: host, subnetManagerHosts: [head-01]}",
            "'head-01' is not a node of a pool on fabric 'ib'",
        ),
        ("{subnetManager: host, subnetManagerHosts: [g01, g01]}", "two different nodes"),
    ],
)
def test_hosts_that_cannot_run_the_sm_are_ai148(tmp_path: Path, infiniband: str, words: str) -> None:
    with pytest.raises(BlueprintError) as caught:
        _plan(tmp_path, infiniband)
    found = [p for p in caught.value.problems if p.id == "AI148"]
    assert found and words in found[0].message and found[0].line is not None, caught.value.problems


def test_three_sm_hosts_are_refused_by_the_schema(tmp_path: Path) -> None:
    with pytest.raises(BlueprintError) as caught:
        _plan(tmp_path, "{subnetManager: host, subnetManagerHosts: [g01, g02, g03]}")
    assert any("subnetManagerHosts" in p.loc for p in caught.value.problems)
