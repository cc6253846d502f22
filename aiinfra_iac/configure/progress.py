"""Per-host progress of an Ansible run, fed by ansible-runner's event stream.

:class:`RunTracker` is the ``event_handler`` given to ``ansible_runner.run``: it counts each host's
finished tasks (``runner_on_ok/failed/skipped/unreachable``; loop items are not tasks), keeps the
failing task and message of every host, reads the final recap (``playbook_on_stats``) and redraws a
rich progress display on stderr. With many hosts the display shows one row per pool instead of one
per host; the tracker keeps every host either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from aiinfra_iac.terminal import markup

TASK_END_EVENTS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_skipped": "skipped",
    "runner_on_unreachable": "unreachable",
}
PER_HOST_ROWS_MAX = 16
"""Up to this many hosts the display has one row per host, above it one row per pool."""
SUMMARY_ROWS_MAX = 50
"""Up to this many hosts the summary table lists all of them, above it only the hosts with problems."""


@dataclass
class HostProgress:
    """What one host did during the run."""

    name: str
    pool: str
    expected_tasks: int
    done: int = 0
    ok: int = 0
    changed: int = 0
    failed: int = 0
    skipped: int = 0
    unreachable: bool = False
    finished: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(task name, message) of every failed task, or the unreachable message."""

    @property
    def status(self) -> str:
        if self.unreachable:
            return "unreachable"
        if self.failed:
            return "failed"
        if self.changed:
            return "changed"
        return "ok" if self.finished else "running"


def _message(res: Mapping[str, Any]) -> str:
    for key in ("msg", "stderr", "module_stderr", "stdout"):
        value = res.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().splitlines()[-1][:300]
    return "no message"


