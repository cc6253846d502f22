"""What the parsers return. Parsers never raise on bad input: they return a record whose
``problems`` say what was wrong (truncated, unknown format …) and the rules fail on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Transport = Literal["NVLS", "P2P", "SHM", "NET/IB", "NET/RoCE", "NET/OFI", "NET/Socket", "COLLNET"]


@dataclass(frozen=True)
class NcclRow:
    """One message size of an nccl-tests sweep (times in µs, bandwidths in GB/s)."""

    size_bytes: int
    count: int
    dtype: str
    redop: str | None
    root: int | None
    oop_time_us: float
    oop_algbw_gbps: float
    oop_busbw_gbps: float
    oop_wrong: int | None
    """None where the build prints N/A (no data check)."""
    ip_time_us: float | None
    ip_algbw_gbps: float | None
    ip_busbw_gbps: float | None
    ip_wrong: int | None
    oop_error: float | None = None
    """Old nccl-tests builds print an ``error`` column (max relative error, e.g. ``5e-07``) instead
    of ``#wrong``; it is kept here and the ``*_wrong`` fields stay None."""
    ip_error: float | None = None


@dataclass(frozen=True)
class NcclRun:
    collective: str | None
    """e.g. all_reduce, from the binary name or the header; None if not stated."""
    rows: tuple[NcclRow, ...]
    nranks: int | None
    devices: tuple[str, ...]
    """GPU names from the ``#  Rank  0 … device 0 [0x..] NVIDIA H100 …`` lines."""
    hosts: tuple[str, ...]
    avg_busbw_gbps: float | None
    out_of_bounds: int | None
    transports: frozenset[str]
    """Transports seen in NCCL_DEBUG=INFO lines (values of :data:`Transport`)."""
    nccl_version: str | None
    problems: tuple[str, ...] = ()
    tests_version: str | None = None
    """``# nccl-tests version 2.17.6 …`` (newer builds)."""
    iters: int | None = None
    """``iters: 20`` of the header: timed iterations per size (warmup not counted)."""
    ib_link_layers: frozenset[str] = frozenset()
    """Link layers (``IB``, ``RoCE``) of the ports listed by ``NET/IB : Using …``; empty if not logged."""

    @property
    def largest(self) -> NcclRow | None:
        """The row at the largest message size: bandwidth is judged here, never on the average."""
        return max(self.rows, key=lambda r: r.size_bytes) if self.rows else None

    @property
    def wrong_total(self) -> int:
        return sum((r.oop_wrong or 0) + (r.ip_wrong or 0) for r in self.rows)


@dataclass(frozen=True)
class GpuBurnGpu:
    index: int
    status: Literal["OK", "FAULTY"]
    gflops: float | None = None


@dataclass(frozen=True)
class GpuBurnResult:
    gpus: tuple[GpuBurnGpu, ...]
    errors: tuple[str, ...]
    """Error lines printed by gpu-burn (CUDA errors, 'Couldn't init', …)."""
    seconds: int | None
    problems: tuple[str, ...] = ()
    gpu_names: tuple[str, ...] = ()
    """From the ``GPU 0: NVIDIA A100-SXM4-80GB (UUID: …)`` lines of ``nvidia-smi -L`` at the start."""


@dataclass(frozen=True)
class PerftestRow:
    size_bytes: int
    iterations: int
    bw_peak_gbps: float | None
    """Gb/s (bits), converted from MB/sec where the run did not use --report_gbits."""
    bw_avg_gbps: float | None
    msg_rate_mpps: float | None
    lat_typical_us: float | None = None
    """Latency tests only (ib_send_lat …)."""
    lat_min_us: float | None = None
    lat_max_us: float | None = None
    lat_avg_us: float | None = None
    lat_p99_us: float | None = None
    lat_p999_us: float | None = None


@dataclass(frozen=True)
class PerftestResult:
    test: str | None
    """ib_write_bw, ib_read_bw, ib_send_lat, …"""
    device: str | None
    link_type: str | None
    """IB or Ethernet."""
    mtu: int | None
    rows: tuple[PerftestRow, ...]
    problems: tuple[str, ...] = field(default_factory=tuple)
    table_closed: bool = False
    """A result table ended with perftest's closing dash line (False: the run was cut mid-table)."""

    @property
    def largest(self) -> PerftestRow | None:
        return max(self.rows, key=lambda r: r.size_bytes) if self.rows else None


@dataclass(frozen=True)
class DcgmTest:
    category: str
    name: str
    status: Literal["pass", "fail", "warn", "skip", "unknown"]
    gpu_ids: tuple[int, ...]
    info: str


@dataclass(frozen=True)
class DcgmResult:
    version: str | None
    tests: tuple[DcgmTest, ...]
    problems: tuple[str, ...] = ()
