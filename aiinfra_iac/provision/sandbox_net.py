"""The sandbox's own network: one namespace per node, veth pairs onto one bridge per stack.

Each stack (its state folder and cluster name, hashed: :func:`stack_id`) gets a Linux bridge
``aib<id>`` holding the first address of the subnet; each node gets a network namespace
``aib<id>-<node>`` whose ``eth0`` is one end of a veth pair, the other end (``av<id><index>``)
is a port of the bridge. Node addresses follow in plan order; every node's ``/etc/hosts`` names
all of them. The bridge is the sandbox's fabric: its MTU is the fabric's (:func:`fabric_mtu`).

The subnet is ``provider.sandboxSubnet`` or, when unset, the first free /24 in 10.234.0.0/16
starting at a slot derived from the stack id. A subnet already on another interface (another
stack's bridge) is an error naming that interface; this stack's own leftover bridge is reused.
Allocation runs under one host-wide lock, so parallel stacks never pick the same subnet.
What was set up is recorded in ``<sandbox>/.run/net.json`` for ``down``, ``status`` and faults.

Only ``ip`` (iproute2) and ``tc`` are used: https://man7.org/linux/man-pages/man8/ip-netns.8.html
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path

from aiinfra_iac.errors import AiinfraError, MissingToolError, UsageError
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan
from aiinfra_iac.provision.sandbox import _locked, sandbox_dir

HOST_LOCK = Path(os.environ.get("AIINFRA_NET_LOCK", "/run/aiinfra-sandbox-net.lock"))
DEFAULT_POOL = ipaddress.IPv4Network("10.234.0.0/16")
NODE_IF = "eth0"
RUN_DIR = ".run"

# Ethernet MTUs of the fabrics the sandbox stands in for. EFA: "9001 MTU" within a VPC
# (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/network_mtu.html); RoCE: the blueprint's
# roce.mtu; InfiniBand has no Ethernet MTU (IPoIB datagram mode is 2044), so plain 1500.
_EFA_MTU = 9001
_DEFAULT_MTU = 1500


class SandboxNetError(AiinfraError):
    """Setting up or removing the sandbox network failed; the message names the step."""


@dataclass(frozen=True)
class NodeNet:
    name: str
    netns: str
    host_veth: str
    address: str


@dataclass(frozen=True)
class SandboxNet:
    stack: str
    bridge: str
    subnet: str
    gateway: str
    mtu: int
    nodes: tuple[NodeNet, ...]

    def node(self, name: str) -> NodeNet:
        for node in self.nodes:
            if node.name == name:
                return node
        known = ", ".join(n.name for n in self.nodes)
        raise UsageError(f"no sandbox node {name!r}; the sandbox has {known}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SandboxNet:
        data = json.loads(text)
        nodes = tuple(NodeNet(**n) for n in data.pop("nodes"))
        return cls(nodes=nodes, **data)


# --------------------------------------------------------------------------- naming and addresses


def stack_id(plan: ClusterPlan, state: Path) -> str:
    """8 hex digits from the state folder and cluster name: one bridge per stack, never shared."""
    return hashlib.sha256(f"{state.resolve()}\0{plan.name}".encode()).hexdigest()[:8]


def bridge_name(stack: str) -> str:
    return f"aib{stack}"


def netns_name(stack: str, node: str) -> str:
    return f"aib{stack}-{node}"


def veth_name(stack: str, index: int) -> str:
    """Host end of node ``index``'s veth pair; at most 15 characters (IFNAMSIZ)."""
    return f"av{stack}{index}"


def fabric_mtu(pool: PoolPlan) -> int:
    fabric = pool.fabric
    if fabric is None:
        return _DEFAULT_MTU
    if fabric.type == "roce" and fabric.roce is not None:
        return fabric.roce.mtu
    return _EFA_MTU if fabric.type == "efa" else _DEFAULT_MTU


def plan_mtu(plan: ClusterPlan) -> int:
    """One bridge, one MTU: the smallest of the pools' fabrics (a larger one would be dropped)."""
    return min((fabric_mtu(pool) for pool in plan.pools), default=_DEFAULT_MTU)


def hosts_in_plan(plan: ClusterPlan) -> list[str]:
    return [host for pool in plan.pools for host in pool.hosts]


def run_dir(plan: ClusterPlan, state: Path) -> Path:
    return sandbox_dir(plan, state) / RUN_DIR


def record_path(plan: ClusterPlan, state: Path) -> Path:
    return run_dir(plan, state) / "net.json"


def load(plan: ClusterPlan, state: Path) -> SandboxNet | None:
    path = record_path(plan, state)
    return SandboxNet.from_json(path.read_text()) if path.is_file() else None


def require(plan: ClusterPlan, state: Path) -> SandboxNet:
    net = load(plan, state)
    if net is None:
        raise UsageError(
            f"{plan.name}: the sandbox network is not up ({record_path(plan, state)} missing): "
            "run `aiinfra up FILE` first"
        )
    return net


