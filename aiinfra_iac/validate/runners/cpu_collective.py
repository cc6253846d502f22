"""CPU fallback of nccl-tests: collectives over torch.distributed's gloo backend (TCP on loopback).

One spawned process per rank; every requested run (a node's ranks, or the whole pool's) is done
in one process group session using sub-groups, so the fallback pays torch's import once per rank.
Each run's rank 0 writes the log in the nccl-tests table format (see :mod:`.formats`).
Out-of-place copies the input into a separate output buffer before the collective; in-place runs
it on the input buffer. Values are small integers so sums are exact and ``#wrong`` is a real check.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiinfra_iac.errors import MissingToolError
from aiinfra_iac.validate.runners.cpu_worker import spawn_worker
from aiinfra_iac.validate.runners.formats import Measurement, RankInfo, nccl_tests_text
from aiinfra_iac.validate.runners.sizes import sweep

SUPPORTED = ("all_reduce", "all_gather", "broadcast", "reduce")
TORCH_PIP = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
ELEMENT = 4  # float32


@dataclass(frozen=True)
class CollectiveRun:
    """One nccl-tests-like run: ``ranks`` are global rank numbers of the session."""

    collective: str
    ranks: tuple[int, ...]
    hosts: tuple[str, ...]
    """Node label of each rank (for the ``# Rank … on <host>`` lines)."""
    min_bytes: int
    max_bytes: int
    out_file: Path
    warmup: int = 2
    iters: int = 10


def runs_to_json(runs: list[CollectiveRun]) -> str:
    return json.dumps([{**asdict(r), "out_file": str(r.out_file)} for r in runs])


def runs_from_json(text: str) -> list[CollectiveRun]:
    return [
        CollectiveRun(
            **{**r, "ranks": tuple(r["ranks"]), "hosts": tuple(r["hosts"]), "out_file": Path(r["out_file"])}
        )
        for r in json.loads(text)
    ]


def require_torch() -> None:
    try:
        import torch.distributed as dist
    except ImportError as error:
        raise MissingToolError("torch (CPU fallback of nccl-tests)", TORCH_PIP) from error
    if not dist.is_available() or not dist.is_gloo_available():
        raise MissingToolError("torch.distributed with gloo", TORCH_PIP)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_collectives(runs: list[CollectiveRun], *, timeout_s: float = 300.0) -> list[Path]:
    """Run every ``runs`` entry on ``max(rank)+1`` local processes; returns the logs written."""
    require_torch()
    unsupported = [r for r in runs if r.collective not in SUPPORTED]
    for run in unsupported:
        run.out_file.parent.mkdir(parents=True, exist_ok=True)
        run.out_file.write_text(
            f"# aiinfra CPU fallback: {run.collective} is not implemented over gloo "
            f"(supported: {', '.join(SUPPORTED)})\n",
            encoding="utf-8",
        )
    todo = [r for r in runs if r.collective in SUPPORTED]
    if not todo:
        return [r.out_file for r in runs]
    world = max(max(r.ranks) for r in todo) + 1
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="aiinfra-gloo-") as tmp:
        jobs = Path(tmp) / "runs.json"
        jobs.write_text(runs_to_json(todo), encoding="utf-8")
        procs = [
            spawn_worker("collective", str(rank), str(world), str(port), str(jobs)) for rank in range(world)
        ]
        deadline = time.monotonic() + timeout_s
        errors: list[str] = []
        stuck = False
        for proc in procs:
            try:
                _, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                stuck = True
                os.killpg(proc.pid, signal.SIGKILL)
                _, err = proc.communicate()
            if proc.returncode:
                errors.append(err.strip().splitlines()[-1] if err.strip() else f"exit {proc.returncode}")
    for run in todo:
        if not run.out_file.exists():
            why = (
                f"timed out after {timeout_s:g} s" if stuck else f"failed: {'; '.join(errors) or 'no output'}"
            )
            run.out_file.parent.mkdir(parents=True, exist_ok=True)
            run.out_file.write_text(f"# aiinfra CPU fallback: {run.collective} run {why}\n", encoding="utf-8")
    return [r.out_file for r in runs]


def rank_main(rank: int, world: int, port: int, runs: list[CollectiveRun]) -> None:
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    try:
        for run in runs:
            group = dist.new_group(list(run.ranks))  # every rank must take part in new_group
            if rank not in run.ranks:
                continue
            rows = [_measure(run, group, size) for size in _sizes(run)]
            infos: list[object] = [None] * len(run.ranks)
            me = RankInfo(rank=run.ranks.index(rank), pid=os.getpid(), host="", device=0, name="")
            dist.all_gather_object(infos, me, group=group)
            if rank == run.ranks[0]:
                _write(run, [i for i in infos if isinstance(i, RankInfo)], rows)
        dist.barrier()
    finally:
        dist.destroy_process_group()


