"""Wall time of `aiinfra preflight` on the shipped p5 EKS blueprint against moto's AWS API emulator.

A fresh interpreter per run (as a user runs it), moto_server started once on 127.0.0.1.
Target: < 5 s (median). Usage: python benchmarks/bench_preflight.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.preflight.motoserver import moto_env, moto_server  # noqa: E402

BLUEPRINT = REPO / "blueprints" / "h100-p5-eks-fsx-training.yaml"
TARGET_S = 5.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with moto_server() as url:
        env = {**moto_env(url), "PYTHONPATH": str(REPO)}
        times = []
        cpu = []
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "aiinfra_iac.cli", "preflight", str(BLUEPRINT), "--format", "json"],
                capture_output=True,
                text=True,
                env=env,
            )
            times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            if done.returncode != 0:
                print(done.stdout + done.stderr, file=sys.stderr)
                return 1
    median = statistics.median(times)
    print(
        f"preflight p5 EKS blueprint vs moto: median {median:.2f} s, min {min(times):.2f} s, "
        f"max {max(times):.2f} s over {runs} runs (target < {TARGET_S:.0f} s); CPU (user+sys) of the "
        f"command median {statistics.median(cpu):.2f} s; load average {os.getloadavg()[0]:.1f}"
    )
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
