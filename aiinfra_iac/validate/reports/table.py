"""The verdict as a rich table: every failed and warned check, passes summed up on large fleets."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from aiinfra_iac.terminal import markup
from aiinfra_iac.validate.types import CheckResult, Verdict

STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red"}
SHOW_ALL_UP_TO = 40
"""Above this many checks, passing ones are summed up instead of listed."""


def _value(value: float | None, unit: str) -> str:
    return "" if value is None else f"{value:g} {unit}".strip()


def build_table(verdict: Verdict) -> Table:
    table = Table(title=f"aiinfra validate: {markup(verdict.cluster)}", show_lines=False)
    for column in ("status", "check", "node", "measured", "expected", "detail"):
        table.add_column(column, overflow="fold")
    rows: list[CheckResult] = list(verdict.checks)
    if len(rows) > SHOW_ALL_UP_TO:
        rows = [c for c in rows if c.status != "pass"]
    for c in sorted(rows, key=lambda c: ({"fail": 0, "warn": 1, "pass": 2}[c.status], c.id)):
        table.add_row(
            f"[{STYLE[c.status]}]{c.status.upper()}[/]",
            markup(c.id),
            markup(c.node),
            markup(_value(c.measured, c.unit)),
            markup(_value(c.expected, c.unit)),
            markup(c.detail),
        )
    return table


def print_verdict(verdict: Verdict, console: Console) -> None:
    console.print(build_table(verdict))
    counts = Counter(c.status for c in verdict.checks)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("pass", "warn", "fail"))
    if len(verdict.checks) > SHOW_ALL_UP_TO and counts["pass"]:
        summary += " (passing checks not listed)"
    console.print(f"verdict: [{STYLE[verdict.verdict]}]{verdict.verdict.upper()}[/] — {summary}")
