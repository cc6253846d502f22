"""The README main job for real: ``aiinfra up`` brings the Slurm sandbox up (controller + 3 compute
chroots on their own bridge), validation runs through Slurm, a planted 50 Mbit/s limit is traced
to its node and fires the alert, ``up`` again changes nothing and ``down`` leaves nothing.

Needs root, debootstrap, iproute2 and the Debian archive (skipped otherwise); several minutes.
The cluster name and subnet are this test's own (parallel workers never share them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.provision import sandbox_cluster, sandbox_daemons, sandbox_net
from tests.provision.sandbox_netfix import needs_root_network, unique_subnet

pytestmark = [
    pytest.mark.roles,
    pytest.mark.slow,
    pytest.mark.full_e2e,
]

BLUEPRINT = Path(__file__).resolve().parents[2] / "blueprints" / "local-sandbox.yaml"


def _aiinfra(state: Path, *args: object, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiinfra_iac.cli", *[str(a) for a in args], "--state-dir", str(state)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(BLUEPRINT.parents[1])},
        check=False,
        timeout=timeout,
    )


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_the_sandbox_cluster_schedules_measures_finds_the_slow_node_and_goes_away(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    needs_root_network()
    if shutil.which("debootstrap") is None:
        pytest.skip("debootstrap not installed")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    name = f"sbx-e2e-{worker}"
    text = BLUEPRINT.read_text().replace("name: local-sandbox", f"name: {name}")
    text = text.replace("sandbox: chroot}", f"sandbox: chroot, sandboxSubnet: {unique_subnet(request)}}}")
    file = tmp_path / f"{name}.yaml"
    file.write_text(text)
    plan = plan_from_file(file)[0]
    state = tmp_path / "state"
    try:
        done = _aiinfra(state, "up", file, "--yes")
        assert done.returncode == 0, done.stderr[-4000:]
        assert "through Slurm (srun on controller-0)" in done.stderr
        assert "prometheus: http://" in done.stderr and "aiinfra down" in done.stderr

        nodes = {n["NodeName"]: n for n in sandbox_daemons.scontrol_nodes(plan, state)}
        assert sorted(nodes) == ["compute-0", "compute-1", "compute-2"]
        for node in nodes.values():  # the plan's sandbox node: 1 CPU, 1024 MiB
            assert node["State"].startswith("IDLE") and node["CPUTot"] == "1" and node["RealMemory"] == "1024"

        net = sandbox_net.require(plan, state)
        url = sandbox_daemons.prometheus_url(plan, net)
        assert url.startswith(f"http://{net.subnet.rsplit('.', 1)[0]}.")  # on the sandbox bridge
        targets = _get(url + "/api/v1/targets")["data"]["activeTargets"]
        assert {t["labels"]["node"] for t in targets if t["health"] == "up"} == {n.name for n in net.nodes}

        done = _aiinfra(state, "sandbox", "fault", file, "compute-1", "--rate", "50mbit")
        assert done.returncode == 0 and "rate 50Mbit" in done.stderr, done.stderr
        done = _aiinfra(state, "validate", file, "--format", "json")
        assert done.returncode == 1, done.stderr[-3000:]
        verdict = json.loads(done.stdout)
        slow = [c for c in verdict["checks"] if c["id"].endswith(":links")]
        assert verdict["verdict"] == "fail" and [c["node"] for c in slow] == ["compute-1"], [
            c["detail"] for c in slow
        ]
        deadline = time.monotonic() + 60
        firing: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not firing:
            alerts = _get(url + "/api/v1/alerts")["data"]["alerts"]
            firing = [
                a
                for a in alerts
                if a["labels"]["alertname"] == "ValidationCheckFailed"
                and a["labels"].get("node") == "compute-1"
                and a["state"] in ("pending", "firing")
            ]
            time.sleep(2)
        assert firing, "ValidationCheckFailed for compute-1 not pending/firing in Prometheus"

        assert _aiinfra(state, "sandbox", "fault", file, "compute-1", "--clear").returncode == 0
        again = _aiinfra(state, "up", file, "--yes")
        assert again.returncode == 0 and "nothing left to run" in again.stderr, again.stderr[-2000:]

        done = _aiinfra(state, "down", file, "--yes")
        assert done.returncode == 0, done.stderr[-2000:]
        assert "removed bridge" in done.stderr and "removed process controller-0/slurmctld" in done.stderr
        assert sandbox_cluster.leftovers(plan, state) == []
    finally:
        sandbox_cluster.teardown(plan, state)
