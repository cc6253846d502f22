"""slurm role: spec.teams turns on accounting storage (slurmdbd) that the sacctmgr accounts need.

Renders the role's own templates and ``set_fact`` expression; the real slurmdbd reading the rendered
slurmdbd.conf is in test_slurm_accounts_dbd.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from role_templates import ROLES, defaults, evaluate, render, set_fact_expression
from ruamel.yaml import YAML

TEAMS = [{"name": "pretrain", "priority": 200, "fairshare": 96, "gpu_limit": 128}]


def accounting_on(**overrides: Any) -> bool:
    expression = set_fact_expression("slurm", "main.yml", "_slurm_accounting")
    return evaluate(expression, {**defaults("slurm"), **overrides}) == "True"


def slurm_conf(**overrides: Any) -> str:
    variables = {
        **defaults("slurm"),
        "slurm_controller_hosts": ["ctl-0"],
        "_slurm_node_lines": [],
        **overrides,
    }
    variables["_slurm_accounting"] = accounting_on(**variables)
    return render("slurm", "slurm.conf.j2", variables)


def test_teams_turn_accounting_on_in_slurm_conf() -> None:
    conf = slurm_conf(slurm_teams=TEAMS)
    for line in (
        "AccountingStorageType=accounting_storage/slurmdbd",
        "AccountingStorageHost=ctl-0",
        "AccountingStoragePort=6819",
        "AccountingStorageEnforce=associations,limits,qos",
        "AccountingStorageTRES=gres/gpu",
        "PriorityType=priority/multifactor",
    ):
        assert f"\n{line}\n" in conf, line


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, False),
        ({"slurm_teams": TEAMS, "slurm_accounting": "disabled"}, False),
        ({"slurm_accounting": "enabled"}, True),
        ({"slurm_teams": TEAMS, "slurm_dbd_host": "dbd-1"}, True),
    ],
    ids=["no-teams", "teams-but-disabled", "enabled-without-teams", "external-dbd-host"],
)
def test_accounting_follows_teams_and_the_switch(overrides: dict[str, Any], expected: bool) -> None:
    conf = slurm_conf(**overrides)
    assert ("AccountingStorageType=" in conf) is expected
    if "slurm_dbd_host" in overrides:
        assert "\nAccountingStorageHost=dbd-1\n" in conf


def test_slurmdbd_conf_stores_into_the_local_mariadb() -> None:
    variables = {**defaults("slurm"), "inventory_hostname": "ctl-0", "_slurm_dbd_password": "s3cret"}
    conf = render("slurm", "slurmdbd.conf.j2", variables)
    for line in (
        "DbdHost=ctl-0",
        "DbdPort=6819",
        "SlurmUser=slurm",
        "StorageType=accounting_storage/mysql",
        "StorageHost=localhost",
        "StorageLoc=slurm_acct_db",
        "StoragePass=s3cret",
    ):
        assert f"\n{line}\n" in conf, line


def _tasks() -> dict[str, dict[str, Any]]:
    tasks = YAML(typ="safe").load((ROLES / "slurm" / "tasks" / "accounting.yml").read_text())
    return {task["name"]: task for task in tasks}


def test_the_database_password_stays_on_the_controller_and_out_of_logs() -> None:
    tasks = _tasks()
    written = tasks["Write slurmdbd.conf"]["ansible.builtin.template"]
    assert (written["owner"], written["mode"]) == ("slurm", "0600")  # slurmdbd refuses other modes
    generated = tasks["Generate the slurmdbd database password once"]
    assert (
        generated["ansible.builtin.copy"]["force"] is False
        and generated["ansible.builtin.copy"]["mode"] == "0600"
    )
    create = tasks["Create the slurmdbd database and user"]
    assert "_slurm_dbd_password" in create["ansible.builtin.command"]["stdin"]
    assert not any("password" in str(arg).lower() for arg in create["ansible.builtin.command"]["argv"])
    for name, task in tasks.items():
        if "password" in str(task).lower() and "Look for" not in name:
            assert task.get("no_log") is True, name


def test_accounting_runs_before_the_controller_starts() -> None:
    main = [t["name"] for t in YAML(typ="safe").load((ROLES / "slurm" / "tasks" / "main.yml").read_text())]
    assert main.index("Accounting storage (slurmdbd) on the first controller") < main.index(
        "Start the Slurm daemon"
    )
    assert main.index("Accounting storage (slurmdbd) on the first controller") < main.index(
        "Slurm accounts and QOS for the blueprint's teams"
    )
