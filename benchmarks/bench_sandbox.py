"""Wall time of the running sandbox: ``up`` (cold and/or warm image cache), ``validate``, ``down``.

Runs the CLI exactly as README's main job does, on ``blueprints/local-sandbox.yaml`` (controller +
3 compute nodes) under its own cluster name, state folder and subnet, and prints one line per step
with the node count. Cold: an empty ``AIINFRA_CHROOT_CACHE`` (debootstrap runs); warm: the day's
cached image. Goal (issue 12): a 4-node warm ``up`` under 3 minutes on a 2-core machine.

Needs root, debootstrap, iproute2 and the Debian archive. Usage:
    python benchmarks/bench_sandbox.py [--cold] [--subnet 10.236.9.0/24]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLUEPRINT = REPO / "blueprints" / "local-sandbox.yaml"


def _step(label: str, nodes: int, state: Path, env: dict[str, str], *args: str) -> float:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "aiinfra_iac.cli", *args, "--state-dir", str(state)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    took = time.monotonic() - started
    print(f"{label:<24} {nodes} nodes  {took:7.1f} s  exit {done.returncode}", flush=True)
    if done.returncode not in (0, 1):
        print(done.stderr[-3000:], file=sys.stderr)
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also measure up with an empty image cache")
    parser.add_argument("--subnet", default="10.236.9.0/24", help="sandbox subnet (must be free)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench_sandbox: needs root (namespaces, chroots)", file=sys.stderr)
        return 2
    from aiinfra_iac.plan import plan_from_file

    work = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    text = BLUEPRINT.read_text().replace("name: local-sandbox", "name: bench-sandbox")
    text = text.replace("sandbox: chroot}", f"sandbox: chroot, sandboxSubnet: {args.subnet}}}")
    file = work / "bench-sandbox.yaml"
    file.write_text(text)
    nodes = plan_from_file(file)[0].summary.nodes
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = (
        [("up (cold image cache)", {**env, "AIINFRA_CHROOT_CACHE": str(work / "cache")})] if args.cold else []
    )
    runs.append(("up (warm image cache)", env))
    for label, run_env in runs:
        state = work / "state"
        _step(label, nodes, state, run_env, "up", str(file), "--yes")
        _step("validate (through Slurm)", nodes, state, run_env, "validate", str(file))
        _step("up again (no change)", nodes, state, run_env, "up", str(file), "--yes")
        _step("down", nodes, state, run_env, "down", str(file), "--yes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
