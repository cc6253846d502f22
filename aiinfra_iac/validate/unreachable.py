"""Unreachable nodes in the results layout: ``DIR/<node>/unreachable.json``.

A runner that cannot reach a node (SSH/connection failure, the scheduler refused it) or finds a
tool missing on it writes this marker instead of result files: ``{"node", "cause", "tool"}``.
The judge then reports that node as ONE ``unreachable`` result carrying the cause, not one
"missing result file" per check, and ``validate`` exits 3 (the causes first on stderr).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from aiinfra_iac.validate.types import CheckResult

MARKER = "unreachable.json"
_MAX_BYTES = 16_384
"""Markers are small; a larger one is read up to here (results folders are untrusted input)."""


def mark(results_dir: Path, node: str, cause: str, tool: str | None = None) -> Path:
    """Write the marker of ``node`` (atomically: a temporary file renamed into place)."""
    folder = results_dir / node
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MARKER
    tmp = folder / f".{MARKER}.tmp"
    tmp.write_text(json.dumps({"node": node, "cause": cause, "tool": tool}) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def cause_of(results_dir: Path, node: str) -> str | None:
    """The recorded cause for ``node``, or None when the node was reached."""
    from aiinfra_iac.validate.safe_read import ResultReadError, read_result_file

    path = results_dir / node / MARKER
    if not os.path.lexists(path):
        return None
    try:
        raw = read_result_file(path, root=results_dir, cap=_MAX_BYTES)
    except ResultReadError as error:
        return f"marker {MARKER} not read: {error}"
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError:
        return f"marker {MARKER} is not JSON: {raw[:200]}"
    cause = doc.get("cause") if isinstance(doc, dict) else None
    return str(cause) if cause else "unreachable (no cause recorded)"


def result(node: str, pool: str, cause: str) -> CheckResult:
    """The one result an unreachable node gets."""
    return CheckResult(
        id=f"unreachable:{pool}:{node}",
        node=node,
        pool=pool,
        kind="unreachable",
        status="fail",
        measured=None,
        expected=None,
        unit="",
        detail=f"unreachable: {cause}",
    )
