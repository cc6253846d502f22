"""``aiinfra preflight FILE [--format text|json]``: cloud-side checks before ``up``.

Asks AWS (boto3; ``AWS_ENDPOINT_URL`` is honoured) whether the blueprint can come up: the
instance types are offered in the AZ, the vCPU quotas cover the pools, the capacity
reservations exist, are active or scheduled and match type/AZ/count, placement groups fit,
the AMIs exist and the EKS version and add-on pins are offered. A check the endpoint cannot
answer is reported ``unverified`` with the resource it concerns.
Exit codes: 0 no problem (warnings and unverified allowed), 1 problems, 2 no credentials or usage.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from aiinfra_iac.commands._common import BasesOption, BlueprintArgument, OutputFormat, fail, stderr_console
from aiinfra_iac.errors import EXIT_FAILED, EXIT_OK, AiinfraError, UsageError


def command(
    file: BlueprintArgument,
    bases: BasesOption = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="text or json (one document on stdout).")
    ] = (OutputFormat.text),
) -> None:
    """Check offerings, quotas, reservations, AMIs and EKS pins in AWS (0 ok, 1 problems, 2 no creds)."""
    import datetime as dt

    from aiinfra_iac.commands._planload import exit_if_invalid_json, load_plan

    err = stderr_console()
    if format is OutputFormat.json:
        exit_if_invalid_json(file)
    try:
        from aiinfra_iac.catalog.aws_pins import load_aws_pins
        from aiinfra_iac.preflight.aws_api import Boto3Api
        from aiinfra_iac.preflight.checks import run_preflight

        plan = load_plan(file, err)
        provider = plan.provider
        if provider.type != "aws" or not provider.region:
            raise UsageError(
                f"{file}: preflight checks AWS blueprints; spec.provider.type is {provider.type}"
            )
        api = Boto3Api(provider.region, provider.profile)
        report = run_preflight(plan, api, load_aws_pins(), dt.datetime.now(dt.UTC).date())
    except AiinfraError as error:
        fail(error)
    if format is OutputFormat.json:
        typer.echo(json.dumps(report.as_json(), indent=2))
    else:
        typer.echo(report.text())
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)