class RunTracker:
    """Counts tasks per host from ansible-runner events and draws the progress display."""

    def __init__(
        self,
        hosts: Mapping[str, str],
        expected_tasks: Mapping[str, int],
        *,
        console: Console | None = None,
        title: str = "configure",
    ) -> None:
        """``hosts`` maps host → pool; ``expected_tasks`` pool → estimated tasks per host."""
        self.hosts = {h: HostProgress(h, pool, expected_tasks.get(pool, 1)) for h, pool in hosts.items()}
        self.console = console
        self.recap_seen = False
        self._per_host = len(self.hosts) <= PER_HOST_ROWS_MAX
        self._progress: Progress | None = None
        self._rows: dict[str, TaskID] = {}
        self._aggregates: dict[str, dict[str, int]] = {}
        if console is not None:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[state]}"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )
            for row, total in self._row_totals().items():
                self._rows[row] = self._progress.add_task(f"{title} {markup(row)}", total=total, state="")

    # ------------------------------------------------------------------ rows

    def _row_of(self, host: HostProgress) -> str:
        return host.name if self._per_host else f"pool {host.pool}"

    def _row_totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for host in self.hosts.values():
            row = self._row_of(host)
            totals[row] = totals.get(row, 0) + host.expected_tasks
        return totals

    def _refresh(self, host: HostProgress) -> None:
        if self._progress is None:
            return
        row = self._row_of(host)
        if self._per_host:
            done, total, state = host.done, max(host.expected_tasks, host.done), host.status
        else:
            agg = self._aggregate(row)
            done, total = agg["done"], max(agg["total"], agg["done"])
            state = f"{agg['finished']}/{agg['hosts']} hosts done" + (
                f", {agg['bad']} failed" if agg["bad"] else ""
            )
        self._progress.update(self._rows[row], completed=done, total=total, state=state)

    def _aggregate(self, row: str) -> dict[str, int]:
        agg = self._aggregates.get(row)
        if agg is None:
            members = [h for h in self.hosts.values() if self._row_of(h) == row]
            agg = {"done": 0, "total": sum(h.expected_tasks for h in members), "finished": 0, "bad": 0}
            agg["hosts"] = len(members)
            self._aggregates[row] = agg
        return agg

    def _count(self, host: HostProgress, *, done: int = 0, finished: bool = False, bad: bool = False) -> None:
        """Keep the pool rows' sums up to date without rescanning every host on every event."""
        if self._per_host or self._progress is None:
            return
        agg = self._aggregate(self._row_of(host))
        agg["done"] += done
        agg["finished"] += int(finished)
        agg["bad"] += int(bad)

    # ------------------------------------------------------------------ events

    def __call__(self, event: Mapping[str, Any]) -> bool:
        """ansible-runner event handler; returns True so runner keeps writing the event to disk."""
        self.handle(event)
        return True

    def handle(self, event: Mapping[str, Any]) -> None:
        kind = event.get("event")
        data = event.get("event_data") or {}
        if kind == "playbook_on_stats":
            self._apply_recap(data)
            return
        outcome = TASK_END_EVENTS.get(str(kind))
        if outcome is None:
            return
        host = self.hosts.get(str(data.get("host", "")))
        if host is None:
            return
        res = data.get("res") or {}
        host.done += 1
        was_bad = host.failed > 0 or host.unreachable
        if outcome == "unreachable":
            host.unreachable = True
            host.failures.append((str(data.get("task", "")), _message(res)))
        elif outcome == "failed" and not data.get("ignore_errors"):
            host.failed += 1
            host.failures.append((str(data.get("task", "")), _message(res)))
        elif outcome == "ok":
            host.ok += 1
            if res.get("changed"):
                host.changed += 1
        elif outcome == "skipped":
            host.skipped += 1
        now_bad = host.failed > 0 or host.unreachable
        newly_finished = now_bad and not was_bad and not host.finished
        host.finished = host.finished or now_bad
        self._count(host, done=1, finished=newly_finished, bad=now_bad and not was_bad)
        self._refresh(host)

    def _apply_recap(self, data: Mapping[str, Any]) -> None:
        """The recap is authoritative for the per-host counters; the task events stay for messages."""
        self.recap_seen = True

        def count(key: str, name: str) -> int:
            value = (data.get(key) or {}).get(name, 0)
            return int(value)

        for name, host in self.hosts.items():
            host.ok = count("ok", name)
            host.changed = count("changed", name)
            host.failed = count("failures", name)
            host.skipped = count("skipped", name)
            host.unreachable = host.unreachable or count("dark", name) > 0
            host.done = max(host.done, host.expected_tasks)
            host.finished = True
        for row, agg in self._aggregates.items():
            members = [h for h in self.hosts.values() if self._row_of(h) == row]
            agg.update(
                done=sum(h.done for h in members),
                finished=len(members),
                bad=sum(1 for h in members if h.failed or h.unreachable),
            )
        refreshed: set[str] = set()
        for host in self.hosts.values():
            row = self._row_of(host)
            if row not in refreshed:
                refreshed.add(row)
                self._refresh(host)

    # ------------------------------------------------------------------ display

    def start(self) -> None:
        if self._progress is not None:
            self._progress.start()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()

    def summary_table(self, *, check: bool = False) -> Table:
        """ok/changed/failed/skipped/unreachable per host (only the problem hosts when there are many)."""
        title = "configure (check mode)" if check else "configure"
        table = Table(title=title, title_justify="left")
        for column in ("host", "pool", "ok", "changed" if not check else "would change", "failed", "skipped"):
            table.add_column(column, justify="right" if column not in ("host", "pool") else "left")
        table.add_column("status")
        rows: Sequence[HostProgress] = list(self.hosts.values())
        if len(rows) > SUMMARY_ROWS_MAX:
            rows = [h for h in rows if h.failed or h.unreachable]
        for host in rows:
            table.add_row(
                markup(host.name),
                markup(host.pool),
                str(host.ok),
                str(host.changed),
                str(host.failed),
                str(host.skipped),
                host.status,
            )
        if len(rows) < len(self.hosts):
            changed = sum(1 for h in self.hosts.values() if h.changed)
            table.caption = f"{len(self.hosts)} hosts, {changed} changed; only hosts with problems listed"
        return table
