"""What every validation kind provides (see :data:`aiinfra_iac.validate.kinds.KINDS`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan, ValidationCheckPlan
from aiinfra_iac.validate.rules.common import Target
from aiinfra_iac.validate.runners.commands import Step
from aiinfra_iac.validate.types import CheckResult

Figure = tuple[str, str]
"""(title, base64 PNG) of one plot of the HTML report."""


class Kind(ABC):
    """One validation kind: its parameters, steps, result files, parser, rule and plot."""

    name: str
    tool: str
    """The program a node needs (for the "tool missing" → unreachable cause)."""
    streams: bool = False
    """True: :meth:`parse` takes the file's lines one at a time (bounded memory on long logs)."""

    @abstractmethod
    def params(self, check: ValidationCheckPlan, pool: PoolPlan) -> Any:
        """The check's typed parameters (a frozen dataclass of :mod:`.params`)."""

    @abstractmethod
    def steps(self, plan: ClusterPlan, check: ValidationCheckPlan, pool: PoolPlan, node: str) -> list[Step]:
        """What a ``scope: node`` check runs on ``node`` (rdma: one side of each pair)."""

    @abstractmethod
    def files(
        self, plan: ClusterPlan, results_dir: Path, check: ValidationCheckPlan, pool: PoolPlan, node: str
    ) -> list[tuple[Path, str]]:
        """(result file, id suffix) for each result the check has on ``node`` (or ``_cluster``)."""

    @abstractmethod
    def parse(self, text: str | Iterable[str], check: ValidationCheckPlan) -> Any:
        """The tool's output (its lines where :attr:`streams`) → the parser's record (never raises)."""

    @abstractmethod
    def judge(self, plan: ClusterPlan, target: Target, parsed: Any) -> CheckResult:
        """The rule: the parsed record → pass/warn/fail with the measured value."""

    def facts(self, parsed: Any) -> dict[str, object]:
        """Provenance read from the output: tool versions (``{"nccl": "2.21.5"}``), ``gpus``, ``hcas``."""
        return {}

    def duration(self, parsed: Any) -> float | None:
        """Seconds the tool ran, where its output says (JUnit ``time``); None: not printed."""
        return None

    @abstractmethod
    def plot(
        self,
        plan: ClusterPlan,
        checks: list[ValidationCheckPlan],
        results: dict[str, list[CheckResult]],
        root: Path,
    ) -> list[Figure]:
        """The HTML report's plots for this kind's ``checks`` (``results`` by check id)."""
