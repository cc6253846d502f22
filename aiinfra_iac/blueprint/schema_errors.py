"""Pydantic ``ValidationError``s as blueprint problems with stable IDs (AI002-AI005).

Pydantic reports locations by alias (camelCase) plus, for unions, the name of the union
member (``float``, ``literal['auto']``); we walk the location along the data to keep only
the real keys and indexes, and merge the per-member errors of one field into one problem.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from aiinfra_iac.blueprint.locpath import LocPath, format_loc
from aiinfra_iac.blueprint.models import DNS1123_LABEL, HOST_PATTERN, SIZE_PATTERN
from aiinfra_iac.blueprint.patterns import PATTERN_MEANINGS
from aiinfra_iac.errors import Problem

Locator = Callable[[LocPath], tuple[str | None, int | None]]

_PATTERN_MEANINGS = {
    DNS1123_LABEL: "is not a DNS-1123 label: use lowercase letters, digits and '-', starting and ending "
    "with a letter or digit (at most 63 characters)",
    HOST_PATTERN: "is not a host name or IP address: use letters, digits, '-', '_' and '.' "
    "(no spaces or slashes), e.g. gpu-001 or 10.0.0.11",
    SIZE_PATTERN: "is not a size: use a number with an optional K, M, G or T suffix, e.g. 64M or 8G",
    r"^cr-[0-9a-f]{8,17}$": "is not an EC2 capacity reservation ID such as cr-0123456789abcdef0",
    r"^1\.[0-9]{2}$": 'is not a Kubernetes minor version such as "1.31" (quote it in YAML)',
    r"^[0-9]{3}$": 'is not a driver branch such as "580" (quote it in YAML)',
    r"^0x[0-9a-fA-F]{1,4}$": "is not a partition key such as 0x7fff",
    r"^/": "is not an absolute path (it must start with /)",
    **PATTERN_MEANINGS,
}

_RANGE_TYPES = {
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "string_pattern_mismatch",
    "literal_error",
    "enum",
    "too_short",
    "too_long",
    "string_too_short",
    "string_too_long",
    "multiple_of",
}


def problems_from_validation_error(
    error: ValidationError, data: Any, root: type[BaseModel], locate: Locator
) -> list[Problem]:
    """One problem per offending field, ordered as pydantic reports them."""
    grouped: dict[LocPath, list[dict[str, Any]]] = {}
    for detail in error.errors(include_url=False):
        path = _data_path(detail["loc"], data, missing=detail["type"] == "missing")
        grouped.setdefault(path, []).append(dict(detail))
    problems = []
    for path, details in grouped.items():
        problem_id, message = _describe(path, details, root)
        file, line = locate(path)
        problems.append(Problem(problem_id, format_loc(path), message, file, line))
    return problems


def _data_path(loc: tuple[int | str, ...], data: Any, *, missing: bool) -> LocPath:
    """Keep the parts of a pydantic loc that exist in the data (drop union-member tags)."""
    path: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if _has(current, part):
            path.append(part)
            current = current[part]
        elif last and missing and isinstance(part, str):
            path.append(part)
        else:
            current = None
    return tuple(path)


def _has(container: Any, part: int | str) -> bool:
    if isinstance(container, dict):
        return isinstance(part, str) and part in container
    if isinstance(container, list):
        return isinstance(part, int) and 0 <= part < len(container)
    return False


def _numeric_text(value: object) -> bool:
    """A string that YAML would have read as a number had it not been quoted ('2', "0.9")."""
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _describe(path: LocPath, details: list[dict[str, Any]], root: type[BaseModel]) -> tuple[str, str]:
    kinds = {detail["type"] for detail in details}
    first = details[0]
    if "extra_forbidden" in kinds:
        key = str(path[-1]) if path else ""
        allowed = allowed_keys(root, path[:-1])
        suggestion = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6) if allowed else []
        hint = f"; did you mean '{suggestion[0]}'?" if suggestion else ""
        listed = f" (allowed: {', '.join(allowed)})" if allowed and not suggestion else ""
        return "AI002", f"unknown key '{key}'{hint}{listed}"
    if "missing" in kinds:
        key = f"'{path[-1]}' " if path and isinstance(path[-1], str) else ""
        return "AI005", f"required key {key}is missing"
    if len(details) > 1:
        expected = " or ".join(_expected_of(detail) for detail in details)
        return "AI003", f"wrong value {_show(first.get('input'))}: expected {expected}"
    if first["type"] == "literal_error":
        allowed_values = re.findall(r"'([^']*)'", str(first.get("ctx", {}).get("expected", "")))
        closest = difflib.get_close_matches(str(first.get("input")), allowed_values, n=1, cutoff=0.5)
        hint = f"; did you mean '{closest[0]}'?" if closest else ""
        return (
            "AI004",
            f"{_show(first.get('input'))} is not allowed: use one of {', '.join(allowed_values)}{hint}",
        )
    if first["type"] == "string_pattern_mismatch":
        pattern = str(first.get("ctx", {}).get("pattern", ""))
        meaning = _PATTERN_MEANINGS.get(pattern, f"must match the pattern {pattern}")
        return "AI004", f"{_show(first.get('input'))} {meaning}"
    if first["type"] in _RANGE_TYPES:
        return "AI004", f"{_show(first.get('input'))}: {_lower(first['msg'])}"
    if first["type"] == "bool_type" and isinstance(first.get("input"), str):
        return "AI003", (
            f"wrong type {_show(first.get('input'))}: write true or false (unquoted; "
            "yes/no/on/off are text in YAML 1.2)"
        )
    if first["type"] in ("int_type", "float_type") and _numeric_text(first.get("input")):
        return "AI003", f"wrong type {_show(first.get('input'))}: write the number without quotes"
    if first["type"] == "string_type" and isinstance(first.get("input"), int | float | bool):
        field = str(path[-1]) if path else "value"
        return "AI003", (
            f"wrong type {_show(first.get('input'))}: YAML read a number or boolean where text is expected; "
            f'quote the value, e.g. {field}: "..."'
        )
    return "AI003", f"wrong type {_show(first.get('input'))}: {_lower(first['msg'])}"


def _expected_of(detail: dict[str, Any]) -> str:
    if detail["type"] == "literal_error":
        return str(detail.get("ctx", {}).get("expected", "a listed value"))
    message = str(detail["msg"])
    match = re.match(r"Input should be (a valid \w+|[^,]+)", message)
    return match.group(1) if match else _lower(message)


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "(a mapping)"
    if isinstance(value, list):
        return "(a list)"
    return repr(value)


def _lower(message: str) -> str:
    return message[:1].lower() + message[1:]


def allowed_keys(root: type[BaseModel], path: LocPath) -> list[str]:
    """The camelCase keys allowed at ``path`` (a mapping), or [] where it is not a model."""
    current: Any = root
    for part in path:
        model = _model_in(current)
        if model is None:
            if isinstance(part, int):
                current = _list_item_type(current)
                continue
            return []
        field = next(
            (info for name, info in model.model_fields.items() if (info.alias or name) == part),
            None,
        )
        if field is None:
            return []
        current = field.annotation
    model = _model_in(current)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for member in typing.get_args(annotation):
            model = _model_in(member)
            if model is not None:
                return model
    return None


def _list_item_type(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for member in typing.get_args(annotation):
            if typing.get_origin(member) is list:
                return typing.get_args(member)[0]
    if typing.get_origin(annotation) is list:
        return typing.get_args(annotation)[0]
    return None
