"""Validation of the running chroot sandbox through its Slurm: nothing runs on the host itself.

Compute pools: every step is an ``srun`` issued on the controller node (inside its namespace and
chroot), exactly as on a real Slurm cluster; the tasks run the CPU fallback
(:mod:`sandbox_probe`, copied into each node) with the node's own python3 and numpy. The
cluster-wide all-reduce is a TCP ring between the compute nodes, so it crosses the sandbox
bridge. Pools without slurmd (the controller) run the same probe as node commands.

When the cluster-wide collective fails or falls below its expected bus bandwidth, ring-neighbour
pair tests run (node i with node i+1, both directions at once) and a node whose every pair is
slow is named (:func:`slow_nodes`); the findings go to ``<cluster dir>/ring_pairs.json`` and
become one failing check per named node (:func:`link_checks`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from aiinfra_iac.errors import AiinfraError
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan, ValidationCheckPlan
from aiinfra_iac.validate import layout
from aiinfra_iac.validate.runners.formats import (
    BurnWorker,
    Measurement,
    RankInfo,
    algbw_gbps,
    bus_factor,
    gpu_burn_text,
    nccl_tests_text,
)
from aiinfra_iac.validate.runners.sandbox_access import NodeAccess
from aiinfra_iac.validate.runners.sizes import parse_size
from aiinfra_iac.validate.types import CheckResult, Verdict

PROBE = "/opt/aiinfra/sandbox_probe.py"
PAIRS_FILE = "ring_pairs.json"
TEXTFILE_DIR = "var/lib/prometheus/node-exporter"
"""The observability role's ``observability_textfile_dir``, below a node root."""
PAIR_BYTES = 4 << 20
RING_PORT = 29400
PAIR_PORT = 29500
MATRIX = 256
_SET_HOSTNAME = '/bin/hostname "$0" && exec "$@"'


class SandboxRunError(AiinfraError):
    """A validation step in the sandbox could not run (not a measurement: the step itself failed)."""


@dataclass(frozen=True)
class SandboxCluster:
    plan: ClusterPlan
    nodes: Mapping[str, NodeAccess]

    @property
    def controller(self) -> str:
        hosts = [h for p in self.plan.pools if p.role == "controller" for h in p.hosts]
        if not hosts:
            raise SandboxRunError(f"{self.plan.name}: validation through Slurm needs a controller pool")
        return hosts[0]

    def command(self, node: str, argv: list[str]) -> list[str]:
        access = self.nodes[node]
        inner = ["/bin/sh", "-c", _SET_HOSTNAME, node, *argv]
        return ["ip", "netns", "exec", access.netns, "unshare", "--uts", "chroot", str(access.root), *inner]

    def run(self, node: str, argv: list[str], *, timeout_s: float = 600) -> str:
        cmd = self.command(node, argv)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip()[-1500:]
            raise SandboxRunError(f"{node}: {' '.join(argv)} failed (exit {proc.returncode}):\n{tail}")
        return proc.stdout

    def srun(self, hosts: list[str], argv: list[str], *, tasks: int | None = None) -> list[str]:
        """Run ``argv`` as one Slurm step over ``hosts`` from the controller; stdout lines by task id."""
        n = tasks or len(hosts)
        step = ["srun", f"--nodelist={','.join(hosts)}", f"--nodes={len(hosts)}", f"--ntasks={n}"]
        step += ["--overcommit", "--label", "--kill-on-bad-exit=1", "--time=5", *argv]
        out = self.run(self.controller, step, timeout_s=330)
        by_task: dict[int, str] = {}
        for line in out.splitlines():
            task, _, text = line.partition(": ")
            if task.strip().isdigit() and text.strip():
                by_task[int(task)] = text.strip()
        return [by_task.get(i, "") for i in range(n)]


def install_probe(cluster: SandboxCluster) -> None:
    source = Path(__file__).with_name("sandbox_probe.py")
    for access in cluster.nodes.values():
        target = access.root / PROBE.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def run_sandbox(
    plan: ClusterPlan,
    nodes: Mapping[str, NodeAccess],
    results_dir: Path,
    console: Console,
    *,
    burn_seconds: float | None,
) -> None:
    cluster = SandboxCluster(plan, nodes)
    install_probe(cluster)
    for check in plan.validation:
        pool = plan.pool(check.pool)
        slurm = pool.role == "compute"
        where = "through Slurm (srun on " + cluster.controller + ")" if slurm else "as node commands"
        console.print(f"[bold]{check.id}[/] {len(pool.hosts)} node(s) {where}")
        if check.kind == "gpu_burn":
            seconds = burn_seconds if burn_seconds is not None else float(check.params.get("seconds", 10))
            _burn(cluster, pool, slurm, seconds, results_dir)
        elif check.kind == "nccl":
            _collective(cluster, check, pool, slurm, results_dir, console)
        else:
            console.print(f"[yellow]{check.id}: {check.kind} has no CPU fallback in the sandbox[/]")


