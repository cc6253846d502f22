"""gpu-burn stdout/stderr → :class:`GpuBurnResult`.

Formats from gpu-burn's ``gpu_burn-drv.cpp`` (https://github.com/wilicc/gpu-burn):
progress repainted with ``\\r`` — ``12.5%  proc'd: 2261 (7150 Gflop/s) - … errors: 0 - 0 …
temps: 38 C - …`` (``-1`` calcs and ``(DIED!)`` for a dead worker, ``(WARNING!)`` after errors),
``Burning for N seconds.``, the final ``Tested N GPUs:`` block of ``GPU i: OK|FAULTY`` lines, and
error lines (``Couldn't init a GPU test: …``, ``Couldn't init CUDA: …``, ``Failure during
compute: …``, ``No CUDA devices``, ``No clients are alive!``, ``Error in …``).
gpu-burn exits 0 even with a FAULTY GPU, so the verdict must come from this text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ._lines import as_lines
from .types import GpuBurnGpu, GpuBurnResult

_PROGRESS_START = re.compile(r"\d+(?:\.\d+)?%\s+proc'd:")
_PROC_ENTRY = re.compile(r"(?P<calcs>-?\d+)\s+\((?P<gflops>\d+(?:\.\d+)?)\s+Gflop/s\)")
_ERR_ENTRY = re.compile(r"(?P<n>\d+)\s*(?P<note>\((?:DIED|WARNING)!\))?")
_TESTED = re.compile(r"^\s*Tested\s+(?P<n>\d+)\s+GPUs?:")
_STATUS = re.compile(r"^\s*GPU\s+(?P<i>\d+):\s+(?P<s>OK|FAULTY)\s*$")
_NAME = re.compile(r"^GPU\s+(?P<i>\d+):\s+(?P<name>.+?)\s+\(UUID:")
_SECONDS = re.compile(r"Burning for\s+(?P<s>\d+)\s+seconds")
_ERRORS = re.compile(
    r"Couldn't init|No CUDA devices|No CUDA capable|No clients are alive|Failure during compute|"
    r"^Error(?: in)? .*\):|CUDA error|cuInit returned|out of memory|Segmentation fault|Killed$|"
    r"\bCUDA_ERROR_[A-Z_]+|\bCUBLAS_STATUS_(?!SUCCESS\b)[A-Z_]+"
)


def _progress(segment: str, gflops: dict[int, float], died: set[int], warned: set[int]) -> None:
    """One repaint: ``2261 (7150 Gflop/s) - … errors: 0 - 0 … temps: 38 C - …`` (linear time)."""
    procd, sep, rest = segment.partition("errors:")
    if not sep:
        return  # a repaint cut before its error counts (truncated log)
    errors = rest.partition("temps:")[0]
    for i, entry in enumerate(_PROC_ENTRY.finditer(procd)):
        value = float(entry.group("gflops"))
        if int(entry.group("calcs")) == -1:
            died.add(i)
        elif value > 0:
            gflops[i] = value
    for i, err in enumerate(_ERR_ENTRY.finditer(errors)):
        if err.group("note") == "(DIED!)":
            died.add(i)
        elif int(err.group("n")) > 0:
            warned.add(i)


def parse_gpu_burn(text: str | Iterable[str]) -> GpuBurnResult:
    """Parse a gpu-burn log. Per-GPU Gflop/s is the last non-zero figure of the progress lines."""
    problems: list[str] = []
    errors: list[str] = []
    names: dict[int, str] = {}
    statuses: dict[int, str] = {}
    gflops: dict[int, float] = {}
    died: set[int] = set()
    warned: set[int] = set()
    tested: int | None = None
    seconds: int | None = None
    progress = False
    for raw in as_lines(text):
        line = raw.strip()
        if not line:
            continue
        if "proc'd:" in line:
            progress = True
            for segment in _PROGRESS_START.split(line)[1:]:
                _progress(segment, gflops, died, warned)
            continue
        m_name = _NAME.match(line)
        if m_name:
            names[int(m_name.group("i"))] = m_name.group("name")
            continue
        m_tested = _TESTED.match(line)
        if m_tested:
            tested = int(m_tested.group("n"))
            continue
        m_status = _STATUS.match(line)
        if m_status and tested is not None:
            statuses[int(m_status.group("i"))] = m_status.group("s")
            continue
        m_sec = _SECONDS.search(line)
        if m_sec:
            seconds = int(m_sec.group("s"))
            continue
        if _ERRORS.search(line) and line not in errors:
            errors.append(line[:300])
    if tested is None:
        problems.append("no 'Tested N GPUs:' summary: gpu-burn did not finish (truncated log?)")
    elif len(statuses) != tested:
        problems.append(f"'Tested {tested} GPUs:' but {len(statuses)} GPU status lines (truncated log?)")
    if tested is None and not gflops and not errors:
        problems.append("no gpu-burn progress or results found (not a gpu-burn log?)")
    elif tested is not None and not progress:
        problems.append('no progress line ("proc\'d: … Gflop/s"): gpu-burn did no work')
    elif tested is not None:
        idle = [i for i, st in sorted(statuses.items()) if st == "OK" and i not in gflops and i not in died]
        if idle:
            problems.append(f"GPU {', '.join(map(str, idle))}: no Gflop/s in any progress line (did no work)")
    for i in sorted(died):
        problems.append(f"GPU {i}: worker died during the burn (DIED!)")
    gpus = tuple(
        GpuBurnGpu(index=i, status="FAULTY" if s == "FAULTY" else "OK", gflops=gflops.get(i))
        for i, s in sorted(statuses.items())
    )
    for i in sorted(warned):
        if statuses.get(i) == "OK":
            problems.append(f"GPU {i}: errors counted during the burn but reported OK")
    return GpuBurnResult(
        gpus=gpus,
        errors=tuple(errors),
        seconds=seconds,
        problems=tuple(problems),
        gpu_names=tuple(name for _, name in sorted(names.items())),
    )
