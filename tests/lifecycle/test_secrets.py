"""ansible-runner through ``childproc.run_ansible`` for real: canary secrets in the caller's
environment reach neither the playbook nor any file of the runner's folder; artifacts are
owner-only and pruned; the caller's signal handlers are the same afterwards."""

from __future__ import annotations

import importlib.util
import signal
import stat
from pathlib import Path

import pytest

from aiinfra_iac.childproc import KEEP_ARTIFACTS, child_env, run_ansible

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("ansible_runner") is None, reason="ansible-runner missing"),
]

CANARIES = {
    "PULUMI_CONFIG_PASSPHRASE": "canary-passphrase-1e7a",
    "AWS_SECRET_ACCESS_KEY": "canary-aws-secret-4b2c",
    "AWS_SESSION_TOKEN": "canary-session-token-99f0",
}
PLAYBOOK = """\
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg: "seen={{ lookup('ansible.builtin.env', 'PULUMI_CONFIG_PASSPHRASE') }}|{{ lookup('ansible.builtin.env', 'AWS_SECRET_ACCESS_KEY') }}"
"""  # noqa: E501


def test_no_secret_reaches_the_playbook_or_the_runner_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)
    project = tmp_path / "project"
    project.mkdir()
    (project / "check.yml").write_text(PLAYBOOK)
    pdd = tmp_path / "state" / "c" / "configure"
    handlers = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    messages: list[str] = []

    def seen(event: dict[str, object]) -> bool:
        data = event.get("event_data") or {}
        res = data.get("res") if isinstance(data, dict) else None
        if isinstance(res, dict) and "msg" in res:
            messages.append(str(res["msg"]))
        return True

    for _ in range(KEEP_ARTIFACTS + 1):
        runner = run_ansible(
            private_data_dir=pdd,
            envvars=child_env({"ANSIBLE_NOCOLOR": "1"}),
            project_dir=str(project),
            playbook="check.yml",
            inventory="localhost,",
            event_handler=seen,
            quiet=True,
        )
        assert runner.status == "successful", runner.stdout.read()
    assert messages and all(m == "seen=|" for m in messages), messages  # the play saw no secret
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers
    artifacts = list((pdd / "artifacts").iterdir())
    assert len(artifacts) == KEEP_ARTIFACTS
    files = [p for p in pdd.rglob("*") if p.is_file() and not p.is_symlink()]
    assert any(p.name == "command" for p in files)  # the file that used to hold the whole environment
    for path in [pdd, *pdd.rglob("*")]:
        if path.is_symlink():
            continue
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
        if path.is_file():
            data = path.read_bytes()
            assert not [v for v in CANARIES.values() if v.encode() in data], path
