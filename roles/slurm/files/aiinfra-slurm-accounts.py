#!/usr/bin/env python3
"""Bring Slurm's accounts and QOS to the desired state aiinfra rendered from ``spec.teams``.

Reads the desired-state JSON (``/etc/slurm/aiinfra-accounts.json``), reads what slurmdbd holds with
``sacctmgr -nP show qos`` / ``show assoc``, and runs only the ``sacctmgr -i`` commands that differ, so
a second run changes nothing. Prints one JSON line: {"changed": bool, "commands": [[...], ...]}.
``--check`` prints the commands without running them. Exit 2 when sacctmgr cannot reach slurmdbd.

Mapping (one QOS and one account per team, both named after the team):
* QOS Priority = team priority; QOS GrpTRES=gres/gpu=<quota + borrowing limit> caps the team's GPUs
  (-1 = no cap when the team may borrow without limit);
* account Fairshare = the team's guaranteed GPUs, so the multifactor priority plugin favours a team
  that used less than its share; the account's QOS list and default QOS are the team's QOS.
sacctmgr reference: https://slurm.schedmd.com/sacctmgr.html ; QOS limits: https://slurm.schedmd.com/qos.html
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable, Sequence

Runner = Callable[[Sequence[str]], str]
QOS_FORMAT = "format=Name,Priority,GrpTRES"
ASSOC_FORMAT = "format=Account,User,Fairshare,QOS,DefaultQOS"


def gpu_limit(tres: str) -> int:
    """The gres/gpu count of a GrpTRES string (``cpu=4,gres/gpu=16``); -1 when there is none."""
    for item in tres.split(","):
        key, _, value = item.partition("=")
        if key == "gres/gpu" and value:
            return int(value)
    return -1


def parse_qos(text: str) -> dict[str, dict[str, int]]:
    out = {}
    for line in text.splitlines():
        fields = line.split("|")
        if len(fields) >= 3 and fields[0]:
            out[fields[0]] = {"priority": int(fields[1] or 0), "gpu_limit": gpu_limit(fields[2])}
    return out


def parse_accounts(text: str) -> dict[str, dict[str, object]]:
    """Account-level associations (empty user) of the cluster: fairshare, QOS list, default QOS."""
    out: dict[str, dict[str, object]] = {}
    for line in text.splitlines():
        fields = line.split("|")
        if len(fields) >= 5 and fields[0] and not fields[1]:
            share = fields[2]
            out[fields[0]] = {
                "fairshare": int(share) if share.isdigit() else share,
                "qos": sorted(q for q in fields[3].split(",") if q),
                "default_qos": fields[4],
            }
    return out


def plan_commands(
    desired: dict[str, object], qos: dict[str, dict[str, int]], accounts: dict[str, dict[str, object]]
) -> list[list[str]]:
    """The sacctmgr arguments (after ``-i``) that turn the current state into the desired one."""
    cluster = str(desired["cluster"])
    commands: list[list[str]] = []
    teams = desired["teams"]
    assert isinstance(teams, list)
    for team in teams:
        name, priority = str(team["name"]), int(team["priority"])
        limit, share = int(team["gpu_limit"]), int(team["fairshare"])
        qos_settings = [f"Priority={priority}", f"GrpTRES=gres/gpu={limit}"]
        current = qos.get(name)
        if current is None:
            commands.append(["add", "qos", name, *qos_settings])
        elif current != {"priority": priority, "gpu_limit": limit}:
            commands.append(["modify", "qos", "where", f"name={name}", "set", *qos_settings])
        account = accounts.get(name)
        account_settings = [f"Fairshare={share}", f"QOS={name}", f"DefaultQOS={name}"]
        if account is None:
            commands.append(
                [
                    "add",
                    "account",
                    name,
                    f"Cluster={cluster}",
                    f"Description=aiinfra team {name}",
                    "Organization=aiinfra",
                    *account_settings,
                ]
            )
        elif account != {"fairshare": share, "qos": [name], "default_qos": name}:
            commands.append(
                ["modify", "account", "where", f"name={name}", f"cluster={cluster}", "set", *account_settings]
            )
    return commands


def sacctmgr(args: Sequence[str]) -> str:
    proc = subprocess.run(["sacctmgr", *args], capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"sacctmgr {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def converge(desired: dict[str, object], run: Runner, *, check: bool) -> dict[str, object]:
    cluster = str(desired["cluster"])
    tres = {tuple(line.split("|")[:2]) for line in run(["-nP", "show", "tres", "format=Type,Name"]).splitlines()}
    if desired["teams"] and ("gres", "gpu") not in tres:
        # slurmdbd learns TRES from slurmctld: without it QOS limits on GPUs cannot even be written
        raise RuntimeError(
            "slurmdbd knows no gres/gpu TRES: set AccountingStorageTRES=gres/gpu (and GresTypes=gpu) "
            "in slurm.conf and restart slurmctld, then run again"
        )
    qos = parse_qos(run(["-nP", "show", "qos", QOS_FORMAT]))
    accounts = parse_accounts(run(["-nP", "show", "assoc", "where", f"cluster={cluster}", ASSOC_FORMAT]))
    commands = plan_commands(desired, qos, accounts)
    if not check:
        for command in commands:
            run(["-i", *command])
    return {"changed": bool(commands), "commands": commands}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("state", help="desired-state JSON written by the slurm role")
    parser.add_argument("--check", action="store_true", help="print the commands, change nothing")
    args = parser.parse_args(argv)
    with open(args.state, encoding="utf-8") as handle:
        desired = json.load(handle)
    try:
        result = converge(desired, sacctmgr, check=args.check)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        print(json.dumps({"changed": False, "error": str(error)}))
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
