"""``dcgmi diag -r N`` default text table → :class:`DcgmResult` (``-j`` is read by :mod:`.dcgm`).

The table, from DCGM's ``dcgmi/Diag.cpp`` / ``DcgmiOutput.cpp`` (https://github.com/NVIDIA/DCGM):
``| Diagnostic | Result |`` header, section rows ``+-----  Deployment  ----+---…+`` (also
``|-----  Metadata  ---…|``), rows ``| <test> | <Status>[ - All| - GPU: 3| - GPUs: 0, 1] |``,
continuation rows with an empty first cell (``|  | Fail - GPU: 3 |``, DCGM 4: ``|  | GPU0: Pass |``),
and ``| Warning | GPU 3 … |`` / ``| Info | … |`` rows that explain the row above.
Metadata rows (``DCGM Version``, ``Driver Version Detected`` …) give the version.
"""

from __future__ import annotations

import re

from .dcgm import _STATUS, Status
from .types import DcgmResult, DcgmTest

_ROW = re.compile(r"^\|\s*(?P<name>[^|]*?)\s*\|\s*(?P<value>.*?)\s*\|\s*$")
_SECTION = re.compile(r"^[+|]-+\s+(?P<name>[A-Za-z][\w ]*?)\s+-+\+")
_STATUS_VALUE = re.compile(
    r"^(?:GPU\s*(?P<gpu>\d+)\s*:\s*)?(?P<status>Pass|Fail|Warn(?:ing)?|Skip|Not Run)\b"
    r"(?:\s*-\s*(?P<who>All|GPUs?:\s*[\d,\s]+))?",
    re.IGNORECASE,
)
_BOTTOM = re.compile(r"^\+-+\+-+\+$")
"""The table's bottom border (a section row carries a name, ``+-----  Stress  ---+``)."""
_NOTE_NAMES = ("warning", "info", "error")


def looks_like_text_table(text: str) -> bool:
    return "| Diagnostic" in text and "+---" in text


def parse_dcgm_text(text: str) -> DcgmResult:
    """Parse the text table; never raises."""
    tests: list[DcgmTest] = []
    version: str | None = None
    section = ""
    name = ""
    in_body = False
    for line in text.splitlines():
        line = line.strip()
        sec = _SECTION.match(line)
        if sec:
            section, in_body = sec.group("name").strip(), True
            continue
        row = _ROW.match(line)
        if not row or not in_body:
            continue
        cell, value = row.group("name"), row.group("value")
        if section.lower() == "metadata":
            if cell.lower() == "dcgm version":
                version = value
            continue
        if cell.lower() in _NOTE_NAMES and tests:
            last = tests[-1]
            info = f"{last.info}; {value}" if last.info else value
            tests[-1] = DcgmTest(last.category, last.name, last.status, last.gpu_ids, info)
            continue
        status = _STATUS_VALUE.match(value)
        if cell:
            name = cell
        if status is None:
            if not cell and tests:  # a wrapped note of the row above
                last = tests[-1]
                info = f"{last.info} {value}".strip()
                tests[-1] = DcgmTest(last.category, last.name, last.status, last.gpu_ids, info)
            continue
        tests.append(
            DcgmTest(
                category=section,
                name=name,
                status=_status(status.group("status")),
                gpu_ids=_gpus(status.group("gpu"), status.group("who")),
                info="",
            )
        )
    problems: tuple[str, ...] = ()
    if not tests:
        problems = ("dcgmi diag text table: no test results (cut before the first test row?)",)
    elif not _BOTTOM.match(text.rstrip().rsplit("\n", 1)[-1].strip()):
        problems = ("dcgmi diag text table is not closed by its bottom border (the output is cut)",)
    return DcgmResult(version=version, tests=tuple(tests), problems=problems)


def _status(word: str) -> Status:
    return _STATUS.get(word.strip().lower(), "unknown")


def _gpus(single: str | None, who: str | None) -> tuple[int, ...]:
    if single is not None:
        return (int(single),)
    if who is None or who.lower() == "all":
        return ()
    return tuple(int(n) for n in re.findall(r"\d+", who))
