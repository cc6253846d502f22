"""``dcgmi diag -j`` JSON → :class:`DcgmResult`.

Shapes, from DCGM's ``dcgmi/Diag.cpp`` and ``nvvs/include/NvvsJsonStrings.h``
(https://github.com/NVIDIA/DCGM; the 4.0 change is commit d2a3091 "DCGM 4.0"):

- DCGM 3.x: ``{"DCGM GPU Diagnostic": {"test_categories": [{"category", "tests": [{"name",
  "results": [{"gpu_id": "0", "status": "Pass", "warnings": [{"warning", "error_id", …}] | "…",
  "info": "…"}]}]}]}, "version": "3.x", "Driver Version Detected": …, "GPU Device IDs": […]}``
  (level-one tests have results without ``gpu_id``; older builds use ``gpu_ids``).
- DCGM 4.x: ``{"DCGM Diagnostic": {"test_categories": [{"category", "tests": [{"name",
  "results": [{"entity_group": "GPU", "entity_group_id": 1, "entity_id": 0, "status",
  "warnings": [{"warning", …}], "info": ["…"]}], "test_summary": {"status", …}}]}]},
  "entity_groups": […], "metadata": {"version": "4.x", …}}``.
- ``-i N`` iterations wrap runs as ``{"iterations": [<run>, …], "Overall Result": "Pass"|"Fail"}``.
- A failure to run: ``{"DCGM Diagnostic": {"version": …, "runtime_error": "…"}}``.

Statuses ``Pass``/``Fail``/``Warn``/``Skip``/``Not Run`` map to pass/fail/warn/skip/skip.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

from .types import DcgmResult, DcgmTest

Status = Literal["pass", "fail", "warn", "skip", "unknown"]
_STATUS: dict[str, Status] = {
    "pass": "pass",
    "fail": "fail",
    "warn": "warn",
    "warning": "warn",
    "skipped": "skip",
    "skip": "skip",
    "not run": "skip",
}
_ROOT_KEYS = ("DCGM Diagnostic", "DCGM GPU Diagnostic")


def parse_dcgm_diag(text: str) -> DcgmResult:
    """Parse ``dcgmi diag -j`` output (DCGM 3.x or 4.x), or its default text table. Never raises."""
    start = text.find("{")
    if start < 0:
        from .dcgm_text import looks_like_text_table, parse_dcgm_text

        if looks_like_text_table(text):
            return parse_dcgm_text(text)
        return DcgmResult(
            version=None,
            tests=(),
            problems=("no JSON object in dcgmi diag output, and no dcgmi text table either",),
        )
    try:
        doc = json.loads(text[start : text.rfind("}") + 1])
    except json.JSONDecodeError as exc:
        return DcgmResult(
            version=None,
            tests=(),
            problems=(f"invalid or truncated dcgmi diag JSON: {exc.msg} (line {exc.lineno})",),
        )
    if not isinstance(doc, dict):
        return DcgmResult(version=None, tests=(), problems=("dcgmi diag JSON: top level is not an object",))
    problems: list[str] = []
    tests: list[DcgmTest] = []
    version: str | None = None
    runs: list[object]
    iterations = doc.get("iterations")
    if isinstance(iterations, list):
        runs = list(iterations)
        if not runs:
            problems.append("dcgmi diag JSON: empty 'iterations' list")
    else:
        runs = [doc]
    for n, run in enumerate(runs):
        where = f"iterations[{n}]" if isinstance(iterations, list) else "top level"
        if not isinstance(run, dict):
            problems.append(f"dcgmi diag JSON {where}: not an object")
            continue
        version = version or _version(run)
        _parse_run(run, where, tests, problems)
    if not tests and not problems:
        overall = doc.get("Overall Result")
        warning = doc.get("warning")
        if isinstance(overall, str) and overall.lower() == "fail" and isinstance(warning, str):
            problems.append(f"dcgmi diag failed: {warning}")
        else:
            problems.append("dcgmi diag JSON: no test results")
    return DcgmResult(version=version, tests=tuple(tests), problems=tuple(problems))


def _version(run: dict[str, object]) -> str | None:
    meta = run.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("version"), str):
        return str(meta["version"])
    if isinstance(run.get("version"), str):
        return str(run["version"])
    for key in _ROOT_KEYS:
        body = run.get(key)
        if isinstance(body, dict) and isinstance(body.get("version"), str):
            return str(body["version"])
    return None


def _parse_run(run: dict[str, object], where: str, tests: list[DcgmTest], problems: list[str]) -> None:
    key = next((k for k in _ROOT_KEYS if k in run), None)
    if key is None:
        problems.append(f"dcgmi diag JSON {where}: no 'DCGM Diagnostic' / 'DCGM GPU Diagnostic' key")
        return
    body = run[key]
    if not isinstance(body, dict):
        problems.append(f"dcgmi diag JSON: '{key}' is a {type(body).__name__}, expected an object")
        return
    if isinstance(body.get("runtime_error"), str):
        problems.append(f"dcgmi diag did not run: {body['runtime_error']}")
    categories = body.get("test_categories")
    if categories is None:
        if "runtime_error" not in body:
            problems.append(f"dcgmi diag JSON: '{key}' has no 'test_categories'")
        return
    if not isinstance(categories, list):
        problems.append(f"dcgmi diag JSON: '{key}.test_categories' is not a list")
        return
    for ci, cat in enumerate(categories):
        if not isinstance(cat, dict) or not isinstance(cat.get("tests"), list):
            problems.append(f"dcgmi diag JSON: test_categories[{ci}] has no 'tests' list")
            continue
        category = str(cat.get("category", ""))
        for ti, test in enumerate(cat["tests"]):
            parsed = _parse_test(category, test, f"test_categories[{ci}].tests[{ti}]", problems)
            tests.extend(parsed)


def _parse_test(category: str, test: object, where: str, problems: list[str]) -> list[DcgmTest]:
    if not isinstance(test, dict):
        problems.append(f"dcgmi diag JSON: {where} is not an object")
        return []
    name = str(test.get("name", ""))
    results = test.get("results")
    summary = test.get("test_summary")
    if not isinstance(results, list):
        if isinstance(summary, dict):
            results = [summary]
        else:
            problems.append(f"dcgmi diag JSON: {where} ({name or 'unnamed'}) has no 'results' list")
            return []
    groups: dict[tuple[Status, str], list[int]] = {}
    for ri, res in enumerate(results):
        if not isinstance(res, dict):
            problems.append(f"dcgmi diag JSON: {where}.results[{ri}] is not an object")
            continue
        raw_status = res.get("status")
        status: Status = (
            _STATUS.get(raw_status.strip().lower(), "unknown") if isinstance(raw_status, str) else "unknown"
        )
        if status == "unknown":
            problems.append(f"dcgmi diag JSON: {name}: unknown status {raw_status!r}")
        info = _messages(res)
        gpu_ids = groups.setdefault((status, info), [])
        gpu_ids.extend(_gpu_ids(res))
    return [
        DcgmTest(category=category, name=name, status=status, gpu_ids=tuple(sorted(set(ids))), info=info)
        for (status, info), ids in groups.items()
    ]


def _gpu_ids(res: dict[str, object]) -> list[int]:
    group = res.get("entity_group")
    if "entity_id" in res:
        if isinstance(group, str) and group.upper() != "GPU":
            return []
        return _ints([res["entity_id"]])
    if "gpu_id" in res:
        return _ints([res["gpu_id"]])
    ids = res.get("gpu_ids")
    if isinstance(ids, list):
        return _ints(ids)
    if isinstance(ids, str):
        return _ints(ids.split(","))
    return []


def _ints(values: Sequence[object]) -> list[int]:
    out: list[int] = []
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool):
            out.append(v)
        elif isinstance(v, str) and v.strip().isdigit():
            out.append(int(v.strip()))
    return out


def _messages(res: dict[str, object]) -> str:
    parts: list[str] = []
    for key in ("warnings", "info"):
        value = res.get(key)
        items = value if isinstance(value, list) else [value] if value is not None else []
        for item in items:
            if isinstance(item, dict):
                msg = item.get("warning", item.get("msg"))
                if isinstance(msg, str) and msg:
                    parts.append(msg.strip())
            elif isinstance(item, str) and item:
                parts.append(item.strip())
    return "; ".join(parts)