# --------------------------------------------------------------------------- ip / tc


def _run(cmd: list[str], *, what: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise SandboxNetError(
            f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}: {proc.stderr.strip()}"
        )
    return proc


def require_tools() -> None:
    if os.geteuid() != 0:
        raise MissingToolError("root", "the sandbox network (namespaces, veth, bridge) needs root")
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            raise MissingToolError(tool, "apt-get install iproute2")


def interface_addresses() -> dict[str, list[ipaddress.IPv4Interface]]:
    """Interface name -> its IPv4 addresses, in this (the host's) namespace."""
    out = _run(["ip", "-j", "-4", "addr", "show"], what="list addresses").stdout
    found: dict[str, list[ipaddress.IPv4Interface]] = {}
    for link in json.loads(out or "[]"):
        for info in link.get("addr_info", []):
            iface = ipaddress.IPv4Interface(f"{info['local']}/{info['prefixlen']}")
            found.setdefault(str(link["ifname"]), []).append(iface)
    return found


def link_exists(name: str, netns: str | None = None) -> bool:
    prefix = ["ip", "-n", netns] if netns else ["ip"]
    return _run([*prefix, "link", "show", name], what="show link", check=False).returncode == 0


def namespaces() -> list[str]:
    out = _run(["ip", "netns", "list"], what="list namespaces").stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def links_with_prefix(prefix: str) -> list[str]:
    out = _run(["ip", "-j", "link", "show"], what="list links").stdout
    return [str(link["ifname"]) for link in json.loads(out or "[]") if str(link["ifname"]).startswith(prefix)]


# --------------------------------------------------------------------------- subnet choice


def _users_of(subnet: ipaddress.IPv4Network, own_bridge: str) -> list[str]:
    return [
        f"{name} ({iface})"
        for name, ifaces in interface_addresses().items()
        if name != own_bridge
        for iface in ifaces
        if iface.network.overlaps(subnet)
    ]


def choose_subnet(plan: ClusterPlan, stack: str, previous: SandboxNet | None) -> ipaddress.IPv4Network:
    """The blueprint's subnet, this stack's earlier one, or the first free /24 from a hashed slot."""
    own = bridge_name(stack)
    wanted = plan.provider.sandbox_subnet
    if wanted is not None:
        try:
            subnet = ipaddress.IPv4Network(wanted)
        except ValueError as error:
            raise SandboxNetError(f"spec.provider.sandboxSubnet {wanted!r}: {error}") from error
        users = _users_of(subnet, own)
        if users:
            raise SandboxNetError(
                f"spec.provider.sandboxSubnet {subnet} is in use by {', '.join(users)}"
                " (another sandbox's bridge or a host network): set another sandboxSubnet or "
                "run `aiinfra down` on the stack that owns it"
            )
        _check_size(subnet, plan)
        return subnet
    if previous is not None and not _users_of(ipaddress.IPv4Network(previous.subnet), own):
        return ipaddress.IPv4Network(previous.subnet)
    slots = list(DEFAULT_POOL.subnets(new_prefix=24))
    start = int(stack, 16) % len(slots)
    taken = [
        iface.network for name, ifaces in interface_addresses().items() if name != own for iface in ifaces
    ]
    for offset in range(len(slots)):
        candidate = slots[(start + offset) % len(slots)]
        if not any(candidate.overlaps(net) for net in taken):
            return candidate
    raise SandboxNetError(f"no free /24 left in {DEFAULT_POOL}: set spec.provider.sandboxSubnet")


def _check_size(subnet: ipaddress.IPv4Network, plan: ClusterPlan) -> None:
    needed = len(hosts_in_plan(plan)) + 1  # the bridge's own address
    if subnet.num_addresses - 2 < needed:
        raise SandboxNetError(
            f"spec.provider.sandboxSubnet {subnet} has room for {subnet.num_addresses - 2} addresses; "
            f"the sandbox needs {needed} (bridge + one per node): use a larger subnet"
        )


# --------------------------------------------------------------------------- up / down


@contextmanager
def host_lock() -> Iterator[None]:
    HOST_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with _locked(HOST_LOCK):
        yield


def up(plan: ClusterPlan, state: Path, roots: dict[str, Path]) -> SandboxNet:
    """Create (or re-assert) the bridge, namespaces and veths; write /etc/hosts; record it all.

    Idempotent: what exists is kept, addresses and MTUs are set again. Namespaces of nodes the
    plan no longer has are removed.
    """
    require_tools()
    stack = stack_id(plan, state)
    with host_lock():
        previous = load(plan, state)
        subnet = choose_subnet(plan, stack, previous)
        hosts = list(subnet.hosts())
        mtu = plan_mtu(plan)
        names = hosts_in_plan(plan)
        net = SandboxNet(
            stack=stack,
            bridge=bridge_name(stack),
            subnet=str(subnet),
            gateway=str(hosts[0]),
            mtu=mtu,
            nodes=tuple(
                NodeNet(name, netns_name(stack, name), veth_name(stack, i), str(hosts[i + 1]))
                for i, name in enumerate(names)
            ),
        )
        _bridge_up(net, subnet.prefixlen)
        for node in net.nodes:
            _node_up(net, node, subnet.prefixlen)
        for leftover in set(namespaces()) - {n.netns for n in net.nodes}:
            if leftover.startswith(f"aib{stack}-"):
                _remove_netns(leftover)
        path = record_path(plan, state)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(net.to_json())
    for node in net.nodes:
        if node.name in roots:
            write_hosts(roots[node.name], net, node.name)
    return net


