"""The chroot sandbox as a whole: node roots, their network, their processes and mounts.

``provision`` brings the roots and the network in line with the plan (both idempotent, both
atomic per node); ``teardown`` stops every process, unmounts, removes namespaces, veths, the
bridge and the roots, and returns one line per thing removed; ``leftovers`` lists whatever of
the stack still exists (empty after ``teardown``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox, sandbox_net, sandbox_services


@dataclass(frozen=True)
class Provisioned:
    changes: sandbox.NodeChanges
    net: sandbox_net.SandboxNet

    def describe(self) -> list[str]:
        lines = [
            f"network: bridge {self.net.bridge} {self.net.gateway} on {self.net.subnet}, MTU {self.net.mtu}",
        ]
        lines += [f"  {n.name:<16} {n.address:<15} netns {n.netns}" for n in self.net.nodes]
        return lines


def provision(plan: ClusterPlan, state: Path) -> Provisioned:
    changes = sandbox.create_nodes(plan, state)
    for name in changes.removed:
        sandbox_services.forget_node(plan, state, name)
    net = sandbox_net.up(plan, state, sandbox.node_roots(plan, state))
    return Provisioned(changes, net)


def teardown(plan: ClusterPlan, state: Path) -> list[str]:
    """Stop, unmount and remove everything of the sandbox; one line per thing removed."""
    with sandbox.sandbox_lock(plan, state):
        removed = sandbox_services.stop_all(plan, state)
        removed += sandbox_services.unmount_all(plan, state)
        removed += sandbox_net.down(plan, state)
        roots = sandbox.remove_nodes(plan, state)
    if roots:
        removed.append(f"{len(roots)} node root(s) in {sandbox.sandbox_dir(plan, state)}: {', '.join(roots)}")
    return removed


def leftovers(plan: ClusterPlan, state: Path) -> list[str]:
    found = sandbox_net.leftovers(plan, state)
    found += [f"mount {m}" for m in sandbox.mounts_below(sandbox.sandbox_dir(plan, state))]
    found += [f"process {p}" for p in sandbox_services.running(plan, state)]
    found += [f"node root {p}" for p in sandbox.node_folders(sandbox.sandbox_dir(plan, state))]
    return found
