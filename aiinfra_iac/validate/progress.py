"""Progress while validation runs, on stderr: the phase, nodes (or results) done of the total,
the elapsed time, and for a burn the seconds left. Never on stdout (``--format json`` owns it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Advance = Callable[[int, int], None]
"""``(done, total)``: report how far a phase is."""


def countdown(ends_at: float, now: float) -> str:
    """``burn: 4:59 left`` until ``ends_at`` (monotonic seconds), then ``burn: finishing``."""
    left = int(ends_at - now + 0.999)
    if left <= 0:
        return "burn: finishing"
    return f"burn: {left // 60}:{left % 60:02d} left"


class ValidationProgress:
    """One progress line per phase; ``enabled=False`` (tests, quiet runs) draws nothing."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self.lines: list[str] = []
        """What each phase ended with (for logs and tests)."""

    @contextmanager
    def phase(
        self, name: str, total: int | None = None, *, burn_seconds: float | None = None
    ) -> Iterator[Advance]:
        started = time.monotonic()
        ends_at = started + burn_seconds if burn_seconds else None
        state = {"done": 0, "total": total or 0}
        if not self.enabled:
            yield lambda done, all_: state.update(done=done, total=all_)
            self._end(name, state, started)
            return
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[left]}"),
        )
        with Progress(*columns, console=self.console, transient=False) as bar:
            task = bar.add_task(name, total=total, left="")
            stop = threading.Event()

            def tick() -> None:
                while ends_at is not None and not stop.wait(0.5):
                    bar.update(task, left=countdown(ends_at, time.monotonic()))

            ticker = threading.Thread(target=tick, daemon=True)
            ticker.start()

            def advance(done: int, all_: int) -> None:
                state.update(done=done, total=all_)
                bar.update(task, completed=done, total=all_)

            try:
                yield advance
            finally:
                stop.set()
                ticker.join(timeout=1)
                bar.update(task, left="")
        self._end(name, state, started)

    def _end(self, name: str, state: dict[str, int], started: float) -> None:
        self.lines.append(f"{name}: {state['done']}/{state['total']} in {time.monotonic() - started:.1f} s")