def _bridge_up(net: SandboxNet, prefix: int) -> None:
    if not link_exists(net.bridge):
        _run(["ip", "link", "add", net.bridge, "type", "bridge"], what=f"create bridge {net.bridge}")
    _run(["ip", "addr", "flush", "dev", net.bridge], what="flush bridge addresses")
    _run(["ip", "addr", "add", f"{net.gateway}/{prefix}", "dev", net.bridge], what="address the bridge")
    _run(["ip", "link", "set", net.bridge, "mtu", str(net.mtu), "up"], what=f"bring {net.bridge} up")


def _node_up(net: SandboxNet, node: NodeNet, prefix: int) -> None:
    if node.netns not in namespaces():
        _run(["ip", "netns", "add", node.netns], what=f"create namespace {node.netns}")
    in_ns = ["ip", "-n", node.netns]
    if not link_exists(NODE_IF, node.netns):
        if link_exists(node.host_veth):  # its peer is gone (namespace recreated): start over
            _run(["ip", "link", "del", node.host_veth], what=f"remove stale {node.host_veth}")
        peer = "ap" + node.host_veth[2:]
        _run(["ip", "link", "add", node.host_veth, "type", "veth", "peer", "name", peer], what="create veth")
        _run(["ip", "link", "set", peer, "netns", node.netns], what=f"move {peer} into {node.netns}")
        _run([*in_ns, "link", "set", peer, "name", NODE_IF], what=f"rename {peer} to {NODE_IF}")
    _run(["ip", "link", "set", node.host_veth, "master", net.bridge], what=f"attach {node.host_veth}")
    _run(["ip", "link", "set", node.host_veth, "mtu", str(net.mtu), "up"], what=f"bring {node.host_veth} up")
    _run([*in_ns, "addr", "flush", "dev", NODE_IF], what=f"flush {node.name} addresses")
    _run([*in_ns, "addr", "add", f"{node.address}/{prefix}", "dev", NODE_IF], what=f"address {node.name}")
    _run([*in_ns, "link", "set", NODE_IF, "mtu", str(net.mtu), "up"], what=f"bring {node.name} {NODE_IF} up")
    _run([*in_ns, "link", "set", "lo", "up"], what=f"bring {node.name} loopback up")


def write_hosts(root: Path, net: SandboxNet, name: str) -> None:
    lines = ["127.0.0.1\tlocalhost", f"{net.gateway}\t{net.bridge}"]
    lines += [f"{n.address}\t{n.name}" for n in net.nodes]
    etc = root / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "hosts").write_text("\n".join(lines) + "\n")
    (etc / "hostname").write_text(name + "\n")


def netns_pids(netns: str) -> list[int]:
    out = _run(["ip", "netns", "pids", netns], what=f"list processes of {netns}", check=False).stdout
    return [int(p) for p in out.split() if p.isdigit()]


def _remove_netns(netns: str) -> None:
    for pid in netns_pids(netns):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _run(["ip", "netns", "del", netns], what=f"remove namespace {netns}")


def down(plan: ClusterPlan, state: Path) -> list[str]:
    """Remove this stack's namespaces (and any process left in them), veths and bridge.

    Works from the names alone (the record may be gone after a killed run); returns what it removed.
    """
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return []
    stack = stack_id(plan, state)
    removed: list[str] = []
    with host_lock():
        for ns in namespaces():
            if ns.startswith(f"aib{stack}-"):
                _remove_netns(ns)
                removed.append(f"namespace {ns}")
        for link in links_with_prefix(f"av{stack}"):
            _run(["ip", "link", "del", link], what=f"remove {link}", check=False)
            removed.append(f"veth {link}")
        if link_exists(bridge_name(stack)):
            _run(["ip", "link", "del", bridge_name(stack)], what="remove bridge")
            removed.append(f"bridge {bridge_name(stack)}")
        record_path(plan, state).unlink(missing_ok=True)
    return removed


def leftovers(plan: ClusterPlan, state: Path) -> list[str]:
    """Namespaces and links of this stack that still exist (``down`` leaves none)."""
    stack = stack_id(plan, state)
    found = [f"namespace {ns}" for ns in namespaces() if ns.startswith(f"aib{stack}-")]
    found += [f"link {link}" for link in links_with_prefix(f"av{stack}") + links_with_prefix(f"aib{stack}")]
    return found
