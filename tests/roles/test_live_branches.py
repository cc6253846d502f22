"""The branches of bluefield_dpu and roce that only run on a live node with the hardware (a chroot is
never live, so the chroot tests cannot reach them): their report and failure tasks, taken verbatim from
the roles' task files, are evaluated by ansible-playbook on localhost with the registered results a
live node would produce. Only set_fact / debug / fail tasks are run; nothing on this machine changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
import yaml
from harness import ROLES_PATH, _ansible_playbook

DPU_TASKS = (
    "Record whether a cold power cycle is owed",
    "Record whether a power cycle is needed",
    "Report the BlueField mode",
)
ROCE_TASKS = (
    "Fail when the fabric's RDMA devices did not appear",
    "Fail when a RoCE setting does not hold after applying",
    "Report the RoCE hardware state",
)
PENDING_TASKS = (
    "Complete the actions an image build left pending",
    "Report the actions left pending for a live converge",
)
FOUND = {"matched": 1, "files": [{"path": "/var/lib/aiinfra/pending/update-grub"}]}
DPU_VARS: dict[str, Any] = {
    "bluefield_dpu_model": "bluefield-3",
    "bluefield_dpu_mode": "dpu",
    "bluefield_dpu_set_mode": True,
    "_bluefield_dpu_conf": "/etc/aiinfra/bluefield-mode.conf",
    "_bluefield_dpu_present": True,
    "_bluefield_dpu_devices": ["0000:03:00.0", "0000:04:00.0"],
}


def _tasks(role: str, file: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
    tasks = yaml.safe_load((ROLES_PATH / role / "tasks" / file).read_text())
    picked = [dict(t) for t in tasks if t.get("name") in names]
    assert [t["name"] for t in picked] == list(names), f"{role}/tasks/{file} lost a task"
    for task in picked:
        task["ignore_errors"] = True  # one case failing must not stop the next play
    return picked


def _dpu(stdouts: list[str | None], **extra: Any) -> dict[str, Any]:
    results = [
        {"item": dev, "skipped": True} if out is None else {"item": dev, "stdout": out}
        for dev, out in zip(DPU_VARS["_bluefield_dpu_devices"], stdouts, strict=True)
    ]
    return {**DPU_VARS, "_bluefield_dpu_set": {"results": results}, **extra}


def _roce(verify: tuple[int, str, str], apply: tuple[int, list[str], str] | None) -> dict[str, Any]:
    rc, stdout, stderr = verify
    applied: dict[str, Any] = {"skipped": True, "changed": False}
    if apply is not None:
        applied = {"rc": apply[0], "stdout_lines": apply[1], "stderr": apply[2], "changed": True}
    return {
        "_roce_apply_now": True,
        "_roce_verify": {"rc": rc, "stdout": stdout, "stderr": stderr},
        "_roce_apply": applied,
    }


CASES: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {
    "dpu-pending": (
        _tasks("bluefield_dpu", "mode.yml", DPU_TASKS),
        _dpu(["pending: INTERNAL_CPU_MODEL=0->1", "unchanged"]),
    ),
    "dpu-changed": (
        _tasks("bluefield_dpu", "mode.yml", DPU_TASKS),
        _dpu(["changed: INTERNAL_CPU_OFFLOAD_ENGINE=1->0", "changed: INTERNAL_CPU_OFFLOAD_ENGINE=1->0"]),
    ),
    "dpu-running": (_tasks("bluefield_dpu", "mode.yml", DPU_TASKS), _dpu(["unchanged", "unchanged"])),
    "dpu-unmanaged": (
        _tasks("bluefield_dpu", "mode.yml", DPU_TASKS),
        _dpu([None, None], bluefield_dpu_set_mode=False),
    ),
    "roce-verified": (
        _tasks("roce", "main.yml", ROCE_TASKS),
        _roce((0, "verified: ens1f0np0: mtu 9000\n", ""), None),
    ),
    "roce-drift-reapplied": (
        _tasks("roce", "main.yml", ROCE_TASKS),
        _roce((3, "", "ens1f0np0: mtu is '1500', want '9000'\n"), (0, ["verified: ens1f0np0: mtu 9000"], "")),
    ),
    "roce-does-not-hold": (
        _tasks("roce", "main.yml", ROCE_TASKS),
        _roce((3, "", "x"), (3, [], "ens1f0np0: mtu is '4200', want '9000'\nerror: 1 setting(s) differ\n")),
    ),
    "pending-live": (
        _tasks("host_tuning", "pending.yml", PENDING_TASKS),
        {
            "_host_tuning_live": True,
            "_host_tuning_pending_dir": "/var/lib/aiinfra/pending",
            "_host_tuning_pending": FOUND,
        },
    ),
    "pending-image-build": (
        _tasks("host_tuning", "pending.yml", PENDING_TASKS),
        {
            "_host_tuning_live": False,
            "_host_tuning_pending_dir": "/var/lib/aiinfra/pending",
            "_host_tuning_pending": FOUND,
        },
    ),
    "roce-missing": (
        _tasks("roce", "main.yml", ROCE_TASKS),
        _roce((4, "", "error: not present after 120s: RDMA device mlx5_7\n"), None),
    ),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, Any]]]:
    """case -> task name -> the task's result on localhost."""
    playbook_cmd = _ansible_playbook()
    if playbook_cmd is None:
        pytest.skip("ansible-playbook not found")
    work = tmp_path_factory.mktemp("live-branches")
    # stands in for aiinfra-pending: echoes what it was asked to complete
    helper = work / "aiinfra-pending"
    helper.write_text('#!/bin/sh\nshift\necho "completed: $*"\n')
    helper.chmod(0o755)
    plays = [
        {
            "name": case,
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {
                "ansible_python_interpreter": sys.executable,
                "_host_tuning_pending_script": str(helper),
                **variables,
            },
            "tasks": tasks,
        }
        for case, (tasks, variables) in CASES.items()
    ]
    (work / "site.yml").write_text(yaml.safe_dump(plays, sort_keys=False))
    env = {
        **os.environ,
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_CONFIG": str(work / "none.cfg"),
        "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
    }
    proc = subprocess.run(
        [playbook_cmd, "-i", "localhost,", "-c", "local", str(work / "site.yml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        check=False,
    )
    data = json.loads(proc.stdout[proc.stdout.find("{") :])
    return {
        play["play"]["name"]: {t["task"]["name"]: t["hosts"]["localhost"] for t in play["tasks"]}
        for play in data["plays"]
    }


def test_dpu_pending_mode_asks_for_a_cold_power_cycle(outcomes: dict[str, dict[str, dict[str, Any]]]) -> None:
    msg = outcomes["dpu-pending"]["Report the BlueField mode"]["msg"]
    assert msg.startswith("pending: dpu mode is set for the next boot but not running on 0000:03:00.0 ")
    assert "(pending: INTERNAL_CPU_MODEL=0->1)" in msg
    assert "a COLD power cycle of the host applies it" in msg and "a warm reboot does not" in msg
    assert outcomes["dpu-pending"]["Record whether a power cycle is needed"]["ansible_facts"] == {
        "bluefield_dpu_power_cycle_required": True
    }


def test_dpu_mode_just_set_is_pending_on_every_device(outcomes: dict[str, dict[str, dict[str, Any]]]) -> None:
    msg = outcomes["dpu-changed"]["Report the BlueField mode"]["msg"]
    assert "not running on 0000:03:00.0, 0000:04:00.0" in msg and "COLD power cycle" in msg


def test_dpu_running_mode_and_unmanaged_mode(outcomes: dict[str, dict[str, dict[str, Any]]]) -> None:
    assert (
        outcomes["dpu-running"]["Report the BlueField mode"]["msg"]
        == "dpu mode running and set for the next boot on 0000:03:00.0, 0000:04:00.0"
    )
    assert outcomes["dpu-unmanaged"]["Report the BlueField mode"]["msg"].startswith(
        "not managed (bluefield_dpu_set_mode is false)"
    )


def test_roce_verified_and_reapplied_report_the_verified_line(
    outcomes: dict[str, dict[str, dict[str, Any]]],
) -> None:
    for case in ("roce-verified", "roce-drift-reapplied"):
        tasks = outcomes[case]
        assert tasks["Report the RoCE hardware state"]["msg"] == "verified: ens1f0np0: mtu 9000", case
        assert tasks["Fail when a RoCE setting does not hold after applying"].get("skipped"), case


def test_roce_setting_that_does_not_hold_fails_naming_port_and_setting(
    outcomes: dict[str, dict[str, dict[str, Any]]],
) -> None:
    failure = outcomes["roce-does-not-hold"]["Fail when a RoCE setting does not hold after applying"]
    assert failure.get("failed") and failure["msg"].startswith("roce: ens1f0np0: mtu is '4200', want '9000'")


def test_roce_missing_device_fails_naming_it(outcomes: dict[str, dict[str, dict[str, Any]]]) -> None:
    failure = outcomes["roce-missing"]["Fail when the fabric's RDMA devices did not appear"]
    assert failure.get("failed")
    assert failure["msg"] == "roce: error: not present after 120s: RDMA device mlx5_7"


def test_live_converge_completes_the_pending_actions(outcomes: dict[str, dict[str, dict[str, Any]]]) -> None:
    done = outcomes["pending-live"]["Complete the actions an image build left pending"]
    assert done["changed"] and done["stdout"] == "completed: update-grub", json.dumps(done)
    assert outcomes["pending-live"]["Report the actions left pending for a live converge"].get("skipped")
    image = outcomes["pending-image-build"]
    assert image["Complete the actions an image build left pending"].get("skipped")
    assert image["Report the actions left pending for a live converge"]["msg"].startswith(
        "pending until a live converge: update-grub"
    )
