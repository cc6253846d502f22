"""Start what the roles installed in the sandbox nodes: munge, Slurm, node_exporter, Prometheus.

systemd is not PID 1 in a chroot, so the configure stage ends (for a chroot sandbox) by starting
each unit's command itself through :mod:`sandbox_services` (inside the node's chroot and
namespace, own UTS namespace so ``hostname`` is the node's name, PIDs recorded):

- every node: ``munged -F`` as user munge (Debian's munge.service: ``User=munge``), and
  ``prometheus-node-exporter`` with the ARGS the observability role wrote to
  ``/etc/default/prometheus-node-exporter`` (textfile collector included);
- controller: ``slurmctld -D`` and Prometheus (the ``prometheus`` package is installed into the
  controller here: no role ships a Prometheus server), scraping every node's exporter on the
  bridge and loading the alert rules the observability role wrote on each pool's nodes;
- compute: ``slurmd -D``.

Then it waits until ``scontrol`` reports every compute node idle and Prometheus reports every
exporter target up. Only the sandbox bridge and loopback are contacted.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiinfra_iac.errors import AiinfraError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox, sandbox_net, sandbox_services

PROMETHEUS_PORT = 9090
NODE_EXPORTER_PORT = 9100
PROMETHEUS_CONFIG = "etc/aiinfra/prometheus.yml"
RULES_DIR = "etc/prometheus/rules"
TEXTFILE_DIR = "var/lib/prometheus/node-exporter"
NODE_PACKAGES = {"python3-numpy": "usr/lib/python3/dist-packages/numpy/__init__.py"}
CONTROLLER_PACKAGES = {"prometheus": "usr/bin/prometheus"}
_EXPORTER_DEFAULTS = "etc/default/prometheus-node-exporter"


class SandboxServiceError(AiinfraError):
    """A sandbox daemon did not come up; the message says which and where its log is."""


@dataclass(frozen=True)
class Started:
    node: str
    service: str
    pid: int
    new: bool


def controller(plan: ClusterPlan) -> str:
    hosts = [h for pool in plan.pools if pool.role == "controller" for h in pool.hosts]
    if not hosts:
        raise SandboxServiceError(f"{plan.name}: a Slurm sandbox needs a pool with role: controller")
    return hosts[0]


def compute_nodes(plan: ClusterPlan) -> list[str]:
    return [h for pool in plan.pools if pool.role == "compute" for h in pool.hosts]


def node_command(plan: ClusterPlan, state: Path, node: str, argv: list[str]) -> list[str]:
    """The host command that runs ``argv`` inside ``node`` (namespace, UTS namespace, chroot)."""
    net = sandbox_net.require(plan, state)
    root = sandbox.node_roots(plan, state)[node]
    return sandbox_services.node_argv(net, root, node, argv, uts_name=node)


def exporter_args(root: Path) -> list[str]:
    """The ARGS the observability role wrote for the node_exporter unit."""
    path = root / _EXPORTER_DEFAULTS
    if not path.is_file():
        raise SandboxServiceError(f"{path} is missing: the observability role has not run on {root.name}")
    for line in path.read_text().splitlines():
        if line.startswith("ARGS="):
            return shlex.split(shlex.split(line[len("ARGS=") :])[0]) if line[5:].strip() else []
    return []


def prometheus_config(plan: ClusterPlan, net: sandbox_net.SandboxNet) -> str:
    """Scrape every node's exporter on the bridge; load every pool's rules (copied to the controller)."""
    targets = [
        {"targets": [f"{n.address}:{NODE_EXPORTER_PORT}"], "labels": {"node": n.name, "cluster": plan.name}}
        for n in net.nodes
    ]
    config = {
        "global": {"scrape_interval": "5s", "evaluation_interval": "5s"},
        "rule_files": [f"/{RULES_DIR}/*.yml"],
        # honor_labels: the validation gauges carry their own node (the checked one, or _cluster)
        "scrape_configs": [{"job_name": "node", "honor_labels": True, "static_configs": targets}],
    }
    return json.dumps(config, indent=2) + "\n"  # JSON is YAML


def ensure_packages(root: Path, packages: dict[str, str]) -> list[str]:
    """apt-get install the packages (name -> a file it ships) whose file is missing; their names.

    What no role installs on a sandbox node: the Prometheus server on the controller, numpy for the
    CPU fallback everywhere (the package cache of the base image makes this a local install).
    """
    missing = [name for name, path in packages.items() if not (root / path).exists()]
    if missing:
        sandbox.run_tool(
            ["chroot", str(root), "apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
            what=f"apt-get install {' '.join(missing)} in {root.name}",
        )
    return missing


def node_packages(plan: ClusterPlan) -> dict[str, dict[str, str]]:
    """Node name -> the sandbox-only packages it needs (name -> a file it ships), in plan order."""
    ctl = controller(plan)
    return {
        host: {**NODE_PACKAGES, **(CONTROLLER_PACKAGES if host == ctl else {})}
        for pool in plan.pools
        for host in pool.hosts
    }


def ensure_all_packages(plan: ClusterPlan, state: Path) -> dict[str, list[str]]:
    """:func:`ensure_packages` on every node at once (one apt-get per node, the nodes in parallel).

    Each node is its own chroot with its own dpkg database and lock, so the installs do not wait
    for each other; the first failure is raised once all have finished. Node -> what it installed.
    """
    roots = sandbox.node_roots(plan, state)
    wanted = node_packages(plan)
    with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
        futures = {host: pool.submit(ensure_packages, roots[host], pkgs) for host, pkgs in wanted.items()}
    return {host: future.result() for host, future in futures.items()}


def _collect_rules(plan: ClusterPlan, state: Path, ctl_root: Path) -> None:
    target = ctl_root / RULES_DIR
    target.mkdir(parents=True, exist_ok=True)
    for host, root in sandbox.node_roots(plan, state).items():
        if host == ctl_root.name:
            continue
        for rules in (root / RULES_DIR).glob("*.yml"):
            if not (target / rules.name).exists():
                shutil.copyfile(rules, target / rules.name)


def start_all(plan: ClusterPlan, state: Path, *, timeout_s: float = 90.0) -> list[Started]:
    """Start every daemon that is not running yet, then wait for Slurm and Prometheus to be ready."""
    net = sandbox_net.require(plan, state)
    roots = sandbox.node_roots(plan, state)
    ctl = controller(plan)
    started: list[Started] = []

    ensure_all_packages(plan, state)
    for node in net.nodes:
        root = roots[node.name]
        (root / "run/munge").mkdir(parents=True, exist_ok=True)
        sandbox.run_tool(["chroot", str(root), "chown", "munge:munge", "/run/munge"], what="chown /run/munge")
        _start(
            plan,
            state,
            started,
            node.name,
            "munge",
            ["setpriv", "--reuid=munge", "--regid=munge", "--init-groups", "munged", "-F"],
        )
    ctl_root = roots[ctl]
    _start(plan, state, started, ctl, "slurmctld", ["slurmctld", "-D"])
    for host in compute_nodes(plan):
        _start(plan, state, started, host, "slurmd", ["slurmd", "-D"])
    for node in net.nodes:
        root = roots[node.name]
        (root / TEXTFILE_DIR).mkdir(parents=True, exist_ok=True)
        _start(
            plan,
            state,
            started,
            node.name,
            "node_exporter",
            ["prometheus-node-exporter", *exporter_args(root)],
        )
    _collect_rules(plan, state, ctl_root)
    config = ctl_root / PROMETHEUS_CONFIG
    config.parent.mkdir(parents=True, exist_ok=True)
    text = prometheus_config(plan, net)
    changed = not config.is_file() or config.read_text() != text
    config.write_text(text)
    ctl_addr = net.node(ctl).address
    _start(
        plan,
        state,
        started,
        ctl,
        "prometheus",
        [
            "prometheus",
            f"--config.file=/{PROMETHEUS_CONFIG}",
            "--storage.tsdb.path=/var/lib/prometheus/aiinfra",
            f"--web.listen-address={ctl_addr}:{PROMETHEUS_PORT}",
        ],
    )
    if changed and not started[-1].new:  # a running Prometheus re-reads its configuration on SIGHUP
        os.kill(started[-1].pid, signal.SIGHUP)
    _wait("Slurm compute nodes idle", lambda: idle_nodes(plan, state) >= set(compute_nodes(plan)), timeout_s)
    _wait(
        "Prometheus scraping every node",
        lambda: targets_up(plan, net) == {n.name for n in net.nodes},
        timeout_s,
    )
    return started


def _start(
    plan: ClusterPlan, state: Path, started: list[Started], node: str, service: str, argv: list[str]
) -> None:
    pid, new = sandbox_services.start(plan, state, node, service, argv, uts_name=node)
    started.append(Started(node, service, pid, new))


def _wait(what: str, ready: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (OSError, ValueError, AiinfraError):
            pass
        time.sleep(1)
    raise SandboxServiceError(
        f"sandbox: {what}: not ready after {timeout_s:.0f} s (logs: <node>/var/log/aiinfra/)"
    )


def scontrol_nodes(plan: ClusterPlan, state: Path) -> list[dict[str, str]]:
    """``scontrol show nodes --oneliner`` on the controller, one dict per node."""
    out = sandbox.run_tool(
        node_command(plan, state, controller(plan), ["scontrol", "show", "nodes", "--oneliner"]),
        what="scontrol show nodes",
    )
    nodes = []
    for line in out.splitlines():
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        if "NodeName" in fields:
            nodes.append(fields)
    return nodes


def idle_nodes(plan: ClusterPlan, state: Path) -> set[str]:
    return {n["NodeName"] for n in scontrol_nodes(plan, state) if n.get("State", "").startswith("IDLE")}


def prometheus_url(plan: ClusterPlan, net: sandbox_net.SandboxNet) -> str:
    return f"http://{net.node(controller(plan)).address}:{PROMETHEUS_PORT}"


def prometheus_get(plan: ClusterPlan, net: sandbox_net.SandboxNet, path: str) -> dict[str, object]:
    """GET ``path`` of the sandbox Prometheus (on the bridge address: the only place contacted)."""
    with urllib.request.urlopen(prometheus_url(plan, net) + path, timeout=5) as response:
        data: dict[str, object] = json.loads(response.read())
    return data


def targets_up(plan: ClusterPlan, net: sandbox_net.SandboxNet) -> set[str]:
    data: Any = prometheus_get(plan, net, "/api/v1/targets")
    active = data.get("data", {}).get("activeTargets", [])
    return {str(t["labels"]["node"]) for t in active if t.get("health") == "up"}