def _burn(cluster: SandboxCluster, pool: PoolPlan, slurm: bool, seconds: float, results_dir: Path) -> None:
    argv = ["python3", PROBE, "burn", repr(seconds), str(MATRIX)]
    hosts = list(pool.hosts)
    lines = cluster.srun(hosts, argv) if slurm else [cluster.run(h, argv).strip() for h in hosts]
    flops = 2.0 * MATRIX**3
    for host, line in zip(hosts, lines, strict=True):
        header = [f"# aiinfra sandbox CPU fallback of gpu-burn on {host}: 1 worker, {seconds:g} s"]
        try:
            iterations, errors, spent = json.loads(line)
        except ValueError:
            iterations, errors, spent = 0, 1, seconds
            header.append(f"worker 0 printed no result: {line[:200]!r}")
        worker = BurnWorker(
            index=0,
            name=f"CPU worker (numpy float64 {MATRIX}x{MATRIX} matmul, sandbox node {host})",
            iterations=int(iterations),
            gflops=flops * int(iterations) / max(float(spent), 1e-9) / 1e9,
            errors=int(errors),
        )
        out = results_dir / host / layout.GPU_BURN_FILE
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(gpu_burn_text([worker], round(seconds), header=header, temp_c=None), encoding="utf-8")


def _collective(
    cluster: SandboxCluster,
    check: ValidationCheckPlan,
    pool: PoolPlan,
    slurm: bool,
    results_dir: Path,
    console: Console,
) -> None:
    lo = parse_size(str(check.params.get("minBytes", "1K")))
    hi = parse_size(str(check.params.get("maxBytes", "16M")))
    collective = layout.collective_of(check)
    if check.scope == "pool":
        hosts = list(pool.hosts)
        out = layout.check_path(cluster.plan, results_dir, check, layout.CLUSTER_DIR)
        rows = _ring(cluster, hosts, hosts, lo, hi, slurm=slurm)
        _write_ring(out, collective, hosts, rows, lo, hi)
        busbw = _busbw(rows, len(hosts))
        if check.expected is not None and (not rows or busbw < check.expected):
            console.print(
                f"[yellow]{check.id}: bus bandwidth {busbw:.3f} GB/s below {check.expected:g}; "
                "ring-neighbour pair tests[/]"
            )
            _pairs(cluster, hosts, check, out.parent / PAIRS_FILE, slurm=slurm)
        return
    for host in pool.hosts:
        ranks = [host, host]  # two ranks on loopback inside the node, as the CPU fallback does
        rows = _ring(cluster, [host], ranks, lo, hi, slurm=slurm)
        _write_ring(
            layout.check_path(cluster.plan, results_dir, check, host), collective, ranks, rows, lo, hi
        )


def _ring(
    cluster: SandboxCluster, hosts: list[str], ranks: list[str], lo: int, hi: int, *, slurm: bool
) -> list[list[float]]:
    argv = ["python3", PROBE, "ring", ",".join(ranks), str(lo), str(hi), str(RING_PORT)]
    try:
        if slurm:
            lines = cluster.srun(hosts, argv, tasks=len(ranks))
        else:
            lines = _node_ranks(cluster, hosts[0], argv, len(ranks))
    except (SandboxRunError, subprocess.TimeoutExpired):
        return []
    try:
        rows: list[list[float]] = json.loads(lines[0])
    except ValueError:
        return []
    return rows


