"""Wall time of `aiinfra validate FILE --results DIR` on a generated 1,024-node results tree.

The tree holds what a DGX-H100-class fleet writes (DESIGN.md layout): per node gpu_burn.log,
dcgm_diag.json, nccl_all_reduce.log and eight ib_write_bw_mlx5_<n>.log (one per rail), plus the
8,192-rank multi-node run in _cluster/; 1 % of the nodes carry a faulty GPU and 1 % a degraded HCA
(from the fixture sets in tests/fixtures/validate/). Target: < 10 s (median of the runs, fresh
interpreter each, as a user or CI runs it); with ``--html``: the HTML report too, < 15 s and < 5 MB.
Usage: python benchmarks/bench_validate.py [--nodes N] [--runs N] [--html]
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

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "validate" / "nodes"
RAILS = 8
TARGET_S = 10.0
TARGET_HTML_S = 15.0
TARGET_HTML_BYTES = 5 * 1024 * 1024


def blueprint(nodes: int) -> str:
    hosts = ", ".join(f"gpu-{i:04d}" for i in range(nodes))
    hcas = ", ".join(f"mlx5_{i}" for i in range(RAILS))
    return f"""apiVersion: aiinfra/v1
kind: Cluster
metadata:
  name: bench-validate
spec:
  provider: {{type: onprem, sshUser: ansible}}
  nodePools:
    - {{name: head, role: controller, hosts: [head-0]}}
    - name: gpu
      gpu: {{model: H100-SXM, count: 8}}
      hosts: [{hosts}]
      fabric: ib
  fabrics:
    - {{name: ib, type: infiniband, nic: connectx-7, linkGbps: 400, railsPerNode: {RAILS}, hcas: [{hcas}]}}
  scheduler: {{type: slurm}}
  validation:
    nccl: {{collectives: [all_reduce]}}
"""


def cluster_log(nodes: int) -> str:
    """An nccl-tests all_reduce across every GPU of the fleet, in the real output format."""
    sys.path.insert(0, str(REPO))
    from aiinfra_iac.validate.runners.formats import Measurement, RankInfo, nccl_tests_text

    ranks = [
        RankInfo(r, 1000 + r, f"gpu-{r // 8:04d}", r % 8, "NVIDIA H100 80GB HBM3") for r in range(nodes * 8)
    ]
    rows = []
    size = 8
    while size <= 8 << 30:
        time_us = 30.0 + size / 1e3 / 190.0  # ~360 GB/s busbw at 8 GiB on 8,192 ranks (factor ~2)
        rows.append(Measurement(size, size // 4, time_us, 0, time_us, 0))
        size *= 2
    return nccl_tests_text("all_reduce", ranks, rows, min_bytes=8, max_bytes=8 << 30, warmup=5, iters=20)


def build_tree(root: Path, nodes: int) -> None:
    def read(fixture: str, name: str) -> str:
        return (FIXTURES / fixture / name).read_text()

    healthy = {
        n: read("healthy-h100x8", n) for n in ("gpu_burn.log", "dcgm_diag.json", "nccl_all_reduce.log")
    }
    healthy_ib = read("healthy-h100x8", "ib_write_bw_mlx5_0.log")
    faulty_burn = read("faulty-gpu-h100x8", "gpu_burn.log")
    degraded_ib = read("degraded-hca-h100x8", "ib_write_bw_mlx5_0.log")
    for i in range(nodes):
        node = root / f"gpu-{i:04d}"
        node.mkdir(parents=True)
        for name, text in healthy.items():
            (node / name).write_text(faulty_burn if name == "gpu_burn.log" and i % 100 == 7 else text)
        for rail in range(RAILS):
            ib = degraded_ib if i % 100 == 42 and rail == 3 else healthy_ib
            (node / f"ib_write_bw_mlx5_{rail}.log").write_text(ib.replace(": mlx5_0", f": mlx5_{rail}"))
    (root / "_cluster").mkdir()
    (root / "_cluster" / "nccl_all_reduce.log").write_text(cluster_log(nodes))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--html", action="store_true", help="also write the HTML report (target < 15 s, < 5 MB)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        root = Path(tmp)
        bp = root / "fleet.yaml"
        bp.write_text(blueprint(args.nodes))
        tree = root / "results"
        start = time.perf_counter()
        build_tree(tree, args.nodes)
        files = sum(1 for _ in tree.rglob("*") if _.is_file())
        print(f"generated {args.nodes} nodes, {files} result files in {time.perf_counter() - start:.1f} s")
        command = [sys.executable, "-m", "aiinfra_iac.cli", "validate", str(bp), "--results", str(tree)]
        command += ["--format", "json"]
        page = root / "report.html"
        if args.html:
            command += ["--html", str(page)]
        times: list[float] = []
        cpu: list[float] = []
        for _ in range(args.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=dict(os.environ))
            times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if done.returncode not in (0, 1):
                print(done.stderr[-2000:], file=sys.stderr)
                return 1
        doc = json.loads(done.stdout)
        counts = {s: sum(1 for c in doc["checks"] if c["status"] == s) for s in ("pass", "warn", "fail")}
        html_bytes = page.stat().st_size if args.html else 0
    median = statistics.median(times)
    target = TARGET_HTML_S if args.html else TARGET_S
    print(f"checks judged: {len(doc['checks'])} ({counts}); verdict {doc['verdict']}")
    what = "--results --html" if args.html else "--results"
    print(
        f"aiinfra validate {what}, {args.nodes} nodes x {RAILS} rails: median {median:.2f} s "
        f"over {args.runs} runs (min {min(times):.2f} s, max {max(times):.2f} s; target < {target:g} s) "
        f"on {os.cpu_count()} CPUs"
    )
    if args.html:
        print(f"HTML report: {html_bytes / 1e6:.2f} MB (target < {TARGET_HTML_BYTES / 1e6:.2f} MB)")
    print(
        f"CPU time of the command and its worker processes: median {statistics.median(cpu):.2f} s "
        f"(load average {os.getloadavg()[0]:.1f}: other processes share these CPUs)"
    )
    ok = median < target and (not args.html or html_bytes < TARGET_HTML_BYTES)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
