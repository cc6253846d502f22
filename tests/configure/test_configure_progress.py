"""RunTracker fed with event streams recorded from real ansible-runner runs (tests/configure/data/).

events_three_hosts.jsonl: roles/site.yml (host_tuning + observability) on three hosts — cpu-0 a converged
chroot, cpu-1 a chroot path that does not exist (fails at fact gathering), cpu-2 ssh to a closed port
(unreachable). events_converge_one_host.jsonl: the first converge of a fresh chroot (20 changes).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from aiinfra_iac.configure.progress import RunTracker

DATA = Path(__file__).parent / "data"


def _events(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


def _task_ends(events: list[dict[str, Any]], host: str) -> int:
    ends = {"runner_on_ok", "runner_on_failed", "runner_on_skipped", "runner_on_unreachable"}
    return sum(1 for e in events if e["event"] in ends and e["event_data"].get("host") == host)


def test_counts_tasks_per_host_and_names_failures() -> None:
    events = _events("events_three_hosts.jsonl")
    tracker = RunTracker({"cpu-0": "cpu", "cpu-1": "cpu", "cpu-2": "cpu"}, {"cpu": 55})
    for event in events[:-1]:  # everything but the recap
        assert tracker(event) is True
    ok = tracker.hosts["cpu-0"]
    assert ok.done == _task_ends(events, "cpu-0") > 40
    assert ok.failed == 0 and not ok.unreachable and ok.status == "running"
    failed = tracker.hosts["cpu-1"]
    assert failed.failed == 1 and failed.finished and failed.status == "failed"
    assert failed.failures == [("Gathering Facts", failed.failures[0][1])]
    assert "is not a directory" in failed.failures[0][1]
    gone = tracker.hosts["cpu-2"]
    assert gone.unreachable and gone.status == "unreachable"
    assert "Connection refused" in gone.failures[0][1]
    assert not tracker.recap_seen


def test_recap_sets_final_counters() -> None:
    events = _events("events_three_hosts.jsonl")
    tracker = RunTracker({"cpu-0": "cpu", "cpu-1": "cpu", "cpu-2": "cpu"}, {"cpu": 55})
    for event in events:
        tracker(event)
    assert tracker.recap_seen
    h0, h1, h2 = (tracker.hosts[h] for h in ("cpu-0", "cpu-1", "cpu-2"))
    assert (h0.ok, h0.changed, h0.failed, h0.skipped, h0.status) == (40, 0, 0, 16, "ok")
    assert (h1.failed, h1.status) == (1, "failed")
    assert (h2.unreachable, h2.status) == (True, "unreachable")
    assert all(h.finished for h in tracker.hosts.values())


def test_changed_counts_from_a_converge() -> None:
    events = _events("events_converge_one_host.jsonl")
    tracker = RunTracker({"cpu-0": "cpu"}, {"cpu": 59})
    for event in events[:-1]:
        tracker(event)
    changed_events = sum(
        1 for e in events if e["event"] == "runner_on_ok" and e["event_data"].get("res", {}).get("changed")
    )
    assert tracker.hosts["cpu-0"].changed == changed_events == 20
    tracker(events[-1])
    assert tracker.hosts["cpu-0"].status == "changed"


def test_unknown_hosts_and_other_events_are_ignored() -> None:
    tracker = RunTracker({"a": "p"}, {"p": 3})
    tracker({"event": "runner_on_ok", "event_data": {"host": "zzz", "res": {"changed": True}}})
    tracker({"event": "runner_item_on_ok", "event_data": {"host": "a", "res": {"changed": True}}})
    tracker({"event": "verbose", "stdout": "noise"})
    assert tracker.hosts["a"].done == 0 and tracker.hosts["a"].changed == 0


def test_ignored_failures_do_not_fail_the_host() -> None:
    tracker = RunTracker({"a": "p"}, {"p": 3})
    tracker(
        {
            "event": "runner_on_failed",
            "event_data": {"host": "a", "task": "t", "ignore_errors": True, "res": {}},
        }
    )
    assert tracker.hosts["a"].failed == 0 and tracker.hosts["a"].done == 1


def _render(tracker: RunTracker, events: list[dict[str, Any]], *, check: bool = False) -> str:
    assert tracker.console is not None
    tracker.start()
    for event in events:
        tracker(event)
    tracker.stop()
    tracker.console.print(tracker.summary_table(check=check))
    file = tracker.console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def _console() -> Console:
    return Console(file=io.StringIO(), width=120, force_terminal=False)


def test_display_per_host_rows_and_summary() -> None:
    tracker = RunTracker({"cpu-0": "cpu", "cpu-1": "cpu", "cpu-2": "cpu"}, {"cpu": 55}, console=_console())
    out = _render(tracker, _events("events_three_hosts.jsonl"))
    assert "configure cpu-0" in out and "configure cpu-2" in out
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 5}
    assert "unreachable" in lines["cpu-2"]
    assert "failed" in lines["cpu-1"]
    assert "40" in lines["cpu-0"] and "16" in lines["cpu-0"]


def test_display_groups_many_hosts_by_pool() -> None:
    hosts = {f"gpu-{i}": "gpu" for i in range(60)}
    tracker = RunTracker(hosts, {"gpu": 10}, console=_console())
    events: list[dict[str, Any]] = []
    for i in range(60):
        for _ in range(10):
            events.append(
                {"event": "runner_on_ok", "event_data": {"host": f"gpu-{i}", "res": {"changed": i < 5}}}
            )
    events.append(
        {
            "event": "runner_on_unreachable",
            "event_data": {"host": "gpu-59", "task": "x", "res": {"msg": "down"}},
        }
    )
    events.append(
        {
            "event": "playbook_on_stats",
            "event_data": {
                "ok": {h: 10 for h in hosts},
                "changed": {f"gpu-{i}": 10 for i in range(5)},
                "dark": {"gpu-59": 1},
            },
        }
    )
    out = _render(tracker, events, check=True)
    assert "configure pool gpu" in out and "configure gpu-0 " not in out
    assert "60/60 hosts done, 1 failed" in out
    # Only the problem host is listed in the summary of a large fleet, with the caption counting changes.
    assert "gpu-59" in out and "│ gpu-1 " not in out
    assert "60 hosts, 5 changed" in out
    assert "would change" in out
