"""Sandbox node roots appear complete or not at all: a SIGKILL mid-extraction, two runs at once,
a shrunk pool. A tiny tarball stands in for the debootstrap image (no root needed); the child
processes patch the same two functions as ``test_sandbox.fake_image``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox

BLUEPRINT = Path(__file__).resolve().parents[2] / "blueprints" / "local-chroot-sandbox.yaml"

# Runs create_nodes in a child; with a delay, the extraction stalls after tar and before the rename.
_CHILD = """
import json, sys, time
from pathlib import Path
from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.provision import sandbox
tarball, state, delay = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
sandbox.require_tools = lambda: None
sandbox.base_tarball = lambda: tarball
real = sandbox.run_tool
def slow(cmd, **kw):
    out = real(cmd, **kw)
    print("extracted", flush=True)
    time.sleep(delay)
    return out
sandbox.run_tool = slow
plan = plan_from_file(Path(sys.argv[4]))[0]
changes = sandbox.create_nodes(plan, state)
print(json.dumps([changes.created, changes.present, changes.removed]), flush=True)
"""


def _plan() -> ClusterPlan:
    return plan_from_file(BLUEPRINT)[0]


@pytest.fixture
def image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    src = tmp_path / "image"
    (src / "usr/bin").mkdir(parents=True)
    (src / "usr/bin/python3").write_text("#!/bin/false\n")
    tarball = tmp_path / "bookworm.tar"
    subprocess.run(["tar", "-C", str(src), "-cf", str(tarball), "."], check=True)
    monkeypatch.setattr(sandbox, "require_tools", lambda: None)
    monkeypatch.setattr(sandbox, "base_tarball", lambda: tarball)
    return tarball


def _child(image: Path, state: Path, delay: float) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(image), str(state), str(delay), str(BLUEPRINT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_sigkill_mid_extraction_leaves_no_node_that_counts_as_present(image: Path, tmp_path: Path) -> None:
    plan, state = _plan(), tmp_path / "state"
    child = _child(image, state, 30.0)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "extracted"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    base = sandbox.sandbox_dir(plan, state)
    left = sorted(p.name for p in base.iterdir())
    assert left and all(sandbox.PARTIAL_INFIX in name for name in left), left
    assert not any(sandbox.is_node_root(root) for root in sandbox.node_roots(plan, state).values())
    with pytest.raises(sandbox.UsageError, match="have no root"):
        sandbox.require_nodes(plan, state)
    changes = sandbox.create_nodes(plan, state)
    assert changes.created == ["sandbox-0", "sandbox-1"]
    assert sorted(p.name for p in base.iterdir()) == ["sandbox-0", "sandbox-1"]
    sandbox.require_nodes(plan, state)


def test_two_runs_at_once_both_succeed_and_extract_each_node_once(image: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    children = [_child(image, state, 0.5) for _ in range(2)]
    results = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        assert "Traceback" not in err
        results.append(json.loads(out.strip().splitlines()[-1]))
    created = sorted(name for result in results for name in result[0])
    assert created == ["sandbox-0", "sandbox-1"]  # each node extracted by exactly one of them
    assert sorted(r[1] for r in results) == [[], ["sandbox-0", "sandbox-1"]]
    sandbox.require_nodes(_plan(), state)


def test_a_shrunk_pool_loses_its_extra_node_on_the_next_run(image: Path, tmp_path: Path) -> None:
    plan, state = _plan(), tmp_path / "state"
    sandbox.create_nodes(plan, state)
    base = sandbox.sandbox_dir(plan, state)
    # as if the pool had count 3 before: sandbox-2 was a complete node
    sandbox.extract(image, base / "sandbox-2")
    changes = sandbox.create_nodes(plan, state)
    assert changes == sandbox.NodeChanges([], ["sandbox-0", "sandbox-1"], ["sandbox-2"])
    assert sorted(p.name for p in base.iterdir()) == ["sandbox-0", "sandbox-1"]


def test_a_root_without_the_marker_is_extracted_again(image: Path, tmp_path: Path) -> None:
    plan, state = _plan(), tmp_path / "state"
    root = sandbox.node_roots(plan, state)["sandbox-0"]
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/python3").write_text("half")  # the old presence test would have taken it
    assert not sandbox.is_node_root(root)
    assert sandbox.create_nodes(plan, state).created == ["sandbox-0", "sandbox-1"]
    assert (root / "usr/bin/python3").read_text() == "#!/bin/false\n"


def test_down_names_every_node_folder_it_removed(image: Path, tmp_path: Path) -> None:
    plan, state = _plan(), tmp_path / "state"
    sandbox.create_nodes(plan, state)
    sandbox.extract(image, sandbox.sandbox_dir(plan, state) / "sandbox-7")
    started = time.monotonic()
    assert sandbox.remove_nodes(plan, state) == ["sandbox-0", "sandbox-1", "sandbox-7"]
    assert time.monotonic() - started < 5
    assert not sandbox.sandbox_dir(plan, state).exists()
