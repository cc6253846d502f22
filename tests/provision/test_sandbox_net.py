"""The sandbox network for real (root): namespaces, veths, bridge, /etc/hosts, faults, status and
``down`` leaving nothing behind. The node roots come from a tiny tarball (no debootstrap needed)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox, sandbox_cluster, sandbox_fault, sandbox_net
from tests.provision.sandbox_netfix import needs_root_network, unique_subnet

BLUEPRINT = Path(__file__).resolve().parents[2] / "blueprints" / "local-chroot-sandbox.yaml"


def _plan(tmp_path: Path, name: str, subnet: str | None) -> tuple[Path, ClusterPlan]:
    text = BLUEPRINT.read_text().replace("name: local-chroot-sandbox", f"name: {name}")
    if subnet:
        text = text.replace("sandbox: chroot}", f"sandbox: chroot, sandboxSubnet: {subnet}}}")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path, plan_from_file(path)[0]


@pytest.fixture
def image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    needs_root_network()
    src = tmp_path / "image"
    (src / "usr/bin").mkdir(parents=True)
    (src / "usr/bin/python3").write_text("#!/bin/false\n")
    tarball = tmp_path / "bookworm.tar"
    subprocess.run(["tar", "-C", str(src), "-cf", str(tarball), "."], check=True)
    monkeypatch.setattr(sandbox, "require_tools", lambda: None)
    monkeypatch.setattr(sandbox, "base_tarball", lambda: tarball)
    return tarball


def _cli(*args: object) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from aiinfra_iac.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def _send(net: sandbox_net.SandboxNet, src: str, dst: str, mib: int) -> float:
    """Mbit/s of pushing ``mib`` MiB over TCP from node ``src`` to node ``dst``, timed inside the sender
    (host python in the node namespaces; interpreter start-up is not counted)."""
    a, b = net.node(src), net.node(dst)
    server = subprocess.Popen(
        ["ip", "netns", "exec", b.netns, "python3", "-c",
         "import socket\ns=socket.socket();s.bind(('0.0.0.0',5601));s.listen();c,_=s.accept()\n"
         "while c.recv(1<<20): pass"],
    )  # fmt: skip
    try:
        time.sleep(0.5)
        done = subprocess.run(
            ["ip", "netns", "exec", a.netns, "python3", "-c",
             f"import socket,time\ns=socket.create_connection(('{b.address}',5601))\nt=time.perf_counter()\n"
             f"for _ in range({mib}): s.sendall(b'x'*(1<<20))\ns.shutdown(socket.SHUT_WR);s.recv(1)\n"
             "print(time.perf_counter()-t)"],
            check=True, timeout=60, capture_output=True, text=True,
        )  # fmt: skip
        return mib * 8 * 1.048576 / float(done.stdout.strip())
    finally:
        server.wait(timeout=30)


def test_nodes_talk_over_the_bridge_faults_slow_one_and_down_leaves_nothing(
    image: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    subnet = unique_subnet(request)
    file, plan = _plan(tmp_path, "net-sandbox", subnet)
    state = tmp_path / "state"
    try:
        made = sandbox_cluster.provision(plan, state)
        net = made.net
        assert net.subnet == subnet and net.bridge == f"aib{sandbox_net.stack_id(plan, state)}"
        assert [n.address for n in net.nodes] == [subnet[:-4] + "2", subnet[:-4] + "3"]
        hosts = (sandbox.node_roots(plan, state)["sandbox-0"] / "etc/hosts").read_text()
        assert f"{net.node('sandbox-1').address}\tsandbox-1" in hosts
        assert sandbox_cluster.provision(plan, state).net == net  # again: same record, nothing new

        fast = _send(net, "sandbox-0", "sandbox-1", 20)
        code, _, err = _cli("sandbox", "fault", file, "sandbox-0", "--rate", "50mbit", "--state-dir", state)
        assert code == 0 and "link now: rate 50Mbit" in err, err
        slow = _send(net, "sandbox-0", "sandbox-1", 10)
        assert 30 < slow < 60 and fast > 3 * slow, (fast, slow)  # Mbit/s: the bucket's 50, a veth's far more

        code, out, _ = _cli("status", file, "--format", "json", "--state-dir", state)
        report = json.loads(out)
        assert code == 0 and report["state"] == "up"
        assert [(n["name"], n["link"]) for n in report["nodes"]] == [
            ("sandbox-0", "rate 50Mbit"),
            ("sandbox-1", "ok"),
        ]
        _cli("sandbox", "fault", file, "sandbox-1", "--down", "--state-dir", state)
        assert sandbox_fault.describe(net.node("sandbox-1")) == "down"
        _cli("sandbox", "fault", file, "sandbox-0", "--clear", "--state-dir", state)
        _cli("sandbox", "fault", file, "sandbox-1", "--clear", "--state-dir", state)
        assert {sandbox_fault.describe(n) for n in net.nodes} == {"ok"}

        code, _, err = _cli("down", file, "--yes", "--state-dir", state)
        assert code == 0, err
        assert f"removed bridge {net.bridge}" in err and "removed namespace" in err and "node root(s)" in err
        assert sandbox_cluster.leftovers(plan, state) == []
    finally:
        sandbox_cluster.teardown(plan, state)


def test_a_subnet_of_another_stack_is_refused_and_the_default_avoids_it(
    image: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    subnet = unique_subnet(request)
    _, first = _plan(tmp_path, "net-first", subnet)
    _, second = _plan(tmp_path, "net-second", subnet)
    _, third = _plan(tmp_path, "net-third", None)
    state = tmp_path / "state"
    try:
        sandbox_cluster.provision(first, state)
        with pytest.raises(sandbox_net.SandboxNetError, match=rf"sandboxSubnet {subnet} is in use by aib"):
            sandbox_cluster.provision(second, state)
        assert sandbox_net.leftovers(second, state) == []
        chosen = sandbox_cluster.provision(third, state).net.subnet
        assert chosen != subnet and chosen.startswith("10.234.")
    finally:
        for plan in (first, second, third):
            sandbox_cluster.teardown(plan, state)
            assert sandbox_cluster.leftovers(plan, state) == []


def test_unknown_node_and_bad_rate_are_usage_errors(image: Path, tmp_path: Path) -> None:
    file, _ = _plan(tmp_path, "net-usage", None)
    code, _, err = _cli("sandbox", "fault", file, "sandbox-0", "--rate", "50mbit", "--state-dir", tmp_path)
    assert code == 2 and "sandbox network is not up" in err
    code, _, err = _cli("sandbox", "fault", file, "sandbox-0", "--rate", "fast", "--down")
    assert code == 2 and "exactly one of" in err
    with pytest.raises(sandbox.UsageError, match="give a tc rate"):
        sandbox_fault.check_rate("fast")
