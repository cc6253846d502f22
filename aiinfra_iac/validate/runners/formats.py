"""Write results in the tools' own text formats, so the CPU fallback is read by the same parsers.

nccl-tests table: columns and footer as printed by ``*_perf`` (``src/common.cu`` of
https://github.com/NVIDIA/nccl-tests). Bus bandwidth = algorithm bandwidth x a per-collective
factor, from https://github.com/NVIDIA/nccl-tests/blob/master/doc/PERFORMANCE.md :
AllReduce 2(n-1)/n, ReduceScatter and AllGather and AlltoAll (n-1)/n, Broadcast and Reduce 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BUS_FACTORS: dict[str, str] = {
    "all_reduce": "2(n-1)/n",
    "reduce_scatter": "(n-1)/n",
    "all_gather": "(n-1)/n",
    "alltoall": "(n-1)/n",
    "broadcast": "1",
    "reduce": "1",
}
ROOTED = ("broadcast", "reduce")
REDUCING = ("all_reduce", "reduce_scatter", "reduce")


def bus_factor(collective: str, nranks: int) -> float:
    """busbw / algbw for ``collective`` on ``nranks`` ranks (PERFORMANCE.md)."""
    n = nranks
    if collective == "all_reduce":
        return 2 * (n - 1) / n
    if collective in ("reduce_scatter", "all_gather", "alltoall"):
        return (n - 1) / n
    if collective in ("broadcast", "reduce"):
        return 1.0
    raise ValueError(f"unknown collective {collective!r}")


@dataclass(frozen=True)
class Measurement:
    """One message size: time per op in µs and the wrong-value count, out-of-place and in-place."""

    size_bytes: int
    count: int
    oop_time_us: float
    oop_wrong: int
    ip_time_us: float
    ip_wrong: int


@dataclass(frozen=True)
class RankInfo:
    rank: int
    pid: int
    host: str
    device: int
    name: str


def algbw_gbps(size_bytes: int, time_us: float) -> float:
    return size_bytes / 1e3 / time_us if time_us > 0 else 0.0


def nccl_tests_text(
    collective: str,
    ranks: Sequence[RankInfo],
    rows: Sequence[Measurement],
    *,
    min_bytes: int,
    max_bytes: int,
    warmup: int,
    iters: int,
    dtype: str = "float",
    comments: Sequence[str] = (),
) -> str:
    """The stdout of ``<collective>_perf`` for ``rows`` measured on ``ranks``."""
    n = len(ranks)
    factor = bus_factor(collective, n)
    out = [
        f"# nThread 1 nGpus 1 minBytes {min_bytes} maxBytes {max_bytes} step: 2(factor) "
        f"warmup iters: {warmup} iters: {iters} agg iters: 1 validation: 1 graph: 0",
        "#",
        *(f"# {c}" for c in comments),
        "# Using devices",
        *(
            f"#  Rank {r.rank:2d} Group  0 Pid {r.pid:6d} on {r.host:>10} "
            f"device {r.device:2d} [0x00] {r.name}"
            for r in ranks
        ),
        "#",
        "#" + " " * 61 + "out-of-place                       in-place          ",
        "#       size         count      type   redop    root     time   algbw   busbw #wrong"
        "     time   algbw   busbw #wrong",
        "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)       "
        "     (us)  (GB/s)  (GB/s)       ",
    ]
    redop = "sum" if collective in REDUCING else "none"
    root = "0" if collective in ROOTED else "-1"
    busbws: list[float] = []
    for m in rows:
        oop_alg = algbw_gbps(m.size_bytes, m.oop_time_us)
        ip_alg = algbw_gbps(m.size_bytes, m.ip_time_us)
        busbws.append(oop_alg * factor)
        busbws.append(ip_alg * factor)
        out.append(
            f"{m.size_bytes:>12} {m.count:>13} {dtype:>9} {redop:>7} {root:>7} "
            f"{_t(m.oop_time_us)} {oop_alg:7.2f} {oop_alg * factor:7.2f} {m.oop_wrong:6d} "
            f"{_t(m.ip_time_us)} {ip_alg:7.2f} {ip_alg * factor:7.2f} {m.ip_wrong:6d}"
        )
    wrong = sum(m.oop_wrong + m.ip_wrong for m in rows)
    avg = sum(busbws) / len(busbws) if busbws else 0.0
    out += [
        f"# Out of bounds values : {wrong} {'OK' if wrong == 0 else 'FAILED'}",
        f"# Avg bus bandwidth    : {avg:.4f} ",
        "#",
        "",
    ]
    return "\n".join(out)


def _t(time_us: float) -> str:
    """nccl-tests prints times with 2 decimals below 10 ms, fewer above, in an 8-wide column."""
    if time_us >= 1e5:
        return f"{time_us:8.0f}"
    if time_us >= 1e4:
        return f"{time_us:8.1f}"
    return f"{time_us:8.2f}"


@dataclass(frozen=True)
class BurnWorker:
    """One burn worker ("GPU"): what it ran and what it found."""

    index: int
    name: str
    iterations: int
    gflops: float
    errors: int


def gpu_burn_text(
    workers: Sequence[BurnWorker], seconds: int, *, header: Sequence[str] = (), temp_c: int | None = None
) -> str:
    """gpu-burn's stdout: device lines, a final progress line, ``Tested N GPUs:`` and per-GPU OK/FAULTY.

    ``temp_c``: the CPU package temperature where the machine exposes one (else ``n/a``)."""
    out = [*header]
    out += [f"GPU {w.index}: {w.name} (UUID: CPU-{w.index})" for w in workers]
    proc = " - ".join(f"{w.iterations} ({w.gflops:.0f} Gflop/s)" for w in workers)
    errs = " - ".join(str(w.errors) for w in workers)
    out.append(f"Burning for {seconds} seconds.")
    temp = "n/a" if temp_c is None else f"{temp_c} C"
    temps = " - ".join(temp for _ in workers)
    out.append(f"100.0%  proc'd: {proc}   errors: {errs}   temps: {temps} ")
    out += ["Killing processes.. done", "", f"Tested {len(workers)} GPUs:"]
    out += [f"\tGPU {w.index}: {'OK' if w.errors == 0 else 'FAULTY'}" for w in workers]
    return "\n".join(out) + "\n"
