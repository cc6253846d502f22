"""Logs written for these tests in the tools' own output formats (no pasted logs).

Formats: nccl-tests ``src/common.cu`` (header, rows, ``# Out of bounds values``/``# Avg bus
bandwidth`` footers), gpu-burn ``gpu_burn-drv.cpp`` (progress repaints, ``Tested N GPUs:``),
perftest ``perftest_parameters.c`` (title, ``#bytes`` table, 87-dash ``RESULT_LINE``), and
``dcgmi diag`` (``-j`` JSON and the default text table).
"""

from __future__ import annotations

import json

DASHES = "-" * 87


def nccl_rows(max_bytes: int = 8 << 30, busbw: float = 480.0, wrong: str = "0") -> list[str]:
    rows = []
    size = 8
    while size <= max_bytes:
        bw = busbw * min(1.0, size / max_bytes * 64)
        time = size / 1e3 / max(bw, 0.001)
        rows.append(
            f"{size:>12} {size // 4:>13}     float     sum      -1 {time:8.2f} {bw / 1.75:7.2f} {bw:7.2f} "
            f"{wrong:>6} {time:8.2f} {bw / 1.75:7.2f} {bw:7.2f} {wrong:>6}"
        )
        size *= 2
    return rows


def nccl_log(max_bytes: int = 8 << 30, *, busbw: float = 480.0, gpus: int = 8, oob: int = 0) -> str:
    head = [
        f"# nThread 1 nGpus {gpus} minBytes 8 maxBytes {max_bytes} step: 2(factor) warmup iters: 5 "
        "iters: 20 agg iters: 1 validation: 1 graph: 0",
        "#",
        "# Using devices",
        *(
            f"#  Rank {r:2d} Group  0 Pid  41{r:03d} on    node-07 device {r:2d} [0x{r:02x}] "
            "NVIDIA H100 80GB HBM3"
            for r in range(gpus)
        ),
        "#",
        "#" + " " * 61 + "out-of-place                       in-place          ",
        "#       size         count      type   redop    root     time   algbw   busbw #wrong"
        "     time   algbw   busbw #wrong",
        "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)       "
        "     (us)  (GB/s)  (GB/s)       ",
    ]
    foot = [
        f"# Out of bounds values : {oob} {'OK' if oob == 0 else 'FAILED'}",
        f"# Avg bus bandwidth    : {busbw / 3:.4f} ",
        "#",
        "",
    ]
    return "\n".join([*head, *nccl_rows(max_bytes, busbw), *foot])


def gpu_burn_log(gpus: int = 8, *, progress: bool = True, seconds: int = 300) -> str:
    out = [f"GPU {i}: NVIDIA H100 80GB HBM3 (UUID: GPU-0a1b2c3d-{i:04d})" for i in range(gpus)]
    out.append(
        "Initialized device 0 with 81008 MB of memory (80436 MB available, using 72392 MB of it), "
        "using FLOATS"
    )
    out.append(f"Burning for {seconds} seconds.")
    if progress:
        procd = " - ".join("15213 (48211 Gflop/s)" for _ in range(gpus))
        errs = " - ".join("0" for _ in range(gpus))
        temps = " - ".join("61 C" for _ in range(gpus))
        out.append(f"50.0%  proc'd: {procd}   errors: {errs}   temps: {temps} ")
        out.append(f"100.0%  proc'd: {procd}   errors: {errs}   temps: {temps} ")
    out += ["Killing processes.. Freed memory for dev 0", "done", "", f"Tested {gpus} GPUs:"]
    out += [f"\tGPU {i}: OK" for i in range(gpus)]
    return "\n".join(out) + "\n"


def perftest_log(*, last: int = 8_388_608, closed: bool = True, title: str = "RDMA_Write BW Test") -> str:
    out = [
        DASHES,
        f"                    {title}",
        " Dual-port       : OFF\t\tDevice         : mlx5_0",
        " Number of qps   : 1\t\tTransport type : IB",
        " Connection type : RC\t\tUsing SRQ      : OFF",
        " PCIe relax order: ON",
        " ibv_wr* API     : ON",
        " TX depth        : 128",
        " CQ Moderation   : 100",
        " Mtu             : 4096[B]",
        " Link type       : IB",
        " Max inline data : 0[B]",
        " rdma_cm QPs\t : OFF",
        " Data ex. method : Ethernet",
        DASHES,
        " local address: LID 0x11 QPN 0x0109 PSN 0x6b1c2e RKey 0x1fdf00 VAddr 0x007f5c2d600000",
        " remote address: LID 0x12 QPN 0x0108 PSN 0x51a2f3 RKey 0x1fcf00 VAddr 0x007f8e1fa00000",
        DASHES,
        " #bytes     #iterations    BW peak[Gb/sec]    BW average[Gb/sec]   MsgRate[Mpps]",
    ]
    size = 2
    while size <= last:
        bw = min(392.0, size / 4096 * 50.0)
        out.append(f" {size:<10} {5000:<16} {bw + 0.4:<18.2f} {bw:<20.2f}\t   {bw * 1e3 / 8 / size:.6f}")
        size *= 2
    if closed:
        out.append(DASHES)
    return "\n".join(out) + "\n"


def dcgm_json(statuses: dict[str, str]) -> str:
    tests = [
        {"name": name, "results": [{"gpu_id": str(g), "status": st} for g in range(2)]}
        for name, st in statuses.items()
    ]
    doc = {
        "DCGM GPU Diagnostic": {"test_categories": [{"category": "Hardware", "tests": tests}]},
        "version": "3.3.5",
    }
    return json.dumps(doc, indent=4)


def dcgm_text(rows: list[tuple[str, str]], *, section: str = "Hardware") -> str:
    bar = "+---------------------------+------------------------------------------------+"
    out = [
        "Successfully ran diagnostic for group.",
        bar,
        "| Diagnostic                | Result                                         |",
        "+===========================+================================================+",
        "|-----  Metadata  ----------+------------------------------------------------|",
        "| DCGM Version              | 3.3.5                                          |",
        "| Driver Version Detected   | 550.54.15                                      |",
        "| GPU Device IDs Detected   | 2330,2330                                      |",
        "|-----  Deployment  --------+------------------------------------------------|",
        "| Denylist                  | Pass                                           |",
        "| NVML Library              | Pass                                           |",
        f"+-----  {section}  {'-' * (18 - len(section))}+------------------------------------------------+",
    ]
    out += [f"| {name:<25} | {value:<46} |" for name, value in rows]
    out.append(bar)
    return "\n".join(out) + "\n"
