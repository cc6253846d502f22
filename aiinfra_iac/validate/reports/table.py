"""The verdict as rich tables: every check on small fleets; on large ones a summary per check
kind and pool plus the worst results (``--all`` lists every check)."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from aiinfra_iac.terminal import markup
from aiinfra_iac.validate.types import CheckResult, Verdict

STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red"}
SHOW_ALL_UP_TO = 40
"""Above this many checks the table summarises instead of listing (``--all`` lists them)."""
WORST_ROWS = 20
_ORDER = {"fail": 0, "warn": 1, "pass": 2}


def _value(value: float | None, unit: str) -> str:
    return "" if value is None else f"{value:g} {unit}".strip()


def _rows_table(title: str, rows: list[CheckResult]) -> Table:
    table = Table(title=title, show_lines=False)
    for column in ("status", "check", "node", "measured", "expected", "detail"):
        table.add_column(column, overflow="fold")
    for c in rows:
        table.add_row(
            f"[{STYLE[c.status]}]{c.status.upper()}[/]",
            markup(c.id),
            markup(c.node),
            markup(_value(c.measured, c.unit)),
            markup(_value(c.expected, c.unit)),
            markup(c.detail),
        )
    return table


def _sorted(checks: list[CheckResult]) -> list[CheckResult]:
    return sorted(checks, key=lambda c: (_ORDER[c.status], c.id))


def build_table(verdict: Verdict, *, show_all: bool = False) -> Table:
    """Every check (small fleets, or ``show_all``), else the failed and warned ones only."""
    rows = list(verdict.checks)
    if len(rows) > SHOW_ALL_UP_TO and not show_all:
        rows = [c for c in rows if c.status != "pass"]
    return _rows_table(f"aiinfra validate: {markup(verdict.cluster)}", _sorted(rows))


def summary_table(verdict: Verdict) -> Table:
    """One line per (kind, pool): how many passed, warned, failed, and the lowest measured value."""
    table = Table(title=f"aiinfra validate: {markup(verdict.cluster)} — summary")
    for column in ("kind", "pool", "pass", "warn", "fail", "lowest measured"):
        table.add_column(column)
    groups: dict[tuple[str, str], list[CheckResult]] = {}
    for c in verdict.checks:
        groups.setdefault((c.kind, c.pool), []).append(c)
    for (kind, pool), checks in sorted(groups.items()):
        counts = Counter(c.status for c in checks)
        measured = [c for c in checks if c.measured is not None]
        low = min(measured, key=lambda c: c.measured or 0.0) if measured else None
        table.add_row(
            kind,
            pool,
            str(counts["pass"]),
            f"[yellow]{counts['warn']}[/]" if counts["warn"] else "0",
            f"[bold red]{counts['fail']}[/]" if counts["fail"] else "0",
            markup(f"{_value(low.measured, low.unit)} ({low.node})") if low else "",
        )
    return table


def print_verdict(verdict: Verdict, console: Console, *, show_all: bool = False) -> None:
    large = len(verdict.checks) > SHOW_ALL_UP_TO and not show_all
    if large:
        console.print(summary_table(verdict))
        bad = _sorted([c for c in verdict.checks if c.status != "pass"])
        if bad:
            title = f"worst {min(WORST_ROWS, len(bad))} of {len(bad)} failed/warned checks"
            console.print(_rows_table(title, bad[:WORST_ROWS]))
    else:
        console.print(build_table(verdict, show_all=show_all))
    counts = Counter(c.status for c in verdict.checks)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("pass", "warn", "fail"))
    if large:
        summary += " (summarised: --all lists every check)"
    prov = verdict.provenance
    if prov is not None and prov.cpu_fallback:
        from aiinfra_iac.validate.provenance import CPU_BANNER

        console.print(f"[bold red]{CPU_BANNER}[/]")
    console.print(f"verdict: [{STYLE[verdict.verdict]}]{verdict.verdict.upper()}[/] — {summary}")
