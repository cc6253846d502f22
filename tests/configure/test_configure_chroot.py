"""run_configure for real: ansible-runner drives roles/site.yml into Debian bookworm chroots.

One GPU login pool on InfiniBand whose driver the GPU Operator owns gets host_tuning, rdma_infiniband,
nccl and observability: the
first run converges, check mode afterwards reports no change; then a pool with the converged node, a
chroot path that does not exist and an ssh port nobody listens on reports both bad hosts by name while
the good one finishes (a CPU pool there: the point is the reporting, not the roles).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from configure_plans import H100, cluster, ib_fabric, pool
from harness import Chroot, HarnessError, base_tarball, missing_prerequisites
from rich.console import Console

from aiinfra_iac.blueprint.models import Tuning
from aiinfra_iac.configure.inventory import roles_for_pool
from aiinfra_iac.configure.stage import ConfigureResult, run_configure
from aiinfra_iac.errors import NodesUnreachable
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.plan.roles import with_roles

pytestmark = [pytest.mark.roles, pytest.mark.slow]


def _plan(count: int, *, gpu: bool = True) -> ClusterPlan:
    dev = (
        pool("dev", count, role="login", gpu=H100, fabric=ib_fabric())
        if gpu
        else pool("dev", count, role="login")
    )
    plan = cluster(
        (dev,),
        provider="onprem",
        scheduler="kubernetes",
    )
    # The plan derives each pool's roles when it is resolved: re-derive them after changing the tuning.
    return with_roles(
        plan.model_copy(update={"tuning": Tuning.model_validate({"driver": {"managedBy": "gpu-operator"}})})
    )


@pytest.fixture(scope="module", autouse=True)
def image_build_mode() -> Iterator[None]:
    """These converges build a node image in a chroot (no GPU, no HCA): the roles' image-build mode,
    in which the hardware guards report what they did not check instead of failing."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("aiinfra_iac.configure.rolevars.hardware_mode", lambda plan: "image-build")
        yield


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chroot]:
    reason = missing_prerequisites()
    if reason is not None:
        pytest.skip(reason)
    try:
        tarball = base_tarball()
    except HarnessError as exc:
        pytest.fail(f"could not build the bookworm base chroot: {exc}", pytrace=False)
    box = Chroot.create(tmp_path_factory.mktemp("configure-node"), tarball)
    try:
        yield box
    finally:
        box.close()


def _console() -> Console:
    return Console(file=io.StringIO(), width=140)


@pytest.fixture(scope="module")
def converged(node: Chroot, tmp_path_factory: pytest.TempPathFactory) -> tuple[ConfigureResult, str]:
    console = _console()
    result = run_configure(
        _plan(1),
        console=console,
        addresses={"dev-0": f"chroot:{node.root}"},
        private_data_dir=tmp_path_factory.mktemp("pdd-converge"),
    )
    assert isinstance(console.file, io.StringIO)
    return result, console.file.getvalue()


def test_role_set() -> None:
    plan = _plan(1)
    assert roles_for_pool(plan, plan.pool("dev")) == [
        "host_tuning",
        "rdma_infiniband",
        "nccl",
        "observability",
    ]


def test_converge(node: Chroot, converged: tuple[ConfigureResult, str]) -> None:
    result, output = converged
    host = result.hosts["dev-0"]
    assert host.changed > 0 and host.failed == 0 and not host.unreachable
    assert result.changed_hosts == ("dev-0",)
    # What the roles left, with the plan's facts in it.
    assert node.installed("rdma-core")
    assert "NCCL_IB_HCA=mlx5_0,mlx5_1" in node.read_file("/etc/nccl.conf")
    assert "kernel.numa_balancing = 0" in node.read_file("/etc/sysctl.d/90-aiinfra-host-tuning.conf")
    assert node.installed("prometheus-node-exporter")
    rules = node.read_file("/etc/prometheus/rules/aiinfra-test-cluster-dev.rules.yml")
    assert "GpuXidCritical" in rules and "RdmaPortNotActive" in rules
    # The live display and the summary went to the console.
    assert "configure dev-0" in output and "│ dev-0 " in output
    assert result.artifact_dir is not None and (result.artifact_dir / "stdout").exists()


def test_inventory_written_private(converged: tuple[ConfigureResult, str]) -> None:
    result, _ = converged
    assert result.artifact_dir is not None
    inventory = result.artifact_dir.parents[1] / "inventory" / "hosts.json"
    assert inventory.stat().st_mode & 0o077 == 0
    data = json.loads(inventory.read_text())
    assert data["all"]["children"]["pool_dev"]["hosts"]["dev-0"]["ansible_connection"] == {
        "__ansible_unsafe": "community.general.chroot"
    }


def test_check_mode_after_converge_reports_no_changes(
    node: Chroot, converged: tuple[ConfigureResult, str], tmp_path: Path
) -> None:
    console = _console()
    result = run_configure(
        _plan(1),
        check=True,
        console=console,
        addresses={"dev-0": f"chroot:{node.root}"},
        private_data_dir=tmp_path,
    )
    assert result.check and result.changed_hosts == () and not result.changes_present
    assert result.hosts["dev-0"].ok > 10
    assert isinstance(console.file, io.StringIO)
    assert "would change" in console.file.getvalue()


def test_bad_hosts_reported_by_name_while_the_other_finishes(
    node: Chroot, converged: tuple[ConfigureResult, str], tmp_path: Path
) -> None:
    addresses = {
        "dev-0": f"chroot:{node.root}",
        "dev-1": f"chroot:{tmp_path / 'no-such-root'}",
        "dev-2": "ssh://root@127.0.0.1:1",
    }
    console = _console()
    # An unreachable node makes it exit 3 (NodesUnreachable), its cause on the first line. A CPU pool (host
    # tuning only) is enough to tell the hosts apart and keeps this second converge short.
    with pytest.raises(NodesUnreachable) as caught:
        run_configure(
            _plan(3, gpu=False), console=console, addresses=addresses, private_data_dir=tmp_path / "pdd"
        )
    message = str(caught.value)
    assert caught.value.exit_code == 3
    assert message.splitlines()[0].startswith("1 node(s) unreachable during configure")
    assert "Connection refused" in message.splitlines()[0]
    assert "dev-2" in message and "dev-0" not in message
    assert isinstance(console.file, io.StringIO)
    summary = {
        line.split("│")[1].strip(): line
        for line in console.file.getvalue().splitlines()
        if line.count("│") > 5
    }
    # the good host ran every task to the end (a CPU pool's host tuning differs a little from the GPU pool's)
    cells = [cell.strip() for cell in summary["dev-0"].strip("│ ").split("│")]
    assert cells[-1] in {"ok", "changed"} and cells[-3] == "0", summary["dev-0"]
    assert "unreachable" in summary["dev-2"] and "failed" in summary["dev-1"]
