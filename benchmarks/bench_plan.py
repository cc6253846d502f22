"""Wall time of a cold `aiinfra plan --format json` on generated on-prem blueprints.

Two inputs: 1,024 and 10,240 DGX-class hosts (8 x H100, 8-rail InfiniBand, Slurm) in racks
of 64, plus a Slurm head. Targets: < 5 s and < 30 s (median of the runs, a fresh interpreter
per run, as a user or CI runs it). The JSON document is parsed after each run to check it
lists every host. Usage: python benchmarks/bench_plan.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RACK = 64
CASES = ((1024, 5.0), (10_240, 30.0))


def onprem_blueprint(hosts: int) -> str:
    racks = "\n".join(
        f"    - name: rack{rack:03d}\n      gpu: {{model: H100-SXM, count: 8}}\n"
        "      fabric: ib\n      hosts:\n"
        + "\n".join(f"        - gpu-{rack:03d}-{n:02d}.cluster.internal" for n in range(RACK))
        for rack in range(hosts // RACK)
    )
    return (
        f"apiVersion: aiinfra/v1\nkind: Cluster\nmetadata: {{name: bench-plan-{hosts}}}\nspec:\n"
        "  provider: {type: onprem, sshUser: ansible}\n  nodePools:\n"
        "    - {name: head, role: controller, hosts: [slurm-head-01]}\n"
        f"{racks}\n"
        "  fabrics: [{name: ib, type: infiniband, nic: connectx-7, linkGbps: 400, railsPerNode: 8}]\n"
        "  scheduler: {type: slurm}\n"
    )


def time_plan(path: Path, hosts: int, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds (user + system of the child) of each cold run."""
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "aiinfra_iac.cli", "plan", str(path), "--format", "json"],
            capture_output=True,
            text=True,
            check=False,
        )
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"plan failed on {path} (exit {done.returncode}):\n{done.stderr}")
        doc = json.loads(done.stdout)
        listed = sum(len(entry["hosts"]) for entry in doc["configuration"])
        if listed != hosts + 1 or doc["summary"]["nodes"] != hosts + 1:
            raise SystemExit(f"plan of {path} lists {listed} hosts, expected {hosts + 1}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for hosts, target in CASES:
            path = Path(tmp, f"onprem-{hosts}.yaml")
            path.write_text(onprem_blueprint(hosts))
            wall, cpu = time_plan(path, hosts, args.runs)
            median = statistics.median(wall)
            verdict = "ok" if median < target else "MISSED"
            lines = len(path.read_text().splitlines())
            print(
                f"plan --format json, {hosts:,} on-prem hosts ({lines:,} lines): "
                f"wall median {median:.2f} s, min {min(wall):.2f} s; "
                f"CPU median {statistics.median(cpu):.2f} s over {args.runs} cold runs "
                f"(target < {target:g} s: {verdict})"
            )
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
