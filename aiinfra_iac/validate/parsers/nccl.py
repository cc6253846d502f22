"""nccl-tests output (``all_reduce_perf`` & co.) → :class:`NcclRun`.

Reads the text table of every nccl-tests generation seen in the wild (``error`` or ``#wrong``
columns, with or without ``redop``/``root``), launcher prefixes, interleaved ``NCCL INFO`` lines,
``...`` elisions, and the JSON file written by ``-J`` (nccl-tests ``src/util.cu``, JSON version 2:
``results[].{size,count,type,redop,root,out_of_place,in_place}`` with ``time``/``alg_bw``/
``bus_bw``/``nwrong``, ``out_of_bounds.count``, ``average_bus_bandwidth.bandwidth``,
``config.devices[]``, ``nccl_version`` as an integer code).
Source: https://github.com/NVIDIA/nccl-tests/blob/master/src/util.cu

Never raises: anything unreadable ends up in ``NcclRun.problems``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ._lines import as_lines, strip_launcher_prefix, to_float, to_int
from .nccl_debug import NCCL_LINE, NetworkScan
from .types import NcclRow, NcclRun

_RANK = re.compile(
    r"^#\s*Rank\s+(?P<rank>\d+)\s+(?:Group\s+\d+\s+)?Pid\s+\d+\s+on\s+(?P<host>\S+)\s+"
    r"device\s+\d+\s+\[[^\]]*\]\s+(?P<name>.+?)\s*$"
)
# Footers: ``# Out of bounds values : 0 OK`` / ``# Avg bus bandwidth    : 12.3``; older builds and
# some launchers print them without the ``#`` (`` Out of bounds values : 2 FAILED``).
_OOB = re.compile(r"^#?\s*Out of bounds values\s*:\s*(?P<n>\d+)")
_AVG = re.compile(r"^#?\s*Avg bus bandwidth\s*:\s*(?P<v>\S+)")
_VERSION = re.compile(r"\bNCCL version\s+(?P<v>\d+\.\d+\.\d+\S*)")
_TESTS_VERSION = re.compile(r"nccl-library=(?P<code>\d+)")
_TESTS_RELEASE = re.compile(r"#\s*nccl-tests version\s+(?P<v>\d[\w.]*)")
_ITERS = re.compile(r"\bwarmup iters:\s*\d+\s+iters:\s*(?P<n>\d+)")
_STARTING = re.compile(r"#\s*Collective test starting:\s*(?P<bin>\S+)")
_BINARY = re.compile(r"\b(?P<name>[a-z][a-z_]*?)_perf(?:_mpi)?\b")
_NRANKS = re.compile(r"\bnranks\s+(?P<n>\d+)")
_ROW_START = re.compile(r"^\s*\d+\s+\d+\s+[A-Za-z]\w*(?:\s|$)")

_FATAL = (
    (
        re.compile(r"There are not enough slots available"),
        "Open MPI: not enough slots for the requested ranks",
    ),
    (re.compile(r"Test NCCL failure"), "nccl-tests reported an NCCL failure"),
    (re.compile(r"Test CUDA failure"), "nccl-tests reported a CUDA failure"),
    (re.compile(r"Invalid number of GPUs"), "nccl-tests: invalid number of GPUs"),
    (re.compile(r"mpirun noticed that process"), "mpirun: a rank exited abnormally"),
    (re.compile(r"mpirun detected that one or more processes exited"), "mpirun: a rank exited with an error"),
    (re.compile(r"srun: error"), "srun reported an error"),
    (re.compile(r"Segmentation fault|core dumped"), "a process crashed"),
    (re.compile(r"^#\s*error:\s*\S"), "nccl-tests printed an NCCL error"),
)

_LEAD_NAMES = ("size", "count", "type", "redop", "root")


@dataclass
class _Layout:
    """Column layout from the ``#  size  count  type  redop  root  time …`` header."""

    lead: tuple[str, ...]
    side: tuple[str, ...]
    """Columns of one side (out-of-place or in-place), e.g. time, algbw, busbw, #wrong."""
    timestamp: bool = False


