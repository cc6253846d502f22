"""The Grafana dashboards and known-metric lists shipped in the package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DASHBOARDS_DIR = HERE / "dashboards"
METRICS_DIR = HERE / "metrics"


def dashboard_files() -> list[Path]:
    return sorted(DASHBOARDS_DIR.glob("*.json"))


def load_dashboard(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def queries(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression of the dashboard: panel targets and query variables."""
    out = [
        target["expr"]
        for panel in dashboard.get("panels", [])
        for target in panel.get("targets", [])
        if target.get("expr")
    ]
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable.get("query")
            out.append(query["query"] if isinstance(query, dict) else str(query))
    return out


def known_metrics(name: str) -> set[str]:
    """Names listed in ``metrics/<name>.txt`` (one per line, ``#`` comments)."""
    lines = (METRICS_DIR / f"{name}.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")}
