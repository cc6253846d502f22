"""The harness's own logic that needs no chroot: reading the ansible.posix.json callback output."""

from __future__ import annotations

import json

import pytest
from harness import ConvergeResult, HarnessError, image_tag, missing_prerequisites, parse_json_callback

HOST = "/tmp/chroot/root"


def _callback(tasks: list[dict[str, object]], stats: dict[str, int]) -> str:
    return "[WARNING]: noise before the document\n" + json.dumps(
        {"plays": [{"play": {"name": "p"}, "tasks": tasks}], "stats": {HOST: stats}}
    )


def _task(name: str, result: dict[str, object]) -> dict[str, object]:
    return {"task": {"name": name, "duration": {}}, "hosts": {HOST: result}}


def test_parses_stats_tasks_and_diffs() -> None:
    out = _callback(
        [
            _task("r : Write file", {"changed": True, "action": "template", "diff": [{"after": "x=1\n"}]}),
            _task("r : Report", {"changed": False, "msg": "skipped: no hardware"}),
            _task("r : Loop", {"changed": True, "results": [{"diff": {"prepared": "+y"}}]}),
            _task("r : Not here", {"skipped": True}),
        ],
        {"changed": 2, "failures": 0, "ok": 3, "skipped": 1, "unreachable": 0},
    )
    stats, tasks, diffs = parse_json_callback(out, HOST)
    result = ConvergeResult(rc=0, stats=stats, tasks=tuple(tasks), seconds=1.0, stderr="", diffs=tuple(diffs))
    assert result.changed == 2 and result.failed == 0
    assert result.changed_tasks() == ["r : Write file", "r : Loop"]
    assert result.task("Report").msg == "skipped: no hardware"
    assert result.task("Not here").skipped
    assert "x=1" in result.diff_text() and "+y" in result.diff_text()
    with pytest.raises(AssertionError, match="no task named 'Absent'"):
        result.task("Absent")


def test_failures_and_unreachable_count_as_failed() -> None:
    out = _callback(
        [_task("r : Boom", {"failed": True, "msg": "it broke"})],
        {"changed": 0, "failures": 1, "ok": 0, "skipped": 0, "unreachable": 1},
    )
    stats, tasks, _ = parse_json_callback(out, HOST)
    result = ConvergeResult(rc=2, stats=stats, tasks=tuple(tasks), seconds=1.0, stderr="")
    assert result.failed == 2
    assert result.failures() == ["r : Boom: it broke"]


def test_missing_host_or_output_is_a_harness_error() -> None:
    with pytest.raises(HarnessError, match="no JSON"):
        parse_json_callback("ERROR! the playbook could not be parsed", HOST)
    with pytest.raises(HarnessError, match="missing from recap"):
        parse_json_callback(json.dumps({"plays": [], "stats": {"other": {}}}), HOST)


def test_image_tag_is_stable_and_short() -> None:
    assert image_tag() == image_tag()
    assert len(image_tag()) == 10


def test_prerequisites_name_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.os.geteuid", lambda: 1000)
    assert missing_prerequisites() == "role tests need root (chroot, debootstrap)"
    monkeypatch.setattr("harness.os.geteuid", lambda: 0)
    monkeypatch.setattr(
        "harness.shutil.which", lambda tool: None if tool == "debootstrap" else f"/usr/bin/{tool}"
    )
    assert missing_prerequisites() == "debootstrap not found (apt-get install debootstrap)"
