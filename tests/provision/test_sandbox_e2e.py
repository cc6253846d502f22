"""``aiinfra up`` on the chroot sandbox for real: provision extracts two bookworm chroots, configure
converges host_tuning into both through ansible-runner, ``down`` removes them.

Needs root, debootstrap and ansible-playbook (skipped otherwise); the base image is the day's cached
tarball (built on first use, several minutes).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aiinfra_iac.lifecycle.stages import StageRecord
from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.provision import sandbox

pytestmark = [pytest.mark.roles, pytest.mark.slow]

BLUEPRINT = Path(__file__).resolve().parents[2] / "blueprints" / "local-chroot-sandbox.yaml"


def _aiinfra(state: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "aiinfra_iac.cli", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "AIINFRA_STATE_DIR": str(state)},
        check=False,
        timeout=600,
    )
    return done, time.monotonic() - started


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.geteuid() != 0:
        pytest.skip("the chroot sandbox needs root")
    for tool in ("debootstrap", "chroot", "tar"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not found (apt-get install debootstrap)")
    return tmp_path_factory.mktemp("sandbox-state")


def test_up_converges_the_sandbox_nodes_and_down_removes_them(state: Path) -> None:
    plan, _ = plan_from_file(BLUEPRINT)
    roots = sandbox.node_roots(plan, state)

    done, provision_s = _aiinfra(state, "up", str(BLUEPRINT), "--yes", "--only", "provision")
    assert done.returncode == 0, done.stderr
    assert "created sandbox-0, sandbox-1" in done.stderr
    assert all((root / "usr/bin/python3").exists() for root in roots.values())

    done, configure_s = _aiinfra(state, "up", str(BLUEPRINT), "--yes", "--only", "configure")
    assert done.returncode == 0, done.stdout + done.stderr
    assert StageRecord.load(state, plan).completed == ["provision", "configure"]
    for node, root in roots.items():
        sysctls = (root / "etc/sysctl.d/90-aiinfra-host-tuning.conf").read_text()
        assert "kernel.numa_balancing = 0" in sysctls, node
        limits = (root / "etc/security/limits.d/90-aiinfra-memlock.conf").read_text()
        assert "*    hard    memlock    unlimited" in limits, node
        assert (root / "var/lib/dpkg/info/numactl.list").exists(), f"{node}: numactl not installed"
    # the machine running the test was not retuned
    assert not Path("/etc/sysctl.d/90-aiinfra-host-tuning.conf").exists()
    assert (state / plan.name / "configure" / "artifacts").is_dir()

    done, _ = _aiinfra(state, "down", str(BLUEPRINT), "--yes")
    assert done.returncode == 0, done.stderr
    assert "removed the sandbox in" in done.stderr  # processes, mounts, namespaces, bridge, roots
    assert not sandbox.sandbox_dir(plan, state).exists()
    print(f"\nsandbox timings: provision {provision_s:.1f} s, configure {configure_s:.1f} s")