def _node_ranks(cluster: SandboxCluster, host: str, argv: list[str], n: int) -> list[str]:
    """``n`` ranks of ``argv`` as node commands on ``host`` (no slurmd there); rank 0's output first."""
    procs = [
        subprocess.Popen(
            cluster.command(host, ["env", f"AIINFRA_RANK={r}", *argv]),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in range(n)
    ]
    outs = [p.communicate(timeout=600)[0].strip() for p in procs]
    if any(p.returncode for p in procs):
        raise SandboxRunError(f"{host}: {' '.join(argv)} failed")
    return outs


def _busbw(rows: list[list[float]], n: int) -> float:
    if not rows:
        return 0.0
    size, time_us, _ = rows[-1]
    return algbw_gbps(int(size), float(time_us)) * bus_factor("all_reduce", n)


def _write_ring(
    out: Path, collective: str, ranks: list[str], rows: list[list[float]], lo: int, hi: int
) -> None:
    infos = [
        RankInfo(i, 0, host, ranks[:i].count(host), f"CPU tcp ring {host}") for i, host in enumerate(ranks)
    ]
    measured = [Measurement(int(s), int(s) // 4, float(t), int(w), float(t), int(w)) for s, t, w in rows]
    text = nccl_tests_text(
        collective,
        infos,
        measured,
        min_bytes=lo,
        max_bytes=hi,
        warmup=1,
        iters=1,
        comments=[f"aiinfra sandbox CPU fallback: numpy ring all-reduce over TCP, {len(ranks)} ranks"],
    )
    if not rows:
        text = text.replace(
            "# Using devices", "# the ring all-reduce step failed or printed no result\n# Using devices"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


def _pairs(
    cluster: SandboxCluster, hosts: list[str], check: ValidationCheckPlan, out: Path, *, slurm: bool
) -> None:
    pairs: list[dict[str, Any]] = []
    for i, host in enumerate(hosts):
        peer = hosts[(i + 1) % len(hosts)]
        if peer == host or (len(hosts) == 2 and i == 1):
            continue
        argv = ["python3", PROBE, "pair", f"{host},{peer}", str(PAIR_BYTES), str(PAIR_PORT)]
        try:
            lines = cluster.srun([host, peer], argv) if slurm else _node_pair(cluster, host, peer, argv)
            seconds = max(float(json.loads(line)["seconds"]) for line in lines)
            gbps = PAIR_BYTES / seconds / 1e9
        except (SandboxRunError, ValueError, KeyError, subprocess.TimeoutExpired):
            gbps = 0.0
        pairs.append({"nodes": [host, peer], "GBps": round(gbps, 4)})
    expected = float(check.expected or 0.0)
    named = slow_nodes([(p["nodes"][0], p["nodes"][1], float(p["GBps"])) for p in pairs], expected)
    out.write_text(
        json.dumps(
            {"check": check.id, "expectedGBps": expected, "pairs": pairs, "slowNodes": named}, indent=2
        )
    )


def _node_pair(cluster: SandboxCluster, host: str, peer: str, argv: list[str]) -> list[str]:
    procs = [
        subprocess.Popen(
            cluster.command(h, argv), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        for h in (host, peer)
    ]
    return [p.communicate(timeout=300)[0].strip() for p in procs]


SLOW_FRACTION = 0.5
"""A pair is slow below its expected bandwidth *and* below this fraction of the best pair: a busy
host slows every pair alike, a bad link slows only the pairs through it."""


def slow_nodes(pairs: list[tuple[str, str, float]], expected: float) -> list[str]:
    """Nodes whose every ring-neighbour pair is slow; with one slow pair, both its nodes.

    A node with a slow link slows both pairs it belongs to; a node with one slow and one fast pair
    is the neighbour of a slow node, not slow itself. When every pair is alike (all slow), no single
    node is to blame and none is named (the collective check itself still fails).
    """
    best = max((gbps for _, _, gbps in pairs), default=0.0)
    bar = min(expected, SLOW_FRACTION * best)
    slow = [(a, b) for a, b, gbps in pairs if gbps < bar]
    if not slow:
        return []
    members: dict[str, list[bool]] = {}
    for a, b, gbps in pairs:
        for node in (a, b):
            members.setdefault(node, []).append(gbps < bar)
    named = [node for node, flags in members.items() if all(flags) and len(flags) > 1]
    return sorted(named or {n for pair in slow for n in pair})


def link_checks(plan: ClusterPlan, results_dir: Path) -> list[CheckResult]:
    """One failing check per node the pair tests named (empty when they did not run or named none)."""
    found: list[CheckResult] = []
    for pool_name in layout.multi_node_pools(plan):
        path = layout.cluster_dir(plan, results_dir, pool_name) / PAIRS_FILE
        if not path.is_file():
            continue
        doc = json.loads(path.read_text())
        for node in doc["slowNodes"]:
            mine = [p for p in doc["pairs"] if node in p["nodes"]]
            detail = ", ".join(f"{'-'.join(p['nodes'])} {p['GBps']:.4f} GB/s" for p in mine)
            found.append(
                CheckResult(
                    id=f"{doc['check']}:links",
                    node=node,
                    pool=pool_name,
                    kind="nccl",
                    status="fail",
                    measured=min(float(p["GBps"]) for p in mine),
                    expected=float(doc["expectedGBps"]),
                    unit="GB/s",
                    detail=f"slow node: every ring-neighbour pair with it is below "
                    f"{doc['expectedGBps']:g} GB/s ({detail})",
                )
            )
    return found


def finish_verdict(
    plan: ClusterPlan, verdict: Verdict, results_dir: Path, nodes: Mapping[str, NodeAccess]
) -> Verdict:
    """The judged verdict plus the slow-node findings, written to every node's textfile collector."""
    from aiinfra_iac.validate.metrics_textfile import write_textfiles

    full = Verdict(verdict.cluster, (*verdict.checks, *link_checks(plan, results_dir)))
    dirs = {name: access.root / TEXTFILE_DIR for name, access in nodes.items()}
    write_textfiles(full, dirs, cluster_node=SandboxCluster(plan, nodes).controller)
    return full
