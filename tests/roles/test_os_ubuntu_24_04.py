"""OS matrix: ubuntu-24.04 (see os_matrix.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import Chroot
from os_matrix import converge_matrix, mentions, node
from slurmctld_run import show_nodes_and_topology, topology_lines

from aiinfra_iac.blueprint.loader import load_blueprint
from aiinfra_iac.blueprint.models import FabricTopology
from aiinfra_iac.configure.inventory import role_vars_for_pool
from aiinfra_iac.plan import resolve

pytestmark = [
    pytest.mark.slow,
    pytest.mark.roles,
    pytest.mark.full_e2e,
]
IMAGE = "ubuntu-24.04"
BLUEPRINTS = Path(__file__).resolve().parents[2] / "blueprints"
CONTROLLER = "aiinfra-ctl"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chroot]:
    yield from node(IMAGE, tmp_path_factory)


def test_converge_rerun_and_check_mode(box: Chroot) -> None:
    runs = converge_matrix(box, IMAGE)
    assert runs["rerun"].changed == 0
    # The CUDA repository of this release (ubuntu2404), previewed in check mode.
    assert mentions(runs["driver"], "/ubuntu2404/")


def _block_plan_vars() -> dict[str, Any]:
    """The p4d Slurm blueprint's controller vars with its EFA fabric cut into blocks of 4 nodes."""
    bp = load_blueprint(BLUEPRINTS / "a100-p4d-slurm-training.yaml").blueprint
    topology = FabricTopology(type="block", group_size=4)
    fabrics = [f.model_copy(update={"topology": topology}) for f in bp.spec.fabrics]
    plan = resolve(bp.model_copy(update={"spec": bp.spec.model_copy(update={"fabrics": fabrics})}))
    head = next(p for p in plan.pools if p.role == "controller")
    variables = {k: v for k, v in role_vars_for_pool(plan, head).items() if k.startswith("slurm_")}
    variables.update({"slurm_controller_hosts": [CONTROLLER], "slurm_node_role": "controller"})
    return variables


def test_block_topology_on_a_real_slurmctld(box: Chroot) -> None:
    """topology/block (Slurm >= 23.11; Ubuntu 24.04 ships 23.11): the plan's blocks reach a slurmctld
    started on the rendered configs, which reports them (Debian 12's 22.05 refuses the converge)."""
    variables = _block_plan_vars()
    assert variables["slurm_topology"] == "block"
    box.mount_proc()
    box.converge_ok("slurm", variables, label=f"{IMAGE} slurm with topology/block")
    assert "TopologyPlugin=topology/block" in box.read_file("/etc/slurm/slurm.conf")
    hosts = [n for block in variables["slurm_topology_blocks"] for n in _expand(block["nodes"])]
    output = show_nodes_and_topology(box, CONTROLLER, hosts)
    blocks = {f["BlockName"]: f for f in topology_lines(output) if "BlockName" in f}
    assert blocks["efa-block1"]["Nodes"] == "train-[0-3]", output
    assert blocks["efa-block2"]["Nodes"] == "train-[4-7]", output


def _expand(hostlist: str) -> list[str]:
    """``train-[0-3]`` -> train-0 … train-3 (the one form the plan writes)."""
    prefix, _, rest = hostlist.partition("[")
    if not rest:
        return [hostlist]
    first, last = rest.rstrip("]").split("-")
    return [f"{prefix}{i}" for i in range(int(first), int(last) + 1)]
