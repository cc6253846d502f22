"""Pieces every rule shares: the bandwidth thresholds and the result of a missing or unreadable file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiinfra_iac.blueprint.models import ValidationRules
from aiinfra_iac.plan.model import ValidationCheckPlan
from aiinfra_iac.validate.safe_read import (
    ResultLines,
    ResultReadError,
    cap_for,
    open_result_lines,
    read_result_file,
)
from aiinfra_iac.validate.types import CheckResult, CheckStatus


@dataclass(frozen=True)
class Target:
    """What one result is judged for: the plan's check on one node (or ``_cluster``)."""

    check: ValidationCheckPlan
    node: str
    path: Path
    suffix: str = ""
    """Extra id part where a node has several results for one check (the RDMA device)."""
    root: Path | None = None
    """The results folder: the file is read only when its real path lies inside it."""

    @property
    def id(self) -> str:
        parts = [self.check.id, self.node] + ([self.suffix] if self.suffix else [])
        return ":".join(parts)

    def result(
        self,
        status: CheckStatus,
        detail: str,
        *,
        measured: float | None = None,
        expected: float | None = None,
    ) -> CheckResult:
        return CheckResult(
            id=self.id,
            node=self.node,
            pool=self.check.pool,
            kind=self.check.kind,
            status=status,
            measured=measured,
            expected=expected if expected is not None else self.check.expected,
            unit=self.check.unit,
            detail=detail,
        )


def read_result(target: Target) -> str | CheckResult:
    """The file's text, or a failed check when it is missing, unreadable or oversized
    (bounded, regular files inside the results folder only: :mod:`aiinfra_iac.validate.safe_read`)."""
    try:
        return read_result_file(target.path, root=target.root, cap=cap_for(target.check.kind))
    except ResultReadError as error:
        return target.result("fail", error.detail)


def open_result(target: Target) -> ResultLines | CheckResult:
    """The file opened for reading line by line (:class:`ResultLines`, a context manager), or the
    same failed check as :func:`read_result`; iterating it may still raise :class:`ResultReadError`
    when the file grows past the cap while it is read."""
    try:
        return open_result_lines(target.path, root=target.root, cap=cap_for(target.check.kind))
    except ResultReadError as error:
        return target.result("fail", error.detail)


def problems_result(target: Target, tool: str, problems: tuple[str, ...]) -> CheckResult:
    return target.result("fail", f"{tool} output in {target.path.name} is unusable: {'; '.join(problems)}")


def judge_bandwidth(
    target: Target, measured: float, rules: ValidationRules, what: str, pass_detail: str = ""
) -> CheckResult:
    """fail below ``failBelow x expected``, warn below ``warnBelow x expected``, else pass."""
    expected = target.check.expected
    unit = target.check.unit
    if expected is None or expected <= 0:
        return target.result(
            "pass", f"{what} {measured:g} {unit} (no expectation set){pass_detail}", measured=measured
        )
    ratio = measured / expected
    text = f"{what} {measured:g} {unit} = {ratio:.0%} of expected {expected:g} {unit}"
    if measured < rules.fail_below * expected:
        return target.result("fail", f"{text}, below failBelow {rules.fail_below:g}", measured=measured)
    if measured < rules.warn_below * expected:
        return target.result("warn", f"{text}, below warnBelow {rules.warn_below:g}", measured=measured)
    return target.result("pass", text + pass_detail, measured=measured)
