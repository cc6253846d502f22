"""Renderings of the plan's ``review`` section: per-pool lines, a mermaid topology, host lists.

Used by :mod:`aiinfra_iac.provision.plan_report` for text and Markdown; plain functions of the
JSON document so a plan saved on main renders the same way.
"""

from __future__ import annotations

import re
from typing import Any

from aiinfra_iac.plan.review import topology_lines


def _gpu(pool: dict[str, Any]) -> str:
    gpu = pool.get("gpu")
    return f"{gpu['count']}x {gpu['model']}" if gpu else "no GPU"


def _fabric(pool: dict[str, Any]) -> str:
    fabric = pool.get("fabric")
    if not fabric:
        return "none (TCP between nodes)"
    text = (
        f"{fabric['name']} ({fabric['type']}, {fabric['nic']}, "
        f"{fabric['railsPerNode']}x{fabric['linkGbps']} Gb/s, "
        f"GPUDirect RDMA {_gpudirect(pool, fabric)})"
    )
    if fabric.get("subnetManager"):
        text += f", SM: {fabric['subnetManager']}"
        if fabric.get("subnetManagerHosts"):
            text += f" on {' (master), '.join(fabric['subnetManagerHosts'])}" + (
                " (standby)" if len(fabric["subnetManagerHosts"]) > 1 else ""
            )
        text += f", SHARP {'on' if fabric.get('sharp') else 'off'}"
    return text


def _gpudirect(pool: dict[str, Any], fabric: dict[str, Any]) -> str:
    """on/off, with the path the plan chose (``gpuDirect``: dmabuf, peermem or none) where known."""
    if not fabric["gpuDirectRdma"]:
        return "off"
    path = pool.get("gpuDirect")
    if path is None:
        return "on"
    return "off (no DMA-BUF without open kernel modules)" if path == "none" else f"on via {path}"


def _qos(pool: dict[str, Any]) -> str | None:
    qos = (pool.get("fabric") or {}).get("qos")
    if not qos:
        return None
    return (
        f"PFC priority {qos['pfcPriority']}, DSCP {qos['dscp']}, ECN {'on' if qos['ecn'] else 'off'}, "
        f"MTU {qos['mtu']}, traffic class {qos['trafficClass']}, GID index {qos['gidIndex']}"
    )


def _rails(pool: dict[str, Any]) -> str | None:
    rails = pool.get("rails") or []
    if not rails:
        return None
    return "; ".join(f"{r['device']}→GPU{','.join(map(str, r['gpus']))} (NUMA {r['numa']})" for r in rails)


def _thresholds(pool: dict[str, Any]) -> str | None:
    items = [f"{t['kind']} ≥ {t['expected']:g} {t['unit']}".strip() for t in pool.get("thresholds", [])]
    return ", ".join(dict.fromkeys(items)) or None


def _cost(pool: dict[str, Any]) -> str:
    if pool.get("hourlyUSD") is None:
        return pool.get("costNote") or "not priced"
    return f"${pool['hourlyUSD']:,.2f}/h ({pool.get('capacity')}: {pool.get('costNote')})"


def pool_facts(pool: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows for one pool, in the order a reviewer reads them."""
    rows = [
        ("GPU", _gpu(pool) + (f" on {pool['instanceType']}" if pool.get("instanceType") else "")),
        ("nodes", f"{pool['nodes']} ({pool['role']})"),
        ("fabric", _fabric(pool)),
    ]
    for label, value in (("rails", _rails(pool)), ("RoCE QoS", _qos(pool))):
        if value:
            rows.append((label, value))
    if pool.get("ncclEnv"):
        rows.append(("NCCL env", " ".join(f"{k}={v}" for k, v in pool["ncclEnv"].items())))
    if pool.get("driverBranch"):
        preinstalled = ", preinstalled: verified, not installed" if pool.get("driverInstall") is False else ""
        rows.append(
            ("driver", f"branch {pool['driverBranch']} (managed by {pool['driverManagedBy']}{preinstalled})")
        )
    thresholds = _thresholds(pool)
    if thresholds:
        rows.append(("thresholds", thresholds))
    rows.append(("cost", _cost(pool)))
    return rows


_ID = re.compile(r"[^A-Za-z0-9_]")


def _node(prefix: str, name: str) -> str:
    return f"{prefix}_{_ID.sub('_', name)}"


def _label(text: str) -> str:
    return text.replace('"', "'")


def mermaid_topology(doc: dict[str, Any]) -> str:
    """A ``flowchart LR``: pools → fabric → rails, pools → storage."""
    review = doc.get("review", {})
    lines = ["flowchart LR"]
    fabrics: dict[str, dict[str, Any]] = {}
    for pool in review.get("pools", []):
        node = _node("pool", pool["pool"])
        lines.append(f'    {node}["{_label(pool["pool"])}: {pool["nodes"]}x {_label(_gpu(pool))}"]')
        fabric = pool.get("fabric")
        if fabric:
            fabrics[fabric["name"]] = fabric
            lines.append(f"    {node} --> {_node('fabric', fabric['name'])}")
    for name, fabric in fabrics.items():
        fnode = _node("fabric", name)
        lines.append(f'    {fnode}{{"{_label(name)} ({fabric["type"]})"}}')
        rails = f"{fabric['railsPerNode']} rails x {fabric['linkGbps']} Gb/s"
        lines.append(f'    {fnode} --> {_node("rails", name)}(["{rails}"])')
    storage = review.get("storage", [])
    for item in storage:
        lines.append(f'    {_node("storage", item["name"])}[("{_label(item["name"])} ({item["type"]})")]')
    for pool in review.get("pools", []):
        for item in storage:
            lines.append(f"    {_node('pool', pool['pool'])} -.-> {_node('storage', item['name'])}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_review(doc: dict[str, Any]) -> list[str]:
    """The per-pool section, topology, caveats, suppressions and full host lists."""
    review = doc.get("review")
    if not review:
        return []
    lines: list[str] = []
    for pool in review["pools"]:
        lines += ["", f"#### Pool `{pool['pool']}`", "", "| | |", "|---|---|"]
        lines += [f"| {label} | {_cell(value)} |" for label, value in pool_facts(pool)]
    lines += ["", "#### Topology", "", "```mermaid", mermaid_topology(doc), "```"]
    lines += (
        [""] + [f"- {_cell(line)}" for line in topology_lines(review)] if review.get("fabricTopology") else []
    )
    if review.get("costCaveats"):
        lines += ["", "**Cost caveats**", ""] + [f"- {c}" for c in review["costCaveats"]]
    if review.get("suppressed"):
        lines += ["", "**Accepted warnings** (`spec.suppress`)", ""]
        lines += [f"- `{s['id']}`: {s['reason']}" for s in review["suppressed"]]
    for entry in doc.get("configuration", []):
        hosts = list(entry["hosts"])
        lines += [
            "",
            f"<details><summary>Hosts of {entry['pool']} ({len(hosts)})</summary>",
            "",
            "\n".join(f"- `{h}`" for h in hosts),
            "",
            "</details>",
        ]
    return lines
