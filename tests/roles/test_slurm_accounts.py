"""spec.teams on Slurm: the desired accounts/QOS state and the sacctmgr converger (against a fake slurmdbd).

No slurmdbd runs in this sandbox (Debian's slurm-client has sacctmgr, but accounting needs slurmdbd and a
database), so the converger is exercised against an in-memory stand-in that answers ``sacctmgr -nP show``
in sacctmgr's parsable format and applies ``add``/``modify`` the way sacctmgr records them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest

from aiinfra_iac.blueprint.models import TeamQuota
from aiinfra_iac.configure.rolevars import slurm_teams
from aiinfra_iac.plan.model import TeamPlan

SCRIPT = Path(__file__).parents[2] / "roles" / "slurm" / "files" / "aiinfra-slurm-accounts.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("aiinfra_slurm_accounts", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


accounts = _load()


class FakeSlurmdbd:
    """QOS and account associations as slurmdbd keeps them; records every mutating call."""

    def __init__(self) -> None:
        self.qos: dict[str, dict[str, str]] = {"normal": {"priority": "0", "tres": ""}}
        self.accounts: dict[str, dict[str, str]] = {"root": {"share": "1", "qos": "normal", "def": ""}}
        self.mutations: list[list[str]] = []
        self.gpu_tres = True

    def __call__(self, args: Sequence[str]) -> str:
        args = list(args)
        if args[:3] == ["-nP", "show", "tres"]:
            return "cpu|\nmem|\n" + ("gres|gpu\n" if self.gpu_tres else "")
        if args[:3] == ["-nP", "show", "qos"]:
            return "".join(f"{n}|{q['priority']}|{q['tres']}\n" for n, q in self.qos.items())
        if args[:3] == ["-nP", "show", "assoc"]:
            assert args[3:5] == ["where", "cluster=gpu-slurm"], args  # separate argv words, as sacctmgr needs
            return "".join(f"{n}||{a['share']}|{a['qos']}|{a['def']}\n" for n, a in self.accounts.items())
        assert args[0] == "-i", args
        self.mutations.append(args[1:])
        settings = dict(a.split("=", 1) for a in args if "=" in a and a[0].isupper())
        if args[1:3] == ["add", "qos"]:
            self.qos[args[3]] = {"priority": settings["Priority"], "tres": ""}
            self._tres(args[3], settings)
        elif args[1:3] == ["modify", "qos"]:
            name = args[4].removeprefix("name=")
            self.qos[name]["priority"] = settings["Priority"]
            self._tres(name, settings)
        elif args[1:3] == ["add", "account"]:
            self.accounts[args[3]] = {
                "share": settings["Fairshare"],
                "qos": settings["QOS"],
                "def": settings["DefaultQOS"],
            }
        elif args[1:3] == ["modify", "account"]:
            name = args[4].removeprefix("name=")
            self.accounts[name] = {
                "share": settings["Fairshare"],
                "qos": settings["QOS"],
                "def": settings["DefaultQOS"],
            }
        else:
            raise AssertionError(args)
        return ""

    def _tres(self, name: str, settings: dict[str, str]) -> None:
        value = settings["GrpTRES"].removeprefix("gres/gpu=")
        self.qos[name]["tres"] = "" if value == "-1" else f"gres/gpu={value}"


def _team(name: str, gpus: int, priority: int, borrowing: int | None) -> TeamPlan:
    quota = TeamQuota(pool="train", gpus=gpus, borrowing_limit=borrowing)
    return TeamPlan(name=name, namespace=name, cohort="c", priority=priority, quotas=(quota,))


def _desired(teams: tuple[TeamPlan, ...]) -> dict[str, object]:
    from tests.provision.plans import aws_p4d_slurm

    plan = aws_p4d_slurm().model_copy(update={"name": "gpu-slurm", "teams": teams})
    return {"cluster": plan.name, "teams": slurm_teams(plan)}


TEAMS = (_team("pretrain", 24, 200, None), _team("finetune", 8, 100, 8))


def test_teams_render_the_desired_accounts_state() -> None:
    assert _desired(TEAMS)["teams"] == [
        {"name": "pretrain", "priority": 200, "fairshare": 24, "gpu_limit": -1},
        {"name": "finetune", "priority": 100, "fairshare": 8, "gpu_limit": 16},
    ]


def test_converge_creates_then_changes_nothing() -> None:
    dbd = FakeSlurmdbd()
    first = accounts.converge(_desired(TEAMS), dbd, check=False)
    assert first["changed"] is True
    assert first["commands"] == [
        ["add", "qos", "pretrain", "Priority=200", "GrpTRES=gres/gpu=-1"],
        [
            "add",
            "account",
            "pretrain",
            "Cluster=gpu-slurm",
            "Description=aiinfra team pretrain",
            "Organization=aiinfra",
            "Fairshare=24",
            "QOS=pretrain",
            "DefaultQOS=pretrain",
        ],
        ["add", "qos", "finetune", "Priority=100", "GrpTRES=gres/gpu=16"],
        [
            "add",
            "account",
            "finetune",
            "Cluster=gpu-slurm",
            "Description=aiinfra team finetune",
            "Organization=aiinfra",
            "Fairshare=8",
            "QOS=finetune",
            "DefaultQOS=finetune",
        ],
    ]
    assert dbd.qos["finetune"] == {"priority": "100", "tres": "gres/gpu=16"}
    second = accounts.converge(_desired(TEAMS), dbd, check=False)
    assert second == {"changed": False, "commands": []}
    assert len(dbd.mutations) == 4


def test_a_changed_team_is_modified_and_check_mode_changes_nothing() -> None:
    dbd = FakeSlurmdbd()
    accounts.converge(_desired(TEAMS), dbd, check=False)
    changed = (_team("pretrain", 32, 300, 0), TEAMS[1])
    preview = accounts.converge(_desired(changed), dbd, check=True)
    assert preview["commands"] == [
        ["modify", "qos", "where", "name=pretrain", "set", "Priority=300", "GrpTRES=gres/gpu=32"],
        [
            "modify",
            "account",
            "where",
            "name=pretrain",
            "cluster=gpu-slurm",
            "set",
            "Fairshare=32",
            "QOS=pretrain",
            "DefaultQOS=pretrain",
        ],
    ]
    assert len(dbd.mutations) == 4  # --check ran nothing
    accounts.converge(_desired(changed), dbd, check=False)
    assert accounts.converge(_desired(changed), dbd, check=False)["changed"] is False


def test_parsers_read_sacctmgr_parsable_output() -> None:
    qos = accounts.parse_qos("normal|0|\npretrain|200|cpu=64,gres/gpu=128\n")
    assert qos == {
        "normal": {"priority": 0, "gpu_limit": -1},
        "pretrain": {"priority": 200, "gpu_limit": 128},
    }
    assoc = accounts.parse_accounts(
        "pretrain||96|pretrain,normal|pretrain\npretrain|alice|1|pretrain|pretrain\n"
    )
    assert assoc == {"pretrain": {"fairshare": 96, "qos": ["normal", "pretrain"], "default_qos": "pretrain"}}


def test_without_slurmdbd_the_script_exits_2_with_a_reason(tmp_path: Path) -> None:
    state = tmp_path / "accounts.json"
    state.write_text(json.dumps(_desired(TEAMS)))
    env = {**os.environ, "PATH": str(tmp_path)}  # no sacctmgr on PATH
    proc = subprocess.run([sys.executable, str(SCRIPT), str(state)], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["changed"] is False and "sacctmgr" in json.loads(proc.stdout)["error"]


@pytest.mark.parametrize("name", ["accounts.yml"])
def test_role_includes_the_accounts_tasks_on_the_controller(name: str) -> None:
    main = (SCRIPT.parents[1] / "tasks" / "main.yml").read_text()
    assert f"include_tasks: {name}" in main and "slurm_node_role == 'controller'" in main


@pytest.mark.skipif(
    shutil.which("sacctmgr") is None, reason="sacctmgr not installed (apt-get install slurm-client)"
)
def test_real_sacctmgr_without_slurmdbd_is_reported_not_crashed(tmp_path: Path) -> None:
    """Debian's sacctmgr pointed at a slurmdbd that is not there (loopback port 1, refused at once):
    exit 2 and sacctmgr's own reason, no traceback."""
    state = tmp_path / "accounts.json"
    state.write_text(json.dumps(_desired(TEAMS)))
    conf = tmp_path / "slurm.conf"
    conf.write_text(
        "ClusterName=gpu-slurm\nSlurmctldHost=localhost\n"
        "AccountingStorageType=accounting_storage/slurmdbd\nAccountingStorageHost=127.0.0.1\n"
        "AccountingStoragePort=1\n"
    )
    env = {**os.environ, "SLURM_CONF": str(conf)}
    proc = subprocess.run([sys.executable, str(SCRIPT), str(state)], capture_output=True, text=True, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error.startswith("sacctmgr -nP show tres") and "Connection refused" in error


def test_without_the_gpu_tres_nothing_is_written_and_the_fix_is_named() -> None:
    dbd = FakeSlurmdbd()
    dbd.gpu_tres = False
    with pytest.raises(RuntimeError, match="AccountingStorageTRES=gres/gpu"):
        accounts.converge(_desired(TEAMS), dbd, check=False)
    assert dbd.mutations == []
