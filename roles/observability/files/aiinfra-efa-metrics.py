#!/usr/bin/env python3
"""Write AWS EFA port counters for the node exporter's textfile collector.

EFA devices (``rdmap*``) appear under /sys/class/infiniband like IB HCAs, but keep their traffic
and error counters in ``ports/<n>/hw_counters/<name>`` (one integer per file) instead of the IB
``counters/`` files, so node_exporter's infiniband collector reports only their state and rate,
not their bytes, packets or retransmissions. Support inside node_exporter is proposed in
https://github.com/prometheus/node_exporter/pull/3670 (open, not in any release); until it ships,
this script exports every counter of every EFA port:

    aiinfra_efa_<counter>_total{device="rdmap0s6",port="1"} <value>
    aiinfra_efa_devices <number of rdmap devices>
    aiinfra_efa_scrape_error <1 when a counter file could not be read, else 0>

Counter names are the kernel driver's (tx_bytes, rx_pkts, rx_drops, rdma_read_bytes,
retrans_pkts, ...: https://github.com/torvalds/linux/blob/master/drivers/infiniband/hw/efa/efa_verbs.c).
``lifespan`` in the same folder is the kernel's counter cache time in milliseconds, not a counter
(https://www.kernel.org/doc/Documentation/ABI/stable/sysfs-class-infiniband), and is skipped.

The output is written next to the target and renamed over it, so the collector never reads a half
written file (https://github.com/prometheus/node_exporter#textfile-collector).
Usage: aiinfra-efa-metrics [--sysfs /sys] --output /var/lib/prometheus/node-exporter/aiinfra_efa.prom
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

NOT_COUNTERS = frozenset({"lifespan"})
_NAME = re.compile(r"[^a-zA-Z0-9_]")


def metric_name(counter: str) -> str:
    return "aiinfra_efa_" + _NAME.sub("_", counter).lower() + "_total"


def collect(sysfs: Path) -> tuple[dict[str, list[tuple[str, str, int]]], int, bool]:
    """Counters by metric name as (device, port, value); the device count; whether a read failed."""
    counters: dict[str, list[tuple[str, str, int]]] = {}
    error = False
    devices = sorted((sysfs / "class" / "infiniband").glob("rdmap*"))
    for device in devices:
        for port in sorted((device / "ports").glob("*"), key=lambda p: p.name):
            hw = port / "hw_counters"
            if not hw.is_dir():
                continue
            for counter in sorted(hw.iterdir()):
                if counter.name in NOT_COUNTERS or not counter.is_file():
                    continue
                try:
                    value = int(counter.read_text().strip())
                except (OSError, ValueError):
                    error = True
                    continue
                counters.setdefault(metric_name(counter.name), []).append((device.name, port.name, value))
    return counters, len(devices), error


def render(counters: dict[str, list[tuple[str, str, int]]], devices: int, error: bool) -> str:
    lines = [
        "# HELP aiinfra_efa_devices EFA devices (rdmap*) under /sys/class/infiniband.",
        "# TYPE aiinfra_efa_devices gauge",
        f"aiinfra_efa_devices {devices}",
        "# HELP aiinfra_efa_scrape_error 1 when an EFA counter file could not be read.",
        "# TYPE aiinfra_efa_scrape_error gauge",
        f"aiinfra_efa_scrape_error {int(error)}",
    ]
    for name in sorted(counters):
        counter = name.removeprefix("aiinfra_efa_").removesuffix("_total")
        lines += [
            f"# HELP {name} EFA port hw_counters/{counter}.",
            f"# TYPE {name} counter",
        ]
        lines += [f'{name}{{device="{d}",port="{p}"}} {v}' for d, p, v in counters[name]]
    return "\n".join(lines) + "\n"


def write_atomically(output: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sysfs", type=Path, default=Path("/sys"), help="sysfs root (default /sys)")
    parser.add_argument("--output", type=Path, required=True, help="the .prom file to write")
    args = parser.parse_args(argv)
    if not args.output.parent.is_dir():
        print(f"aiinfra-efa-metrics: {args.output.parent}: no such directory", file=sys.stderr)
        return 2
    write_atomically(args.output, render(*collect(args.sysfs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