def _sizes(run: CollectiveRun) -> list[int]:
    quantum = ELEMENT * len(run.ranks)
    return [s for s in sweep(run.min_bytes, run.max_bytes) if s >= quantum]


def _write(run: CollectiveRun, infos: list[RankInfo], rows: list[Measurement]) -> None:
    per_node: dict[str, int] = {}
    ranks = []
    for info, host in zip(sorted(infos, key=lambda i: i.rank), run.hosts, strict=True):
        device = per_node.get(host, 0)
        per_node[host] = device + 1
        ranks.append(RankInfo(info.rank, info.pid, host, device, f"CPU gloo/tcp {socket.gethostname()}"))
    text = nccl_tests_text(
        run.collective,
        ranks,
        rows,
        min_bytes=run.min_bytes,
        max_bytes=run.max_bytes,
        warmup=run.warmup,
        iters=run.iters,
        comments=[f"aiinfra CPU fallback: torch.distributed gloo over TCP loopback, {len(ranks)} ranks"],
    )
    run.out_file.parent.mkdir(parents=True, exist_ok=True)
    run.out_file.write_text(text, encoding="utf-8")


def _measure(run: CollectiveRun, group: Any, size: int) -> Measurement:
    import torch
    import torch.distributed as dist

    n = len(run.ranks)
    me = run.ranks.index(dist.get_rank())
    count = size // ELEMENT
    op = _Op(run.collective, group, n, me, count)
    oop = _timed(op.out_of_place, run, group)
    ip = _timed(op.in_place, run, group)
    wrong = torch.tensor([op.check(op.out_of_place), op.check(op.in_place)], dtype=torch.int64)
    dist.all_reduce(wrong, group=group)
    return Measurement(size, count, oop, int(wrong[0]), ip, int(wrong[1]))


def _timed(fn: Any, run: CollectiveRun, group: Any) -> float:
    """µs per op, the slowest rank's (as a collective finishes when its last rank does)."""
    import torch
    import torch.distributed as dist

    for _ in range(run.warmup):
        fn()
    dist.barrier(group=group)
    start = time.perf_counter()
    for _ in range(run.iters):
        fn()
    elapsed = torch.tensor([(time.perf_counter() - start) / run.iters * 1e6])
    dist.all_reduce(elapsed, op=dist.ReduceOp.MAX, group=group)
    return float(elapsed[0])


class _Op:
    """One collective's out-of-place and in-place forms and the check of their result."""

    def __init__(self, collective: str, group: Any, n: int, me: int, count: int) -> None:
        import torch

        self.collective, self.group, self.n, self.me = collective, group, n, me
        self.root = 0
        self.global_root = _global(group, 0)
        self.chunk = count // n if collective == "all_gather" else count
        self.send = torch.full((self.chunk,), float(me + 1))
        total = self.chunk * n if collective == "all_gather" else self.chunk
        self.recv = torch.empty(total)
        self.ip_buf = torch.empty(total)

    def _reset_inplace(self) -> None:
        if self.collective == "all_gather":
            self.ip_buf.view(self.n, self.chunk)[self.me].fill_(float(self.me + 1))
        else:
            self.ip_buf.fill_(float(self.me + 1))

    def out_of_place(self) -> Any:
        import torch.distributed as dist

        if self.collective == "all_gather":
            dist.all_gather(list(self.recv.view(self.n, self.chunk).unbind(0)), self.send, group=self.group)
        else:
            self.recv.copy_(self.send)
            self._run(self.recv)
        return self.recv

    def in_place(self) -> Any:
        import torch.distributed as dist

        self._reset_inplace()
        if self.collective == "all_gather":
            parts = list(self.ip_buf.view(self.n, self.chunk).unbind(0))
            dist.all_gather(parts, parts[self.me], group=self.group)
        else:
            self._run(self.ip_buf)
        return self.ip_buf

    def _run(self, buf: Any) -> None:
        import torch.distributed as dist

        if self.collective == "all_reduce":
            dist.all_reduce(buf, group=self.group)
        elif self.collective == "reduce":
            dist.reduce(buf, dst=self.global_root, group=self.group)
        else:
            dist.broadcast(buf, src=self.global_root, group=self.group)

    def check(self, fn: Any) -> int:
        """Elements that differ from the exact expected value after one fresh op."""
        import torch

        out = fn()
        if self.collective == "all_gather":
            expected = torch.arange(1, self.n + 1, dtype=out.dtype).repeat_interleave(self.chunk)
            return int((out != expected).sum())
        if self.collective == "broadcast":
            return int((out != float(self.root + 1)).sum())
        if self.collective == "reduce" and self.me != self.root:
            return 0
        return int((out != float(self.n * (self.n + 1) // 2)).sum())


def _global(group: Any, group_rank: int) -> int:
    import torch.distributed as dist

    return int(dist.get_global_rank(group, group_rank))
