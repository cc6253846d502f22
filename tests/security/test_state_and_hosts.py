"""State folders are narrowed to the owner when they exist already; path-like host names are refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from aiinfra_iac.blueprint.loader import load_blueprint
from aiinfra_iac.errors import BlueprintError, UsageError
from aiinfra_iac.provision.engine import usable_state_dir


def test_an_existing_open_state_folder_is_tightened(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    assert usable_state_dir(state) == state.resolve()
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


def test_a_shared_sticky_folder_is_refused_not_narrowed(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with pytest.raises(UsageError, match="shared"):
        usable_state_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777


def test_stage_records_narrow_their_folder(tmp_path: Path) -> None:
    from aiinfra_iac.lifecycle.stages import StageRecord

    folder = tmp_path / "state"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    record = StageRecord(folder / "demo.stages.json", "f")
    record.mark("provision")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(record.path.stat().st_mode) == 0o600


@pytest.mark.parametrize("host", ["..:", ":", "../x", "a b", "-oProxyCommand=x", ".."])
def test_path_like_host_names_are_refused(tmp_path: Path, host: str) -> None:
    path = tmp_path / "bp.yaml"
    path.write_text(
        "apiVersion: aiinfra/v1\nkind: Cluster\nmetadata: {name: demo}\n"
        "spec:\n  provider: {type: onprem}\n"
        f"  nodePools: [{{name: p, hosts: ['{host}']}}]\n  scheduler: {{type: none}}\n"
    )
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    assert [(p.id, p.line) for p in caught.value.problems] == [("AI004", 6)]


@pytest.mark.parametrize("host", ["gpu-001", "10.0.0.11", "fe80::1", "::1", "2001:db8::8a2e:370:7334"])
def test_real_host_names_and_addresses_pass(tmp_path: Path, host: str) -> None:
    path = tmp_path / "bp.yaml"
    path.write_text(
        "apiVersion: aiinfra/v1\nkind: Cluster\nmetadata: {name: demo}\n"
        "spec:\n  provider: {type: onprem}\n"
        f"  nodePools: [{{name: p, hosts: ['{host}']}}]\n  scheduler: {{type: none}}\n"
    )
    assert load_blueprint(path).blueprint.spec.node_pools[0].hosts == [host]
    assert os.sep not in host
