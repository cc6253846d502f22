"""Faults planted on a sandbox node's link, for anyone who wants to see what validation catches.

A rate limit is a token-bucket filter on the node's ``eth0`` inside its namespace (egress: every
byte the node sends), ``--down`` sets that link down, ``--clear`` removes both. tc-tbf(8):
https://man7.org/linux/man-pages/man8/tc-tbf.8.html (``burst`` must hold at least rate/HZ bytes;
32 kbit is enough up to ~1 Gbit/s at HZ=250, ``latency`` bounds the queue).
"""

from __future__ import annotations

import re

from aiinfra_iac.errors import UsageError
from aiinfra_iac.provision.sandbox_net import NODE_IF, NodeNet, _run

_RATE = re.compile(r"^[0-9]+(\.[0-9]+)?(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$")


def check_rate(rate: str) -> str:
    if not _RATE.match(rate.lower()):
        raise UsageError(f"--rate {rate!r}: give a tc rate such as 50mbit, 1gbit or 500kbit")
    return rate.lower()


def _in_ns(node: NodeNet, *cmd: str) -> list[str]:
    return ["ip", "netns", "exec", node.netns, *cmd]


def limit_rate(node: NodeNet, rate: str) -> None:
    rate = check_rate(rate)
    burst = "32kbit" if not rate.endswith(("gbit", "gbps")) else "1mbit"
    _run(
        _in_ns(
            node,
            "tc",
            "qdisc",
            "replace",
            "dev",
            NODE_IF,
            "root",
            "tbf",
            "rate",
            rate,
            "burst",
            burst,
            "latency",
            "400ms",
        ),
        what=f"limit {node.name} to {rate}",
    )


def link_down(node: NodeNet) -> None:
    _run(_in_ns(node, "ip", "link", "set", NODE_IF, "down"), what=f"set {node.name} {NODE_IF} down")


def clear(node: NodeNet) -> None:
    _run(_in_ns(node, "tc", "qdisc", "del", "dev", NODE_IF, "root"), what="remove the limit", check=False)
    _run(_in_ns(node, "ip", "link", "set", NODE_IF, "up"), what=f"set {node.name} {NODE_IF} up")


def describe(node: NodeNet) -> str:
    """``ok``, ``down`` or ``rate <r>``: the fault now on the node's link."""
    link = _run(["ip", "-n", node.netns, "-o", "link", "show", NODE_IF], what="show link", check=False).stdout
    if link and "state DOWN" in link and ",UP" not in link.split(">")[0]:
        return "down"
    qdisc = _run(_in_ns(node, "tc", "qdisc", "show", "dev", NODE_IF), what="show qdisc", check=False).stdout
    found = re.search(r"tbf .*?rate (\S+)", qdisc)
    return f"rate {found.group(1)}" if found else ("ok" if link else "missing")
