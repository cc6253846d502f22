"""A real slurmctld on the slurm role's rendered configuration reports what the plan says.

The plans come from the project's blueprints: the on-prem InfiniBand H100 pool (no catalog layout: the
node line comes from the facts gathered on the node, here the chroot's host CPU) and the p4d Slurm
blueprint with a p5.48xlarge pool added (catalog layouts, 2 x 24 x 2 and 2 x 48 x 2). The role converges
a controller into a bookworm chroot; slurmctld and munged then start inside it, in private network and
UTS and PID namespaces (no port or host name shared with other tests; the daemons end with the
namespace), and ``scontrol show nodes`` must report
the sockets, cores, threads, CPUs, memory and GPUs of every node line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from harness import Chroot
from slurmctld_run import TOPOLOGY_MARK, show_nodes_and_topology, topology_lines
from slurmctld_run import fields as parse_fields

from aiinfra_iac.blueprint.loader import load_blueprint
from aiinfra_iac.blueprint.models import FabricTopology, GpuSpec
from aiinfra_iac.configure.inventory import role_vars_for_pool
from aiinfra_iac.plan import resolve
from aiinfra_iac.plan.model import ClusterPlan

pytestmark = [pytest.mark.slow, pytest.mark.roles]

BLUEPRINTS = Path(__file__).resolve().parents[2] / "blueprints"
CONTROLLER = "aiinfra-ctl"


def _p4d_p5_plan() -> ClusterPlan:
    bp = load_blueprint(BLUEPRINTS / "a100-p4d-slurm-training.yaml").blueprint
    train = next(p for p in bp.spec.node_pools if p.name == "train")
    p5 = train.model_copy(update={"name": "train5", "instance_type": "p5.48xlarge", "count": 2})
    # 10 nodes on the EFA fabric, 4 per leaf switch: efa-leaf1..3 under the spine "efa"
    fabrics = [f.model_copy(update={"topology": FabricTopology(group_size=4)}) for f in bp.spec.fabrics]
    spec = bp.spec.model_copy(update={"node_pools": [*bp.spec.node_pools, p5], "fabrics": fabrics})
    return resolve(bp.model_copy(update={"spec": spec}))


def _onprem_plan() -> ClusterPlan:
    """The on-prem blueprint's pool without its catalog system, so the node line comes from facts."""
    bp = load_blueprint(BLUEPRINTS / "h100-onprem-ib-slurm.yaml").blueprint
    pools = [
        p.model_copy(update={"system": None, "gpu": GpuSpec(model="H100-SXM", count=8)}) if p.system else p
        for p in bp.spec.node_pools
    ]
    return resolve(bp.model_copy(update={"spec": bp.spec.model_copy(update={"node_pools": pools})}))


def _host_cpu() -> tuple[int, int, int, int]:
    """Sockets, cores per socket, threads per core and MemTotal (MiB) of this machine, from /proc."""
    text = Path("/proc/cpuinfo").read_text()
    sockets = len(set(re.findall(r"^physical id\s*:\s*(\d+)", text, re.M))) or 1
    cores = int((re.findall(r"^cpu cores\s*:\s*(\d+)", text, re.M) or ["1"])[0])
    siblings = int((re.findall(r"^siblings\s*:\s*(\d+)", text, re.M) or [str(cores)])[0])
    mem_kib = int(re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M).group(1))  # type: ignore[union-attr]
    return sockets, cores, siblings // cores, mem_kib // 1024


def _slurm_vars(plan: ClusterPlan) -> dict[str, Any]:
    head = next(p for p in plan.pools if p.role == "controller")
    return {k: v for k, v in role_vars_for_pool(plan, head).items() if k.startswith("slurm_")}


