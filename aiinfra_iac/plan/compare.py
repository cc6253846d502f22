"""``aiinfra plan FILE --compare OLD.json``: what changes between two plan documents.

Works on the JSON documents only (the old one is typically ``plan --format json`` of the
blueprint on the main branch), so it needs neither the old blueprint nor its bases.
"""

from __future__ import annotations

from typing import Any


def _resources(doc: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {(r["type"], r["name"]): r.get("inputs") for r in doc.get("resources", [])}


def _hosts(doc: dict[str, Any]) -> dict[str, list[str]]:
    return {entry["pool"]: list(entry["hosts"]) for entry in doc.get("configuration", [])}


def _flatten(data: Any, prefix: str) -> dict[str, Any]:
    if isinstance(data, dict):
        found: dict[str, Any] = {}
        for key, value in data.items():
            found.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return found
    return {prefix: data}


def _settings(doc: dict[str, Any]) -> dict[str, Any]:
    pools = {p["pool"]: p for p in doc.get("review", {}).get("pools", [])}
    found: dict[str, Any] = {}
    for name, pool in pools.items():
        found.update(_flatten({k: v for k, v in pool.items() if k != "pool"}, f"pools.{name}"))
    found.update(_flatten(doc.get("review", {}).get("rules", {}), "rules"))
    return found


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``{resources: {added, removed, changed}, hosts: {pool: {added, removed}}, settings: [...], cost}``."""
    old_res, new_res = _resources(old), _resources(new)
    resources = {
        "added": [f"{t} {n}" for t, n in sorted(new_res.keys() - old_res.keys())],
        "removed": [f"{t} {n}" for t, n in sorted(old_res.keys() - new_res.keys())],
        "changed": [
            f"{t} {n}"
            for t, n in sorted(old_res.keys() & new_res.keys())
            if old_res[(t, n)] != new_res[(t, n)]
        ],
    }
    old_hosts, new_hosts = _hosts(old), _hosts(new)
    hosts = {}
    for pool in sorted(old_hosts.keys() | new_hosts.keys()):
        before, after = old_hosts.get(pool, []), new_hosts.get(pool, [])
        added = [h for h in after if h not in set(before)]
        removed = [h for h in before if h not in set(after)]
        if added or removed:
            hosts[pool] = {"added": added, "removed": removed}
    old_set, new_set = _settings(old), _settings(new)
    settings = [
        {"setting": key, "old": old_set.get(key), "new": new_set.get(key)}
        for key in sorted(old_set.keys() | new_set.keys())
        if old_set.get(key) != new_set.get(key)
    ]
    old_cost = old.get("summary", {}).get("estimatedHourlyUSD", 0.0)
    new_cost = new.get("summary", {}).get("estimatedHourlyUSD", 0.0)
    return {
        "resources": resources,
        "hosts": hosts,
        "settings": settings,
        "cost": {
            "oldHourlyUSD": old_cost,
            "newHourlyUSD": new_cost,
            "deltaHourlyUSD": round(new_cost - old_cost, 2),
        },
    }


def is_empty(diff: dict[str, Any]) -> bool:
    return (
        not any(diff["resources"].values())
        and not diff["hosts"]
        and not diff["settings"]
        and diff["cost"]["deltaHourlyUSD"] == 0
    )


def compare_lines(diff: dict[str, Any]) -> list[str]:
    """Plain lines (Markdown list items) describing the changes."""
    if is_empty(diff):
        return ["- no changes"]
    lines: list[str] = []
    for kind in ("added", "removed", "changed"):
        for item in diff["resources"][kind]:
            lines.append(f"- resource {kind}: `{item}`")
    for pool, change in diff["hosts"].items():
        if change["added"]:
            lines.append(f"- pool {pool}: +{len(change['added'])} host(s): {', '.join(change['added'])}")
        if change["removed"]:
            lines.append(f"- pool {pool}: -{len(change['removed'])} host(s): {', '.join(change['removed'])}")
    for item in diff["settings"]:
        lines.append(f"- `{item['setting']}`: {item['old']!r} → {item['new']!r}")
    cost = diff["cost"]
    if cost["deltaHourlyUSD"]:
        lines.append(
            f"- cost: ${cost['oldHourlyUSD']:,.2f}/h → ${cost['newHourlyUSD']:,.2f}/h "
            f"({cost['deltaHourlyUSD']:+,.2f})"
        )
    return lines
