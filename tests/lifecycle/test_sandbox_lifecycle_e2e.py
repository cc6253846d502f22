"""The chroot sandbox end to end through the lifecycle (needs root, debootstrap, ansible-runner):

``up --only provision`` → ``up`` killed with SIGKILL during configure → ``up`` resumes and finishes
→ standalone ``validate`` and ``diff`` reach the nodes of the recorded deployment → ``down`` twice.
Canary passphrase/credential/token values set in the environment are found in no file under the
state folder or HOME (a throw-away one) and in no output.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aiinfra_iac.configure.leftover import playbooks_on, stop_leftover_playbooks

pytestmark = [pytest.mark.roles, pytest.mark.slow]

BLUEPRINT = Path(__file__).resolve().parents[2] / "blueprints" / "local-chroot-sandbox.yaml"
CANARIES = {
    "PULUMI_CONFIG_PASSPHRASE": "canary-passphrase-5f1d",
    "AWS_SECRET_ACCESS_KEY": "canary-aws-secret-93ab",
    "GITHUB_TOKEN": "canary-token-c0de",
}


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    if os.geteuid() != 0:
        pytest.skip("the chroot sandbox needs root")
    for tool in ("debootstrap", "chroot", "tar", "ansible-playbook"):
        if shutil.which(tool) is None and not (Path(sys.executable).parent / tool).exists():
            pytest.skip(f"{tool} not found")
    name = f"lc-e2e-{os.getpid()}"
    text = BLUEPRINT.read_text().replace("name: local-chroot-sandbox", f"name: {name}")
    text = text.replace("gpuBurn: {seconds: 30}", "gpuBurn: {seconds: 10}")
    blueprint = tmp_path / "bp.yaml"
    blueprint.write_text(text)
    (tmp_path / "home").mkdir()
    return {
        "bp": blueprint,
        "state": tmp_path / "state",
        "home": tmp_path / "home",
        "dir": tmp_path / "state" / name,
    }


def env(world: dict[str, Path]) -> dict[str, str]:
    return {
        **os.environ,
        **CANARIES,
        "HOME": str(world["home"]),
        "AIINFRA_STATE_DIR": str(world["state"]),
    }


def aiinfra(world: dict[str, Path], *args: str, outputs: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "aiinfra_iac.cli", *args],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env(world), timeout=900, check=False,
    )  # fmt: skip
    outputs += [done.stdout, done.stderr]
    return done


def leaks(roots: list[Path], outputs: list[str]) -> list[str]:
    found = []
    values = [v.encode() for v in CANARIES.values()]
    for root in roots:
        for path in root.rglob("*"):
            if path.is_symlink() or not path.is_file():
                continue
            data = path.read_bytes()
            found += [f"{path}: {v.decode()}" for v in values if v in data]
    found += [f"output: {v.decode()}" for v in values for text in outputs if v.decode() in text]
    return found


def test_up_resumes_after_sigkill_and_validate_diff_use_the_record(world: dict[str, Path]) -> None:
    outputs: list[str] = []
    bp = str(world["bp"])
    inventory_file = world["dir"] / "configure" / "inventory" / "hosts.json"
    try:
        done = aiinfra(world, "up", bp, "--yes", "--only", "provision", outputs=outputs)
        assert done.returncode == 0, done.stderr
        assert "created sandbox-0, sandbox-1" in done.stderr
        record = json.loads((world["dir"] / "deployment.json").read_text())
        roots = {n["name"]: n["access"]["root"] for n in record["nodes"]}
        assert set(roots) == {"sandbox-0", "sandbox-1"} and all(Path(r).is_dir() for r in roots.values())

        # SIGKILL the whole `up` (CLI and ansible-playbook) while configure runs
        killed = subprocess.Popen(
            [sys.executable, "-m", "aiinfra_iac.cli", "up", bp, "--yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            env=env(world), start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (world["dir"] / "configure" / "artifacts").is_dir():
            time.sleep(0.5)
        time.sleep(3)
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(timeout=30)

        done = aiinfra(world, "up", bp, "--yes", outputs=outputs)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "provision: done earlier" in done.stderr and "configure, validate finished" in done.stderr
        # the killed up's ansible-playbook (its own session) was stopped, not left converging the nodes
        assert playbooks_on(inventory_file) == []
        results = world["dir"] / "results"
        assert len(list(results.iterdir())) == 1
        for node, root in roots.items():  # configure tuned the nodes, in their chroots
            sysctls = (Path(root) / "etc/sysctl.d/90-aiinfra-host-tuning.conf").read_text()
            assert "kernel.numa_balancing = 0" in sysctls, node
            limits = (Path(root) / "etc/security/limits.d/90-aiinfra-memlock.conf").read_text()
            assert "*    hard    memlock    unlimited" in limits, node
            assert (Path(root) / "var/lib/dpkg/info/numactl.list").exists(), f"{node}: numactl not installed"
        assert not Path("/etc/sysctl.d/90-aiinfra-host-tuning.conf").exists()  # this machine was not retuned

        done = aiinfra(world, "validate", bp, outputs=outputs)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"of deployment {world['dir'].name} (local)" in done.stderr
        assert len(list(results.iterdir())) == 2  # one folder convention for up and validate

        done = aiinfra(world, "diff", bp, "--detailed-exitcode", outputs=outputs)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "no node differs" in done.stdout
        inventory = json.loads((world["dir"] / "configure" / "inventory" / "hosts.json").read_text())
        hosts = inventory["all"]["children"]["pool_sandbox"]["hosts"]

        def plain(value: object) -> object:  # values reach Ansible marked unsafe (never templated)
            return value.get("__ansible_unsafe", value) if isinstance(value, dict) else value

        assert {h: plain(v["ansible_host"]) for h, v in hosts.items()} == roots  # the recorded chroots

        for folder in (world["dir"], world["dir"] / "configure", world["dir"] / "configure" / "artifacts"):
            assert folder.stat().st_mode & 0o077 == 0, folder
        assert len(list((world["dir"] / "configure" / "artifacts").iterdir())) <= 2  # pruned
        assert leaks([world["state"], world["home"]], outputs) == []
    finally:
        stop_leftover_playbooks(inventory_file)
        first = aiinfra(world, "down", bp, "--yes", outputs=outputs)
        second = aiinfra(world, "down", bp, "--yes", outputs=outputs)
    assert first.returncode == 0 and "removed the sandbox in" in first.stderr, first.stderr
    assert "removed the configure runner artifacts" in first.stderr
    assert second.returncode == 0 and "nothing to remove" in second.stderr
    assert not (world["dir"] / "sandbox").exists()
