"""The metric names a PromQL expression reads (enough of PromQL for dashboards and alert rules).

Not a full parser: strings, label matchers, range/offset durations, grouping clauses and Grafana
variables are removed, then every identifier that is not a function call or a keyword is a metric.
``promtool check rules`` validates the syntax separately (see the dashboard tests).
"""

from __future__ import annotations

import re

KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"}
    | {"inf", "nan", "atan2"}
)
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_VARIABLES = re.compile(r"\$\{[^}]*\}|\$\w+")
_IDENTIFIER = re.compile(r"(?<![\w.:])([A-Za-z_:][A-Za-z0-9_:]*)(?![\w:])(?!\s*\()")
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)")


def metric_names(expr: str) -> set[str]:
    """Metric names read by ``expr``; a Grafana ``label_values(metric…, label)`` query reads ``metric``."""
    found = _LABEL_VALUES.match(expr)
    if found:
        return {found.group(1)}
    text = _STRINGS.sub('""', expr)
    text = _VARIABLES.sub("x", text)
    while _MATCHERS.search(text):
        text = _MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    return {name for name in _IDENTIFIER.findall(text) if name not in KEYWORDS and not _is_number(name)}


def _is_number(name: str) -> bool:
    return name.lower() in ("inf", "nan") or bool(re.fullmatch(r"0x[0-9a-fA-F]+", name))
