"""perftest (``ib_write_bw``, ``ib_read_bw``, ``ib_send_bw``, ``ib_*_lat``) output → :class:`PerftestResult`.

Units, from perftest's source (https://github.com/linux-rdma/perftest, ``src/perftest_parameters.c``:
``format_factor = (report_fmt == MBS) ? 0x100000 : 125000000``): the default ``BW …[MB/sec]``
(labelled ``[MiB/sec]`` since 2024, commit 1d202bb) is 2^20 bytes/s; ``--report_gbits`` prints
``[Gb/sec]`` = 10^9 bit/s. Everything is returned in Gb/s (10^9 bit/s): MiB/s * 2^20 * 8 / 10^9.

Handles the server and client blocks of one test written to the same file (even line by line
interleaved): rows are de-duplicated per message size, first seen wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ._lines import as_lines, to_float, to_int
from .types import PerftestResult, PerftestRow

MIB_PER_S_TO_GBIT_PER_S = 1048576 * 8 / 1e9
"""One perftest ``MB/sec`` (= MiB/s) in Gb/s."""

# Titles as perftest's ``ctx_print_test_info`` builds them: the verb (``testsStr``), for atomics the
# operation (``CMP_AND_SWAP``/``FETCH_AND_ADD``), then ``Bidirectional``/``Post List``, ``BW``/
# ``Latency``, ``Test`` — e.g. ``RDMA_Write Post List BW Test``, ``Atomic FETCH_AND_ADD BW Test``.
_TITLE = re.compile(
    r"^\s*(?P<title>(?P<verb>RDMA_Write_imm|RDMA_Write|RDMA_Read|Send|Atomic(?:_\w+)?|Raw Ethernet\w*)\s+"
    r"(?:[A-Za-z_]+\s+)*?(?P<kind>BW|Latency|Lat)(?:\s+\w+)*\s+Test)\s*$",
    re.IGNORECASE,
)
_RULE_LINE = re.compile(r"^-{20,}$")
"""perftest's ``RESULT_LINE`` (87 dashes) closes each result table."""
_FIELD = re.compile(r"(?P<key>[A-Za-z][\w .*/]*?)\s*:\s*(?P<value>\S+(?:\s\S+)*?)(?=\s{2,}|\t|$)")
_BW_HEADER = re.compile(r"^\s*#bytes\s+(?:#sl\s+)?#iterations\s+BW peak\[(?P<unit>[A-Za-z/]+)\]")
_LAT_HEADER = re.compile(r"^\s*#bytes\s+#iterations\s+t_min\[usec\]")
_LAT_DUR_HEADER = re.compile(r"^\s*#bytes\s+#iterations\s+t_avg\[usec\]")
_ROW = re.compile(r"^\s*\d+\s+\d+\s+[-\d.]+")

_TEST_NAMES = {
    ("rdma_write", "bw"): "ib_write_bw",
    ("rdma_read", "bw"): "ib_read_bw",
    ("send", "bw"): "ib_send_bw",
    ("atomic", "bw"): "ib_atomic_bw",
    ("rdma_write", "latency"): "ib_write_lat",
    ("rdma_read", "latency"): "ib_read_lat",
    ("send", "latency"): "ib_send_lat",
    ("atomic", "latency"): "ib_atomic_lat",
}


def _test_name(verb: str, kind: str) -> str:
    v = verb.lower()
    if v == "rdma_write_imm":
        v = "rdma_write"  # ib_write_bw --write_with_imm
    elif v.startswith("atomic"):
        v = "atomic"
    elif v.startswith("raw ethernet"):
        return "raw_ethernet_bw" if kind.lower() == "bw" else "raw_ethernet_lat"
    return _TEST_NAMES.get((v, "bw" if kind.lower() == "bw" else "latency"), f"{verb} {kind}")