@pytest.fixture(scope="module")
def scontrol(chroot: Chroot) -> str:
    """Converge the controller with all three pools' node lines and the plans' topology, start
    slurmctld, and return what ``scontrol show nodes -o`` and ``scontrol show topology`` print."""
    cloud, onprem = _p4d_p5_plan(), _onprem_plan()
    variables = _slurm_vars(cloud)
    onprem_vars = _slurm_vars(onprem)
    onprem_nodes = onprem_vars["slurm_nodes"]
    variables["slurm_topology_switches"] += onprem_vars["slurm_topology_switches"]
    # The facts of the on-prem node are the ones gathered on the converged host (the chroot).
    for node in onprem_nodes:
        node["facts_host"] = "{{ inventory_hostname }}"
    variables["slurm_nodes"] = [*variables["slurm_nodes"], *onprem_nodes]
    variables["slurm_controller_hosts"] = [CONTROLLER]
    variables["slurm_partitions"] = [
        {"name": "all", "nodes": ",".join(n["name"] for n in variables["slurm_nodes"]), "default": True}
    ]
    variables["slurm_node_role"] = "controller"
    chroot.mount_proc()
    chroot.converge_ok("slurm", variables, label="slurm controller (slurmctld test)")
    pools = [pool for plan in (cloud, onprem) for pool in plan.pools if pool.role == "compute"]
    return show_nodes_and_topology(chroot, CONTROLLER, [h for pool in pools for h in pool.hosts])


@pytest.fixture(scope="module")
def scontrol_nodes(scontrol: str) -> dict[str, dict[str, str]]:
    nodes: dict[str, dict[str, str]] = {}
    for line in scontrol.split(TOPOLOGY_MARK)[0].splitlines():
        fields = parse_fields(line)
        if "NodeName" in fields:
            nodes[fields["NodeName"]] = fields
    return nodes


def test_topology_from_the_fabric_groups(scontrol: str) -> None:
    """The EFA fabric's groupSize 4 gives three leaf switches under one spine; the on-prem pool is
    one leaf of its own fabric (the default)."""
    switches = {f["SwitchName"]: f for f in topology_lines(scontrol)}
    assert switches["efa-leaf1"]["Nodes"] == "train-[0-3]"
    assert switches["efa-leaf2"]["Nodes"] == "train-[4-7]"
    assert switches["efa-leaf3"]["Nodes"] == "train5-[0-1]"
    assert switches["efa"]["Switches"] == "efa-leaf1,efa-leaf2,efa-leaf3" and switches["efa"]["Level"] == "1"
    assert switches["ib-dgx"]["Nodes"] == "dgx-h100-[001-004]"


@pytest.mark.parametrize(
    ("node", "layout", "memory_gib", "gres"),
    [("train-0", (2, 24, 2), 1152, "gpu:a100:8"), ("train5-1", (2, 48, 2), 2048, "gpu:h100:8")],
)
def test_cloud_nodes_from_catalog_layout(
    scontrol_nodes: dict[str, dict[str, str]],
    node: str,
    layout: tuple[int, int, int],
    memory_gib: int,
    gres: str,
) -> None:
    got = scontrol_nodes[node]
    sockets, cores, threads = layout
    assert (got["Sockets"], got["CoresPerSocket"], got["ThreadsPerCore"]) == tuple(map(str, layout))
    assert got["CPUTot"] == str(sockets * cores * threads)
    assert got["RealMemory"] == str(int(memory_gib * 1024 * 0.95))
    assert got["Gres"] == gres


def test_onprem_node_from_gathered_facts(scontrol_nodes: dict[str, dict[str, str]]) -> None:
    sockets, cores, threads, mem_mib = _host_cpu()
    got = scontrol_nodes["dgx-h100-003"]
    assert (got["Sockets"], got["CoresPerSocket"], got["ThreadsPerCore"]) == (
        str(sockets),
        str(cores),
        str(threads),
    )
    assert got["CPUTot"] == str(sockets * cores * threads)
    assert got["RealMemory"] == str(mem_mib * 95 // 100)
    assert got["Gres"] == "gpu:h100:8"
    assert len([n for n in scontrol_nodes if n.startswith("dgx-h100-")]) == 4
