"""Wall time of a cold `aiinfra check` (a fresh interpreter per run, as a user or CI runs it).

Three inputs: a ~50-line blueprint, a generated on-prem blueprint with 1,024 hosts and a 2 MB one
(55,000 hosts, with an explicit ``!!str`` tag so the loader's tag scan runs too: issue 16).
Targets: < 0.5 s, < 2 s and < 5 s (median of the runs). Usage: python benchmarks/bench_check.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL = """apiVersion: aiinfra/v1
kind: Cluster
metadata:
  name: bench-small
  team: research
spec:
  provider:
    type: aws
    region: us-east-1
    availabilityZone: us-east-1a
  nodePools:
    - name: train
      instanceType: p5.48xlarge
      count: 16
      capacity:
        type: capacity-block
        reservationId: cr-0a1b2c3d4e5f60718
      fabric: efa
      labels: {workload: training}
  fabrics:
    - name: efa
      type: efa
  storage:
    - name: scratch
      type: fsx-lustre
      capacityGiB: 4800
      deploymentType: PERSISTENT_2
      throughputPerTiB: 1000
      efa: true
      mountPath: /fsx
    - name: datasets
      type: s3
  scheduler:
    type: kubernetes
    kubernetes: {version: "1.31", queueing: kueue}
  observability: {metrics: prometheus, dashboards: grafana, gpuExporter: dcgm}
  tuning:
    driver: {branch: "580", open: true}
    nccl:
      env: {NCCL_DEBUG: WARN}
    host: {cpuGovernor: performance, numaBalancing: false}
  validation:
    gpuBurn: {seconds: 300}
    nccl:
      collectives: [all_reduce, all_gather]
      maxBytes: 8G
      minBusBwGBps: auto
    rdma: {minGbps: auto}
    rules: {failBelow: 0.90, warnBelow: 0.95}
"""


def large(hosts: int) -> str:
    pools = "\n".join(
        f"    - name: rack{rack:02d}\n      gpu: {{model: H100-SXM, count: 8}}\n"
        "      fabric: ib\n      hosts:\n"
        + "\n".join(f"        - gpu-{rack:02d}-{n:03d}.cluster.internal" for n in range(64))
        for rack in range(hosts // 64)
    )
    return (
        "apiVersion: aiinfra/v1\nkind: Cluster\nmetadata: {name: bench-large}\nspec:\n"
        "  provider: {type: onprem, sshUser: ansible}\n  nodePools:\n"
        "    - {name: head, role: controller, hosts: [slurm-head-01]}\n"
        f"{pools}\n"
        "  fabrics: [{name: ib, type: infiniband, nic: connectx-7, linkGbps: 400, railsPerNode: 8}]\n"
        "  scheduler: {type: slurm}\n"
    )


def time_check(path: Path, runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds and CPU seconds (user + system of the child) of each cold run."""
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "aiinfra_iac.cli", "check", str(path)], capture_output=True, text=True
        )
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if result.returncode != 0:
            raise SystemExit(f"check failed on {path}:\n{result.stdout}{result.stderr}")
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, big, huge = Path(tmp, "small.yaml"), Path(tmp, "large.yaml"), Path(tmp, "huge.yaml")
        small.write_text(SMALL)
        big.write_text(large(1024))
        huge.write_text(large(55_000).replace("apiVersion: aiinfra/v1", "apiVersion: !!str aiinfra/v1"))
        for label, path, target in (
            (f"~50-line blueprint ({len(SMALL.splitlines())} lines)", small, 0.5),
            (f"1,024 on-prem hosts ({len(big.read_text().splitlines())} lines)", big, 2.0),
            (f"2 MB blueprint ({huge.stat().st_size / 2**20:.1f} MiB, 55,000 hosts)", huge, 5.0),
        ):
            times, cpu = time_check(path, args.runs)
            median = statistics.median(times)
            verdict = "ok" if median < target else "MISSED"
            print(
                f"check {label}: wall median {median:.3f} s, min {min(times):.3f} s; "
                f"CPU median {statistics.median(cpu):.3f} s over {args.runs} cold runs "
                f"(target < {target} s: {verdict})"
            )
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