@dataclass
class _State:
    rows: list[NcclRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def collective_from_name(name: str) -> str | None:
    """``all_reduce_perf`` / ``nccl_all_reduce.log`` / ``/x/build/alltoall_perf_mpi`` → collective."""
    base = name.rsplit("/", 1)[-1]
    m = _BINARY.search(base)
    if m:
        return m.group("name")
    m = re.match(r"^nccl_(?P<c>[a-z_]+?)(?:\.log|\.json|\.txt)?$", base)
    return m.group("c") if m else None


def _layout_from_header(tokens: list[str]) -> _Layout | None:
    lead: list[str] = []
    i = 0
    while i < len(tokens) and tokens[i] in _LEAD_NAMES:
        lead.append(tokens[i])
        i += 1
    rest = tokens[i:]
    timestamp = bool(rest) and rest[-1] == "timestamp"
    if timestamp:
        rest = rest[:-1]
    if len(lead) < 3 or not rest or rest[0] not in ("time", "cputime"):
        return None
    try:
        second = rest.index(rest[0], 1)
    except ValueError:
        return _Layout(tuple(lead), tuple(rest), timestamp)
    return _Layout(tuple(lead), tuple(rest[:second]), timestamp)


def _guess_layout(tokens: list[str]) -> _Layout:
    """No header seen (an excerpt, an old build): infer redop/root and the 4th column of a side
    (``#wrong``, an integer, or the ``error`` of old builds, e.g. ``5e-07``) from the row itself."""
    lead = ["size", "count", "type"]
    rest = tokens[3:]
    if rest and to_float(rest[0]) is None and rest[0] != "N/A":
        lead.append("redop")
        rest = rest[1:]
    if len(rest) % 2 == 1:
        lead.append("root")
        rest = rest[1:]
    fourth = rest[3] if len(rest) >= 4 else "0"
    integer = re.fullmatch(r"-?\d+", fourth) is not None or fourth == "N/A"
    return _Layout(tuple(lead), ("time", "algbw", "busbw", "#wrong" if integer else "error"))


def _side_values(
    layout: _Layout, values: list[str]
) -> tuple[float, float, float, int | None, float | None] | None:
    named = dict(zip(layout.side, values, strict=False))
    time = to_float(named.get("time", named.get("cputime", "")))
    algbw = to_float(named.get("algbw", ""))
    busbw = to_float(named.get("busbw", ""))
    if time is None or algbw is None or busbw is None:
        return None
    wrong: int | None = None
    error: float | None = None
    if "#wrong" in named:
        wrong = to_int(named["#wrong"])
        if wrong is None and named["#wrong"] != "N/A":
            return None
    elif "error" in named:
        error = to_float(named["error"])
    return time, algbw, busbw, wrong, error


def _parse_row(line: str, lineno: int, layout: _Layout | None, state: _State) -> None:
    tokens = line.split()
    lay = layout or _guess_layout(tokens)
    if lay.timestamp and len(tokens) >= 2 and re.fullmatch(r"\d{2}:\d{2}:\d{2}", tokens[-1]):
        tokens = tokens[:-2]
    n_lead = len(lay.lead)
    if layout is not None and "redop" in lay.lead and len(tokens) == n_lead - 1 + 2 * len(lay.side):
        # alltoall & co. leave the redop column blank in some builds
        tokens = [*tokens[:3], "", *tokens[3:]]
    lead = dict(zip(lay.lead, tokens[:n_lead], strict=False))
    rest = tokens[n_lead:]
    size = to_int(lead.get("size", ""))
    count = to_int(lead.get("count", ""))
    width = len(lay.side)
    if size is None or count is None:
        state.problems.append(f"line {lineno}: unreadable result row {line.strip()[:80]!r}")
        return
    if len(tokens) < n_lead or len(rest) < 2 * width:
        if len(rest) == width:
            state.problems.append(f"line {lineno}: row for {size} B has only one of out-of-place/in-place")
        else:
            state.problems.append(f"line {lineno}: result row for {size} B is cut short (truncated output?)")
        return
    oop = _side_values(lay, rest[:width])
    ip = _side_values(lay, rest[width : 2 * width])
    if oop is None:
        state.problems.append(f"line {lineno}: unreadable out-of-place values in row for {size} B")
        return
    root_token = lead.get("root")
    redop = lead.get("redop") or None
    state.rows.append(
        NcclRow(
            size_bytes=size,
            count=count,
            dtype=lead.get("type", ""),
            redop=redop,
            root=to_int(root_token) if root_token is not None else None,
            oop_time_us=oop[0],
            oop_algbw_gbps=oop[1],
            oop_busbw_gbps=oop[2],
            oop_wrong=oop[3],
            ip_time_us=ip[0] if ip else None,
            ip_algbw_gbps=ip[1] if ip else None,
            ip_busbw_gbps=ip[2] if ip else None,
            ip_wrong=ip[3] if ip else None,
            oop_error=oop[4],
            ip_error=ip[4] if ip else None,
        )
    )


def _version_from_code(code: int) -> str | None:
    """NCCL_VERSION_CODE: major*10000 + minor*100 + patch since 2.9 (major*1000 + minor*100 before)."""
    if code >= 10000:
        return f"{code // 10000}.{(code % 10000) // 100}.{code % 100}"
    if code >= 1000:
        return f"{code // 1000}.{(code % 1000) // 100}.{code % 100}"
    return None


def parse_nccl_tests(text: str | Iterable[str], *, collective: str | None = None) -> NcclRun:
    """Parse nccl-tests stdout (or its ``-J`` JSON file). ``collective`` overrides detection.

    ``text`` is the whole output or its lines (:func:`._lines.as_lines`); the text table is read in
    one pass, one line at a time (a ``NCCL_DEBUG=INFO`` log of a large run is long)."""
    source = iter(as_lines(text))
    head: list[str] = []
    for line in source:
        head.append(line)
        if line.strip():
            break
    if head and head[-1].lstrip().startswith("{"):
        return _parse_json("\n".join(itertools.chain(head, source)), collective)
    return _parse_text((strip_launcher_prefix(line) for line in itertools.chain(head, source)), collective)


def _parse_text(lines: Iterator[str], collective: str | None) -> NcclRun:
    state = _State()
    network = NetworkScan()
    fatal_lines: list[tuple[str, bool]] = []
    layout: _Layout | None = None
    ranks: dict[int, tuple[str, str]] = {}
    nccl_hosts: list[str] = []
    nranks_info: int | None = None
    avg: float | None = None
    oob: int | None = None
    version: str | None = None
    detected: str | None = None
    in_table = False
    last_row_line = -1
    tests_version: str | None = None
    iters: int | None = None
    for idx, line in enumerate(lines):
        lineno = idx + 1
        stripped = line.strip()
        if not stripped:
            continue
        network.feed(line)
        hit = _fatal_line(line)
        if hit is not None:
            fatal_lines.append(hit)
        nccl = NCCL_LINE.match(line)
        if nccl:
            if nccl.group("host") not in nccl_hosts:
                nccl_hosts.append(nccl.group("host"))
            nr = _NRANKS.search(nccl.group("msg"))
            if nr:
                nranks_info = max(nranks_info or 0, int(nr.group("n")))
            v = _VERSION.search(nccl.group("msg"))
            if v and version is None:
                version = v.group("v")
            continue
        # footers, with ``#`` or (older nccl-tests) without
        m_oob = _OOB.match(stripped)
        if m_oob:
            oob = int(m_oob.group("n"))
            in_table = False
            continue
        m_avg = _AVG.match(stripped)
        if m_avg:
            avg = to_float(m_avg.group("v"))
            continue
        if stripped.startswith("#"):
            rank = _RANK.match(stripped)
            if rank:
                ranks[int(rank.group("rank"))] = (rank.group("host"), rank.group("name"))
                continue
            tokens = stripped.lstrip("#").split()
            if tokens[:2] == ["size", "count"]:
                layout = _layout_from_header(tokens)
                if layout is None:
                    state.problems.append(f"line {lineno}: unknown nccl-tests column header")
                in_table = True
                continue
            m_rel = _TESTS_RELEASE.search(stripped)
            if m_rel:
                tests_version = m_rel.group("v")
            m_it = _ITERS.search(stripped)
            if m_it:
                iters = int(m_it.group("n"))
            m_tv = _TESTS_VERSION.search(stripped)
            if m_tv and version is None:
                version = _version_from_code(int(m_tv.group("code")))
            m_start = _STARTING.search(stripped)
            if m_start and detected is None:
                detected = collective_from_name(m_start.group("bin"))
            continue
        if _ROW_START.match(line):
            _parse_row(line, lineno, layout, state)
            in_table = True
            last_row_line = idx
            continue
        v = _VERSION.search(stripped)
        if v and version is None:
            version = v.group("v")
            continue
        if detected is None and "_perf" in stripped:
            detected = collective_from_name(stripped.split()[0]) or _search_binary(stripped)
        if in_table and stripped not in ("...", "…") and re.match(r"^\s*\d", line):
            state.problems.append(f"line {lineno}: unreadable result row {stripped[:80]!r}")
    # the error line a tool printed comes first, then what is missing
    # a WARN line counts only where no row was read (a run that printed results went on)
    fatal = [message for message, warn_only in fatal_lines if not warn_only or not state.rows]
    if not state.rows:
        state.problems.insert(0, "no nccl-tests result rows found")
    elif oob is None:
        state.problems.append(
            "no '# Out of bounds values' footer after the last row "
            f"(line {last_row_line + 1}): the run did not finish or the log is cut"
        )
    elif avg is None:
        state.problems.append("no '# Avg bus bandwidth' footer: the run did not finish or the log is cut")
    state.problems[:0] = fatal
    hosts = tuple(dict.fromkeys(h for _, (h, _n) in sorted(ranks.items())))
    if not hosts:
        hosts = tuple(nccl_hosts)
    devices = tuple(name for _, (_h, name) in sorted(ranks.items()))
    nranks = max(ranks) + 1 if ranks else nranks_info
    transports, link_layers = network.result()
    return NcclRun(
        collective=collective or detected,
        rows=tuple(state.rows),
        nranks=nranks,
        devices=devices,
        hosts=hosts,
        avg_busbw_gbps=avg,
        out_of_bounds=oob,
        transports=transports,
        nccl_version=version,
        problems=tuple(dict.fromkeys(state.problems)),
        ib_link_layers=link_layers,
        tests_version=tests_version,
        iters=iters,
    )


def _search_binary(line: str) -> str | None:
    m = _BINARY.search(line)
    return m.group("name") if m else None


_ANY_FATAL = re.compile("|".join(f"(?:{p.pattern})" for p, _ in _FATAL))


def _fatal_line(line: str) -> tuple[str, bool] | None:
    """The problem a line reports and whether it is a bare ``NCCL WARN`` (counted only when the run
    printed no row), or None."""
    if "NCCL WARN" not in line and not _ANY_FATAL.search(line):
        return None
    for pattern, message in _FATAL:
        if pattern.search(line):
            return f"{message}: {line.strip()[:160]}", False
    nccl = NCCL_LINE.match(line)
    if nccl and nccl.group("level") == "WARN":
        return f"NCCL WARN: {nccl.group('msg').strip()[:160]}", True
    return None


def _parse_json(text: str, collective: str | None) -> NcclRun:
    problems: list[str] = []
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return _empty(collective, [f"invalid nccl-tests JSON: {exc.msg} at line {exc.lineno}"])
    if not isinstance(doc, dict):
        return _empty(collective, ["nccl-tests JSON: top level is not an object"])
    results = doc.get("results")
    if not isinstance(results, list):
        return _empty(collective, ["nccl-tests JSON: no 'results' list"])
    rows: list[NcclRow] = []
    for i, entry in enumerate(results):
        row = _json_row(entry, i, problems)
        if row is not None:
            rows.append(row)
    config = doc.get("config") if isinstance(doc.get("config"), dict) else {}
    devices_raw = config.get("devices") if isinstance(config, dict) else None
    devs: list[tuple[int, str, str]] = []
    if isinstance(devices_raw, list):
        for d in devices_raw:
            if isinstance(d, dict) and isinstance(d.get("rank"), int):
                devs.append((d["rank"], str(d.get("hostname", "")), str(d.get("device_info", ""))))
    devs.sort()
    oob_obj = doc.get("out_of_bounds")
    oob = oob_obj.get("count") if isinstance(oob_obj, dict) else None
    avg_obj = doc.get("average_bus_bandwidth")
    avg = avg_obj.get("bandwidth") if isinstance(avg_obj, dict) else None
    errors = doc.get("errors")
    if isinstance(errors, list):
        problems.extend(f"nccl-tests error: {e}" for e in errors if isinstance(e, str) and e)
    if not rows:
        problems.insert(0, "no nccl-tests result rows found")
    elif not isinstance(oob, int):
        problems.append("nccl-tests JSON: no 'out_of_bounds' count (the run did not finish?)")
    code = doc.get("nccl_version")
    detected = None
    args = doc.get("args")
    if isinstance(args, list) and args and isinstance(args[0], str):
        detected = collective_from_name(args[0])
    return NcclRun(
        collective=collective or detected,
        rows=tuple(rows),
        nranks=len(devs) or None,
        devices=tuple(d[2] for d in devs),
        hosts=tuple(dict.fromkeys(d[1] for d in devs)),
        avg_busbw_gbps=float(avg) if isinstance(avg, int | float) else None,
        out_of_bounds=oob if isinstance(oob, int) else None,
        transports=frozenset(),
        nccl_version=_version_from_code(code) if isinstance(code, int) else None,
        problems=tuple(problems),
    )


def _json_num(obj: dict[str, object], key: str) -> float | None:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _json_row(entry: object, index: int, problems: list[str]) -> NcclRow | None:
    if not isinstance(entry, dict):
        problems.append(f"results[{index}]: not an object")
        return None
    size, count = entry.get("size"), entry.get("count")
    oop, ip = entry.get("out_of_place"), entry.get("in_place")
    if not isinstance(size, int) or not isinstance(count, int):
        problems.append(f"results[{index}]: no integer 'size'/'count'")
        return None
    if not isinstance(oop, dict):
        problems.append(f"results[{index}]: no out_of_place results for {size} B")
        return None
    o_time = _json_num(oop, "time") if "time" in oop else _json_num(oop, "cpu_time")
    o_alg, o_bus = _json_num(oop, "alg_bw"), _json_num(oop, "bus_bw")
    if o_time is None or o_alg is None or o_bus is None:
        problems.append(f"results[{index}]: out_of_place lacks time/alg_bw/bus_bw")
        return None
    o_wrong = _json_num(oop, "nwrong")
    ip_d: dict[str, object] = ip if isinstance(ip, dict) else {}
    i_wrong = _json_num(ip_d, "nwrong")
    root_raw = entry.get("root")
    root: int | None = None
    if isinstance(root_raw, str):
        root = to_int(root_raw.strip())
    elif isinstance(root_raw, int):
        root = root_raw
    redop = entry.get("redop")
    return NcclRow(
        size_bytes=size,
        count=count,
        dtype=str(entry.get("type", "")),
        redop=redop.strip() or None if isinstance(redop, str) else None,
        root=root,
        oop_time_us=o_time,
        oop_algbw_gbps=o_alg,
        oop_busbw_gbps=o_bus,
        oop_wrong=int(o_wrong) if o_wrong is not None else None,
        ip_time_us=_json_num(ip_d, "time") if "time" in ip_d else _json_num(ip_d, "cpu_time"),
        ip_algbw_gbps=_json_num(ip_d, "alg_bw"),
        ip_busbw_gbps=_json_num(ip_d, "bus_bw"),
        ip_wrong=int(i_wrong) if i_wrong is not None else None,
    )


def _empty(collective: str | None, problems: list[str]) -> NcclRun:
    return NcclRun(
        collective=collective,
        rows=(),
        nranks=None,
        devices=(),
        hosts=(),
        avg_busbw_gbps=None,
        out_of_bounds=None,
        transports=frozenset(),
        nccl_version=None,
        problems=tuple(problems),
    )
