"""Stage records: owner-only, keyed to the blueprint's bytes, reset on change."""

from __future__ import annotations

import stat
from pathlib import Path

from aiinfra_iac.lifecycle.stages import StageRecord, fingerprint
from tests.provision.plans import onprem


def test_marks_persist_with_mode_0600(tmp_path: Path) -> None:
    blueprint = tmp_path / "bp.yaml"
    blueprint.write_text("a: 1\n")
    plan = onprem().model_copy(update={"source_files": (str(blueprint),)})
    record = StageRecord.load(tmp_path / "state", plan)
    assert record.completed == []
    record.mark("provision")
    record.mark("configure")
    assert stat.S_IMODE(record.path.stat().st_mode) == 0o600
    assert StageRecord.load(tmp_path / "state", plan).completed == ["provision", "configure"]


def test_a_changed_blueprint_starts_over(tmp_path: Path) -> None:
    blueprint = tmp_path / "bp.yaml"
    blueprint.write_text("a: 1\n")
    plan = onprem().model_copy(update={"source_files": (str(blueprint),)})
    before = fingerprint(plan)
    StageRecord.load(tmp_path, plan).mark("provision")
    blueprint.write_text("a: 2\n")
    assert fingerprint(plan) != before
    assert StageRecord.load(tmp_path, plan).completed == []


def test_reset_and_corrupt_files(tmp_path: Path) -> None:
    plan = onprem()
    record = StageRecord.load(tmp_path, plan)
    record.mark("validate")
    record.reset()
    assert not record.path.exists()
    record.path.write_text("{not json")
    assert StageRecord.load(tmp_path, plan).completed == []
