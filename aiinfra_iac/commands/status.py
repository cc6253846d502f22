"""``aiinfra status FILE [--format text|json]``: what the local chroot sandbox runs now.

Nodes (pool, role, address on the sandbox bridge, namespace, root, link fault), the services
started in each with their PID and state, and the settings where the sandbox differs from a
production node. Exit codes: 0 shown, 2 usage (not a chroot sandbox).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aiinfra_iac.commands._common import (
    BasesOption,
    BlueprintArgument,
    OutputFormat,
    StateDirOption,
    fail,
    stderr_console,
)
from aiinfra_iac.errors import EXIT_OK, AiinfraError, UsageError

if TYPE_CHECKING:  # `aiinfra --help` must not load the models (tests/test_cli_imports.py)
    from aiinfra_iac.plan.model import ClusterPlan


STATUS_SCHEMA_VERSION = 1
"""Version of ``status --format json``; raised when a key changes meaning or goes away."""


def command(
    file: BlueprintArgument,
    bases: BasesOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
    state_dir: StateDirOption = None,
) -> None:
    """Show the sandbox's nodes, addresses, services and their state (0 ok, 2 usage)."""
    from aiinfra_iac.commands._planload import exit_if_invalid_json, load_plan

    err = stderr_console()
    if output == OutputFormat.json:
        exit_if_invalid_json(file)
    try:
        from aiinfra_iac.provision import engine, sandbox
        from aiinfra_iac.provision.sandbox_status import collect

        plan = load_plan(file, err)
        if not sandbox.uses_chroot_sandbox(plan):
            raise UsageError(
                f"{file}: status applies to the chroot sandbox (provider: {{type: local, sandbox: chroot}})"
            )
        report = collect(plan, engine.usable_state_dir(state_dir))
        report["sandboxDifferences"] = sandbox_differences(plan)
    except AiinfraError as error:
        fail(error)
    if output == OutputFormat.json:
        typer.echo(json.dumps({"schemaVersion": STATUS_SCHEMA_VERSION, **report}, indent=2))
    else:
        typer.echo(_text(report))
    raise typer.Exit(EXIT_OK)


def _text(report: dict[str, Any]) -> str:
    net = report["network"]
    lines = [f"{report['cluster']}: {report['state']}"]
    if net:
        lines.append(f"bridge {net['bridge']} {net['gateway']} on {net['subnet']}, MTU {net['mtu']}")
    lines.append(f"{'NODE':<14} {'POOL':<10} {'ROLE':<10} {'ADDRESS':<15} {'ROOT':<8} LINK")
    for node in report["nodes"]:
        lines.append(
            f"{node['name']:<14} {node['pool']:<10} {node['role']:<10} {node['address'] or '-':<15} "
            f"{'ok' if node['root'] else 'missing':<8} {node['link']}"
        )
    if report["services"]:
        lines.append(f"{'NODE':<14} {'SERVICE':<16} {'PID':<8} STATE")
        for svc in report["services"]:
            lines.append(f"{svc['node']:<14} {svc['service']:<16} {svc['pid']:<8} {svc['state']}")
    for key, value in report.get("endpoints", {}).items():
        lines.append(f"{key}: {value}")
    if report["sandboxDifferences"]:
        lines.append("sandbox differences from a production node:")
        lines += [f"  - {d}" for d in report["sandboxDifferences"]]
    return "\n".join(lines)


def sandbox_differences(plan: ClusterPlan) -> list[str]:
    """Where a sandbox node differs from a production node, from the roles' one sandbox switch."""
    from aiinfra_iac.configure.rolevars import SANDBOX_NODE, SANDBOX_SLURM_VARS
    from aiinfra_iac.provision.sandbox_services import cgroup_mounts

    found = [
        "nodes are chroots with their own network namespace on a private bridge; daemons are started "
        "by aiinfra (no systemd inside), PIDs recorded for `down`",
        "no GPUs: validation runs the CPU fallback (numpy burn, TCP ring all-reduce) inside the nodes",
    ]
    if plan.scheduler.type == "slurm":
        cgroup = ", ".join(f"{fstype} at /{where}" for fstype, _, where in cgroup_mounts())
        found += [
            f"slurm role with slurm_sandbox={SANDBOX_SLURM_VARS['slurm_sandbox']}: "
            "ProctrackType=proctrack/linuxproc, TaskPlugin=task/none, JobAcctGatherType=jobacct_gather/none "
            "(production: cgroup plugins)",
            f"MpiDefault={SANDBOX_SLURM_VARS['slurm_mpi_default']} (production: pmix)",
            f"each compute node offers CPUs={SANDBOX_NODE['cpus']} "
            f"RealMemory={SANDBOX_NODE['real_memory']} MiB to Slurm",
            f"slurmd sees {cgroup} mounted in its root (its cgroup plugin needs one)",
            "Prometheus server installed on the controller by the sandbox (no role ships one)",
        ]
    return found