def parse_perftest(text: str | Iterable[str]) -> PerftestResult:
    """Parse one perftest run (bandwidth or latency). Never raises."""
    problems: list[str] = []
    rows: dict[int, PerftestRow] = {}
    test: str | None = None
    device: str | None = None
    link_type: str | None = None
    mtu: int | None = None
    mode: str | None = None  # "bw_mib", "bw_gbit", "lat", "lat_dur"
    saw_header = False
    qos = False  # --sl sweep tables carry a "#sl" column after "#bytes"
    closed = False  # a result table followed by perftest's closing dash line
    open_rows = False  # rows read since the last header, not yet closed
    for lineno, raw in enumerate(as_lines(text), start=1):
        line = raw.strip()
        if not line:
            continue
        if mode and line[0].isdigit() and _ROW.match(line):  # the common case first: a result row
            tokens = line.split()
            row = _row([tokens[0], *tokens[2:]] if qos and mode.startswith("bw") else tokens, mode)
            if row is None:
                problems.append(f"line {lineno}: unreadable result row {line[:80]!r}")
            else:
                rows.setdefault(row.size_bytes, row)
                open_rows, closed = True, False
            continue
        title = _TITLE.match(line) if line[0].isalpha() else None
        if title:
            test = test or _test_name(title.group("verb"), title.group("kind"))
            continue
        if line[0] == "-" and _RULE_LINE.match(line):
            if open_rows:
                closed, open_rows = True, False
            continue
        bw = _BW_HEADER.match(line)
        if bw:
            unit = bw.group("unit")
            mode = "bw_gbit" if unit.lower().startswith("gb") else "bw_mib"
            qos = "#sl" in line
            saw_header = True
            continue
        if _LAT_HEADER.match(line):
            mode, saw_header = "lat", True
            continue
        if _LAT_DUR_HEADER.match(line):
            mode, saw_header = "lat_dur", True
            continue
        if mode and _ROW.match(line):
            tokens = line.split()
            row = _row([tokens[0], *tokens[2:]] if qos and mode.startswith("bw") else tokens, mode)
            if row is None:
                problems.append(f"line {lineno}: unreadable result row {line[:80]!r}")
            else:
                rows.setdefault(row.size_bytes, row)
                open_rows, closed = True, False
            continue
        if ":" in line and not line.startswith("#"):
            for f in _FIELD.finditer(line):
                key, value = f.group("key").strip().lower(), f.group("value").strip()
                if key == "device" and device is None:
                    device = value
                elif key == "link type" and link_type is None:
                    link_type = value
                elif key == "mtu" and mtu is None:
                    mtu = to_int(value.split("[")[0])
        _errors(line, problems)
    if not saw_header:
        problems.insert(0, "no perftest result header ('#bytes #iterations …') found")
    elif not rows:
        problems.insert(0, "no perftest result rows after the header (truncated or failed run)")
    return PerftestResult(
        test=test,
        device=device,
        link_type=link_type,
        mtu=mtu,
        rows=tuple(sorted(rows.values(), key=lambda r: r.size_bytes)),
        problems=tuple(dict.fromkeys(problems)),
        table_closed=closed,
    )


_ERROR_LINES = re.compile(
    r"Couldn't|Unable to|Failed to|failed to|Error|error:|No IB devices|IB device \S+ not found",
)


def _errors(line: str, problems: list[str]) -> None:
    # "Conflicting CPU frequency values detected" is a warning, not a failure: not matched here.
    if _ERROR_LINES.search(line):
        problems.append(f"perftest: {line[:200]}")


def _row(tokens: list[str], mode: str) -> PerftestRow | None:
    size, iters = to_int(tokens[0]), to_int(tokens[1])
    if size is None or iters is None:
        return None
    nums = [to_float(t) for t in tokens[2:]]
    if any(n is None for n in nums):
        return None
    values = [n for n in nums if n is not None]
    if mode in ("bw_mib", "bw_gbit"):
        if len(values) < 2:
            return None
        factor = MIB_PER_S_TO_GBIT_PER_S if mode == "bw_mib" else 1.0
        return PerftestRow(
            size_bytes=size,
            iterations=iters,
            bw_peak_gbps=values[0] * factor,
            bw_avg_gbps=values[1] * factor,
            msg_rate_mpps=values[2] if len(values) > 2 else None,
        )
    if mode == "lat_dur":
        if not values:
            return None
        return PerftestRow(size, iters, None, None, None, lat_avg_us=values[0])
    if len(values) < 4:
        return None
    padded = values + [None] * (7 - len(values)) if len(values) < 7 else values
    return PerftestRow(
        size_bytes=size,
        iterations=iters,
        bw_peak_gbps=None,
        bw_avg_gbps=None,
        msg_rate_mpps=None,
        lat_min_us=padded[0],
        lat_max_us=padded[1],
        lat_typical_us=padded[2],
        lat_avg_us=padded[3],
        lat_p99_us=padded[5] if len(padded) > 5 else None,
        lat_p999_us=padded[6] if len(padded) > 6 else None,
    )
