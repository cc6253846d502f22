"""Preflight as the first step of ``up`` on AWS: problems stop ``up`` before anything is created."""

from __future__ import annotations

import datetime as dt

from rich.console import Console

from aiinfra_iac.catalog.aws_pins import load_aws_pins
from aiinfra_iac.errors import AiinfraError, MissingToolError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.preflight.aws_api import AwsApi, Boto3Api
from aiinfra_iac.preflight.checks import run_preflight


class PreflightFailed(AiinfraError):
    """AWS said no before anything was created (exit 1)."""


def preflight_gate(plan: ClusterPlan, console: Console, api: AwsApi | None = None) -> None:
    """Run preflight for an AWS plan; print what is not ok; raise PreflightFailed on problems.
    Without boto3 it says so and lets ``up`` go on (Pulumi reports the same problems, later)."""
    if plan.provider.type != "aws" or not plan.provider.region:
        return
    if api is None:
        try:
            api = Boto3Api(plan.provider.region, plan.provider.profile)
        except MissingToolError as error:
            console.print(f"preflight skipped: {error}", highlight=False)
            return
    report = run_preflight(plan, api, load_aws_pins(), dt.datetime.now(dt.UTC).date())
    for finding in report.findings:
        if finding.status != "ok":
            console.print(finding.line(), highlight=False, markup=False)
    if not report.ok:
        problems = sum(1 for f in report.findings if f.status == "problem")
        raise PreflightFailed(
            f"preflight found {problems} problem(s) in AWS for {plan.name}; nothing was created "
            "(details: aiinfra preflight FILE)"
        )
