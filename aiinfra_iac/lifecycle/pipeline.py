"""The stages of ``aiinfra up``: provision → configure → validate, resumable per stack.

The command module handles the terminal (confirmation, exit codes); this module runs the stage
functions it is handed — a mapping from stage name to a callable, so tests (and other front
ends) pass their own — against a :class:`StageRecord`. Nothing is looked up by name.
An interrupt (SIGINT/SIGTERM → KeyboardInterrupt) stops the running stage, kills tracked child
process groups and becomes :class:`~aiinfra_iac.errors.Interrupted` saying where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from aiinfra_iac.childproc import kill_tracked
from aiinfra_iac.deployment import Deployment
from aiinfra_iac.deployment.paths import stack_name
from aiinfra_iac.errors import Interrupted, UsageError
from aiinfra_iac.lifecycle.stages import STAGES, Stage, StageRecord
from aiinfra_iac.plan.model import ClusterPlan


@dataclass
class UpOutcome:
    ran: list[Stage] = field(default_factory=list)
    skipped: list[Stage] = field(default_factory=list)
    verdict: Any = None
    """The validate stage's ``Verdict`` when it ran."""
    results_dir: Path | None = None

    @property
    def failed(self) -> bool:
        return self.verdict is not None and self.verdict.verdict == "fail"


@dataclass
class UpContext:
    """What every stage function gets: the plan, where state lives, and what earlier stages left."""

    plan: ClusterPlan
    state: Path
    console: Console
    outcome: UpOutcome
    results_dir: Path | None = None
    deployment: Deployment | None = None
    """Set by the provision stage; otherwise read from the state folder when a stage needs it."""
    configure_tags: tuple[str, ...] = ()
    """``--tags``: the configure stage runs only these concerns (and is then not recorded as done)."""

    @property
    def stack(self) -> str:
        return stack_name(self.plan)


StageFunction = Callable[[UpContext], None]


class Pipeline:
    def __init__(
        self,
        plan: ClusterPlan,
        *,
        state: Path,
        console: Console,
        stages: Mapping[Stage, StageFunction],
        results_dir: Path | None = None,
        configure_tags: tuple[str, ...] = (),
    ) -> None:
        missing = [s for s in STAGES if s not in stages]
        if missing:
            raise UsageError(f"no stage function for {', '.join(missing)}")
        self.plan = plan
        self.state = state
        self.console = console
        self.stages = stages
        self.results_dir = results_dir
        self.configure_tags = configure_tags

    def run(self, order: Sequence[Stage] = STAGES, *, resume: bool = True) -> UpOutcome:
        record = StageRecord.load(self.state, self.plan)
        outcome = UpOutcome()
        ctx = UpContext(
            self.plan,
            self.state,
            self.console,
            outcome,
            results_dir=self.results_dir,
            configure_tags=self.configure_tags,
        )
        for stage in order:
            if resume and record.is_done(stage):
                self.console.print(
                    f"{stage}: done earlier for this blueprint, skipped (`aiinfra down` resets)"
                )
                outcome.skipped.append(stage)
                continue
            try:
                self.stages[stage](ctx)
            except KeyboardInterrupt:
                killed = kill_tracked()
                done = ", ".join(outcome.ran + outcome.skipped) or "nothing"
                workers = f"; stopped {len(killed)} worker process group(s)" if killed else ""
                raise Interrupted(
                    f"interrupted during {stage} of {self.plan.name} (finished: {done}){workers}; "
                    "run `aiinfra up` again to resume"
                ) from None
            outcome.ran.append(stage)
            if outcome.failed:
                return outcome
            if stage == "configure" and self.configure_tags:
                tags = ", ".join(self.configure_tags)
                self.console.print(f"configure: ran {tags} only; the stage is not recorded as done")
                continue
            record.mark(stage)
        return outcome
