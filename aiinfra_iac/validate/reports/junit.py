"""JUnit XML: one ``<testcase>`` per check; fail → ``<failure>``, warn → passed with the warning
in ``<system-out>`` (JUnit has no warning state; CI must not go red on a warning)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from aiinfra_iac.validate.provenance import CPU_BANNER, Provenance
from aiinfra_iac.validate.types import CheckResult, Verdict


def _case(check: CheckResult, seconds: float) -> ET.Element:
    case = ET.Element(
        "testcase", {"classname": f"{check.pool}.{check.node}", "name": check.id, "time": f"{seconds:.3f}"}
    )
    props = ET.SubElement(case, "properties")
    for key, value in (("kind", check.kind), ("measured", check.measured), ("expected", check.expected)):
        ET.SubElement(props, "property", {"name": key, "value": "" if value is None else str(value)})
    ET.SubElement(props, "property", {"name": "unit", "value": check.unit})
    if check.status == "fail":
        failure = ET.SubElement(case, "failure", {"message": check.detail, "type": f"{check.kind}-fail"})
        failure.text = check.detail
    elif check.status == "warn":
        ET.SubElement(case, "system-out").text = f"WARN: {check.detail}"
    else:
        ET.SubElement(case, "system-out").text = check.detail
    return case


def _properties(prov: Provenance) -> ET.Element:
    """The suite's provenance: aiinfra version, blueprint + sha256, CPU fallback, per-node versions."""
    props = ET.Element("properties")
    pairs = [
        ("aiinfra.version", prov.aiinfra_version),
        ("blueprint", prov.blueprint or ""),
        ("blueprint.sha256", prov.blueprint_sha256 or ""),
        ("cpuFallback", CPU_BANNER if prov.cpu_fallback else "false"),
    ]
    for node, record in prov.nodes.items():
        versions = record.get("versions", {})
        if isinstance(versions, dict):
            pairs += [(f"{node}.{tool}", str(v)) for tool, v in sorted(versions.items())]
        for key in ("gpus", "hcas"):
            value = record.get(key)
            if isinstance(value, list) and value:
                pairs.append((f"{node}.{key}", ", ".join(map(str, value))))
    for name, value in pairs:
        ET.SubElement(props, "property", {"name": name, "value": value})
    return props


def to_junit(verdict: Verdict) -> str:
    """The verdict as a JUnit XML document (``<testsuites>`` with one suite per pool)."""
    pools: dict[str, list[CheckResult]] = {}
    for check in verdict.checks:
        pools.setdefault(check.pool, []).append(check)
    total_fail = sum(1 for c in verdict.checks if c.status == "fail")
    seconds = verdict.durations
    root = ET.Element(
        "testsuites",
        {
            "name": f"aiinfra validate {verdict.cluster}",
            "tests": str(len(verdict.checks)),
            "failures": str(total_fail),
            "time": f"{sum(seconds.values()):.3f}",
        },
    )
    prov = verdict.provenance
    for pool, checks in pools.items():
        failures = sum(1 for c in checks if c.status == "fail")
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": f"{verdict.cluster}.{pool}",
                "tests": str(len(checks)),
                "failures": str(failures),
                "errors": "0",
                "skipped": "0",
                "time": f"{sum(seconds.get(c.id, 0.0) for c in checks):.3f}",
                **({"timestamp": prov.timestamp} if prov else {}),
            },
        )
        if prov is not None:
            suite.append(_properties(prov))
        suite.extend(_case(c, seconds.get(c.id, 0.0)) for c in checks)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
