"""aiinfra_files (roles/library): a role's files and directories in one module run, run for real in a
bookworm chroot: what it writes, what a re-run leaves alone, drift in content or mode, check and diff
mode, bad entries, and byte-for-byte the same files as ``template``/``copy`` write."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from harness import Chroot, ConvergeResult

TEMPLATE = (
    "# {{ title }}\n{% for key, value in settings.items() %}\n{{ key }} = {{ value }}\n{% endfor %}\n\n"
)
SCRIPT = "#!/bin/sh\necho applied\n\n"
SETTINGS = {"title": "aiinfra test", "settings": {"net.core.rmem_max": 268435456, "vm.swappiness": 1}}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("aiinfra-files-src")
    (folder / "settings.conf.j2").write_text(TEMPLATE)
    (folder / "apply.sh").write_text(SCRIPT)
    return folder


def _files_play(sources: Path, *, extra_files: list[dict[str, Any]] | None = None) -> str:
    files: list[dict[str, Any]] = [
        {
            "dest": "/etc/aiinfra-test/settings.conf",
            "content": f"{{{{ lookup('ansible.builtin.template', '{sources}/settings.conf.j2') }}}}",
            "owner": "root",
            "group": "root",
            "mode": "0644",
        },
        {
            "dest": "/etc/aiinfra-test/bin/apply.sh",
            "content": f"{{{{ lookup('ansible.builtin.file', '{sources}/apply.sh', rstrip=false) }}}}",
            "mode": "0755",
        },
        {"dest": "/etc/aiinfra-test/literal.txt", "content": "literal\n", "mode": "0600"},
    ]
    task = {
        "name": "Write the test files",
        "aiinfra_files": {
            "directories": [
                {"path": "/etc/aiinfra-test", "mode": "0755", "owner": "root", "group": "root"},
                {"path": "/etc/aiinfra-test/bin", "mode": "0750"},
            ],
            "files": files + (extra_files or []),
        },
        "register": "written",
    }
    report = {"name": "Report the changed paths", "ansible.builtin.debug": {"var": "written.changed_paths"}}
    play = [{"name": "aiinfra_files", "hosts": "all", "gather_facts": False, "tasks": [task, report]}]
    return json.dumps(play)


def _changed_paths(result: ConvergeResult) -> list[str]:
    return list(result.task("Report the changed paths").raw["written.changed_paths"])


@pytest.fixture(scope="module")
def first_run(chroot: Chroot, sources: Path) -> ConvergeResult:
    result = chroot.run_playbook(_files_play(sources), SETTINGS, label="aiinfra_files")
    assert result.rc == 0, result.failures() or result.stderr[-2000:]
    return result


def _mode(chroot: Chroot, inside: str) -> int:
    return stat.S_IMODE(os.stat(chroot.path(inside)).st_mode)


def test_first_run_writes_directories_then_files(chroot: Chroot, first_run: ConvergeResult) -> None:
    assert _changed_paths(first_run) == [
        "/etc/aiinfra-test",
        "/etc/aiinfra-test/bin",
        "/etc/aiinfra-test/settings.conf",
        "/etc/aiinfra-test/bin/apply.sh",
        "/etc/aiinfra-test/literal.txt",
    ]
    assert chroot.read_file("/etc/aiinfra-test/settings.conf") == (
        "# aiinfra test\nnet.core.rmem_max = 268435456\nvm.swappiness = 1\n\n"
    )
    assert chroot.read_file("/etc/aiinfra-test/bin/apply.sh") == SCRIPT
    assert _mode(chroot, "/etc/aiinfra-test/bin") == 0o750
    assert _mode(chroot, "/etc/aiinfra-test/bin/apply.sh") == 0o755
    assert _mode(chroot, "/etc/aiinfra-test/literal.txt") == 0o600
    leftovers = [p.name for p in chroot.path("/etc/aiinfra-test").iterdir() if p.name.startswith(".aiinfra-")]
    assert leftovers == []


def test_rerun_changes_nothing(chroot: Chroot, sources: Path, first_run: ConvergeResult) -> None:
    result = chroot.run_playbook(_files_play(sources), SETTINGS, label="aiinfra_files (re-run)")
    assert result.rc == 0 and result.changed == 0, result.changed_tasks()
    assert _changed_paths(result) == []


def test_drift_in_mode_or_content_is_repaired_and_named(
    chroot: Chroot, sources: Path, first_run: ConvergeResult
) -> None:
    os.chmod(chroot.path("/etc/aiinfra-test/literal.txt"), 0o644)
    chroot.path("/etc/aiinfra-test/settings.conf").write_text("edited by hand\n")
    result = chroot.run_playbook(_files_play(sources), SETTINGS, label="aiinfra_files (drift)")
    assert result.rc == 0
    assert _changed_paths(result) == ["/etc/aiinfra-test/settings.conf", "/etc/aiinfra-test/literal.txt"]
    assert _mode(chroot, "/etc/aiinfra-test/literal.txt") == 0o600
    assert chroot.read_file("/etc/aiinfra-test/settings.conf").startswith("# aiinfra test\n")


def test_check_mode_reports_and_diffs_without_writing(
    chroot: Chroot, sources: Path, first_run: ConvergeResult
) -> None:
    chroot.path("/etc/aiinfra-test/settings.conf").write_text("edited by hand\n")
    result = chroot.run_playbook(
        _files_play(sources), SETTINGS, check=True, diff=True, label="aiinfra_files --check --diff"
    )
    assert result.rc == 0
    assert _changed_paths(result) == ["/etc/aiinfra-test/settings.conf"]
    assert chroot.read_file("/etc/aiinfra-test/settings.conf") == "edited by hand\n"
    ((task_name, diffs),) = result.diffs
    assert task_name == "Write the test files"
    assert [(d["before_header"], d["before"]) for d in diffs] == [
        ("/etc/aiinfra-test/settings.conf", "edited by hand\n")
    ]
    assert "vm.swappiness = 1" in diffs[0]["after"]
    chroot.run_playbook(_files_play(sources), SETTINGS, label="aiinfra_files (restore)")


def test_missing_directory_fails_naming_the_file(
    chroot: Chroot, sources: Path, first_run: ConvergeResult
) -> None:
    stray = {"dest": "/etc/aiinfra-test/absent/x.conf", "content": "x\n"}
    result = chroot.run_playbook(
        _files_play(sources, extra_files=[stray]), SETTINGS, label="aiinfra_files (bad)"
    )
    assert result.failed
    message = result.task("Write the test files").msg
    assert "/etc/aiinfra-test/absent/x.conf" in message and "does not exist" in message


def test_unknown_key_fails_naming_the_entry(chroot: Chroot, sources: Path, first_run: ConvergeResult) -> None:
    typo = {"dest": "/etc/aiinfra-test/typo.conf", "content": "x\n", "mdoe": "0644"}
    result = chroot.run_playbook(
        _files_play(sources, extra_files=[typo]), SETTINGS, label="aiinfra_files (typo)"
    )
    assert result.failed
    assert "/etc/aiinfra-test/typo.conf: unknown key(s) mdoe" in result.task("Write the test files").msg


def test_same_bytes_as_template_and_copy(chroot: Chroot, sources: Path, first_run: ConvergeResult) -> None:
    """The roles moved from template/copy to lookups: a node converged before keeps its files unchanged."""
    builtin = [
        {
            "name": "Render with the template module",
            "ansible.builtin.template": {
                "src": f"{sources}/settings.conf.j2",
                "dest": "/tmp/by-template.conf",
            },
        },
        {
            "name": "Copy with the copy module",
            "ansible.builtin.copy": {"src": f"{sources}/apply.sh", "dest": "/tmp/by-copy.sh"},
        },
    ]
    play = [{"name": "builtin", "hosts": "all", "gather_facts": False, "tasks": builtin}]
    result = chroot.run_playbook(json.dumps(play), SETTINGS, label="template/copy")
    assert result.rc == 0
    assert (
        chroot.path("/tmp/by-template.conf").read_bytes()
        == chroot.path("/etc/aiinfra-test/settings.conf").read_bytes()
    )
    assert (
        chroot.path("/tmp/by-copy.sh").read_bytes()
        == chroot.path("/etc/aiinfra-test/bin/apply.sh").read_bytes()
    )


def test_absent_removes_files_once_and_refuses_directories(chroot: Chroot, first_run: ConvergeResult) -> None:
    chroot.path("/etc/aiinfra-test/stale.conf").write_text("switched off\n")

    def remove(paths: list[str], label: str, *, check: bool = False) -> ConvergeResult:
        task = {"name": "Remove", "aiinfra_files": {"absent": paths}, "register": "written"}
        report = {
            "name": "Report the changed paths",
            "ansible.builtin.debug": {"var": "written.changed_paths"},
        }
        play = [{"name": "absent", "hosts": "all", "gather_facts": False, "tasks": [task, report]}]
        return chroot.run_playbook(json.dumps(play), check=check, label=label)

    stale = "/etc/aiinfra-test/stale.conf"
    assert _changed_paths(remove([stale], "absent --check", check=True)) == [stale]
    assert chroot.exists(stale)
    assert _changed_paths(remove([stale], "absent")) == [stale]
    assert not chroot.exists(stale)
    assert _changed_paths(remove([stale], "absent (re-run)")) == []
    refused = remove(["/etc/aiinfra-test/bin"], "absent (directory)")
    assert refused.failed
    assert "/etc/aiinfra-test/bin: is a directory" in refused.task("Remove").msg
