"""Fabric topology in the plan: leaf switches or blocks from the blueprint, or one leaf per pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra_iac.blueprint.loader import load_blueprint
from aiinfra_iac.configure.inventory import role_vars_for_pool
from aiinfra_iac.errors import BlueprintError
from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.plan.model import ClusterPlan

ONPREM = """apiVersion: aiinfra/v1
kind: Cluster
metadata: {{name: topo}}
spec:
  provider: {{type: onprem}}
  nodePools:
    - {{name: head, role: controller, hosts: [head-01]}}
    - name: gpu
      gpu: {{model: H100-SXM, count: 8}}
      hosts: [g01, g02, g03, g04, g05]
      fabric: ib
  fabrics:
    - name: ib
      type: infiniband
      hcas: [mlx5_0, mlx5_3, mlx5_4, mlx5_5, mlx5_6, mlx5_9, mlx5_10, mlx5_11]
{topology}
  scheduler: {{type: slurm}}
"""


def _plan(tmp_path: Path, topology: str) -> ClusterPlan:
    path = tmp_path / "topo.yaml"
    path.write_text(ONPREM.format(topology=topology))
    return plan_from_file(path)[0]


def _slurm(plan: ClusterPlan) -> dict[str, object]:
    got = role_vars_for_pool(plan, plan.pool("head"))
    return {k: v for k, v in got.items() if k.startswith("slurm_topology")}


def test_default_is_one_leaf_per_pool(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "")
    assert [(t.fabric, t.type, t.source) for t in plan.topology] == [("ib", "tree", "pools")]
    assert _slurm(plan) == {
        "slurm_topology": "tree",
        "slurm_topology_switches": [
            {"name": "ib-gpu", "nodes": "g[01-05]"},
            {"name": "ib", "switches": "ib-gpu"},
        ],
        "slurm_topology_blocks": [],
    }


def test_group_size_cuts_the_fabric_into_leaf_switches(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "      topology: {groupSize: 2}")
    groups = [(g.name, g.hosts) for g in plan.topology[0].groups]
    assert groups == [("ib-leaf1", ("g01", "g02")), ("ib-leaf2", ("g03", "g04")), ("ib-leaf3", ("g05",))]
    switches = _slurm(plan)["slurm_topology_switches"]
    assert switches == [
        {"name": "ib-leaf1", "nodes": "g[01-02]"},
        {"name": "ib-leaf2", "nodes": "g[03-04]"},
        {"name": "ib-leaf3", "nodes": "g05"},
        {"name": "ib", "switches": "ib-leaf1,ib-leaf2,ib-leaf3"},
    ]


def test_named_blocks_become_topology_block(tmp_path: Path) -> None:
    topology = (
        "      topology:\n        type: block\n        groups:\n"
        "          - {name: nvl1, hosts: [g01, g02, g03]}\n          - {name: nvl2, hosts: [g04, g05]}"
    )
    assert _slurm(_plan(tmp_path, topology)) == {
        "slurm_topology": "block",
        "slurm_topology_switches": [],
        "slurm_topology_blocks": [
            {"name": "nvl1", "nodes": "g[01-03]"},
            {"name": "nvl2", "nodes": "g[04-05]"},
        ],
    }


@pytest.mark.parametrize(
    ("topology", "words"),
    [
        ("      topology: {groupSize: 2, groups: [{name: a, hosts: [g01]}]}", "give either groupSize"),
        ("      topology: {type: block}", "give either groupSize"),
        (
            "      topology: {groups: [{name: a, hosts: [g01, g02, g03, g04]}]}",
            "g05 of fabric 'ib' is in no group",
        ),
        (
            "      topology: {groups: [{name: a, hosts: [g01, g02, g03]}, "
            "{name: b, hosts: [g03, g04, g05]}]}",
            "'g03' is already under 'a'",
        ),
    ],
)
def test_groups_that_do_not_match_the_nodes_are_ai146(tmp_path: Path, topology: str, words: str) -> None:
    with pytest.raises(BlueprintError) as caught:
        _plan(tmp_path, topology)
    found = [p for p in caught.value.problems if p.id == "AI146"]
    assert found and words in found[0].message and found[0].line is not None, caught.value.problems


def test_shipped_blueprints_keep_the_default_topology() -> None:
    blueprints = Path(__file__).resolve().parents[2] / "blueprints"
    loaded = load_blueprint(blueprints / "h100-onprem-ib-slurm.yaml").blueprint
    assert all(f.topology is None for f in loaded.spec.fabrics)
