"""Line splitting shared by the text parsers: carriage returns and launcher prefixes."""

from __future__ import annotations

import re
from collections.abc import Iterable

# ``mpirun --tag-output``: ``[1,0]<stdout>:`` (jobid,rank); ``srun --label``: ``0: `` / `` 12: ``.
_MPI_TAG = re.compile(r"^\[\d+,\d+\]<(?:stdout|stderr)>:")
_SRUN_LABEL = re.compile(r"^\s{0,6}\d{1,6}: ")
# MPICH / Intel MPI ``mpiexec -prepend-rank``: ``[0] `` (Hydra prefixes every chunk it reads, so the
# same prefix can also appear inside a line where a write was split).
_PREPEND_RANK = re.compile(r"^\[(?P<rank>\d{1,6})\] ?")


def split_lines(text: str) -> list[str]:
    """Split on ``\\n``, ``\\r\\n`` and lone ``\\r`` (progress lines repainted in place)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def as_lines(source: str | Iterable[str]) -> Iterable[str]:
    """The lines of ``source``: a whole text is split with :func:`split_lines`; an iterable of lines
    already split the same way (:class:`aiinfra_iac.validate.safe_read.ResultLines`) is used as it
    comes, so a parser that loops over it holds one line at a time."""
    return split_lines(source) if isinstance(source, str) else source


def strip_launcher_prefix(line: str) -> str:
    """Remove one ``mpirun --tag-output``, ``srun --label`` or ``-prepend-rank`` prefix, if any."""
    m = _MPI_TAG.match(line)
    if m:
        return line[m.end() :]
    m = _SRUN_LABEL.match(line)
    if m:
        return line[m.end() :]
    m = _PREPEND_RANK.match(line)
    if m:
        rest = line[m.end() :]
        # a repeated prefix inside the line; never the ``host:pid:tid [0] NCCL INFO`` device field nor a
        # channel's ``3[3] ->`` rank
        inner = re.compile(rf"(?<!\d)\[{m.group('rank')}\] (?!NCCL )")
        return inner.sub("", rest) if f"[{m.group('rank')}] " in rest else rest
    return line


def clean_lines(text: str) -> list[str]:
    """The text as lines without carriage returns or launcher prefixes (one entry per input line)."""
    return [strip_launcher_prefix(line) for line in split_lines(text)]


def to_float(token: str) -> float | None:
    """A float, or None for ``N/A``, ``nan`` and anything unreadable."""
    try:
        value = float(token)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value


def to_int(token: str) -> int | None:
    """An int; accepts ``%g`` forms such as ``1e+06`` (nccl-tests prints #wrong with ``%6g``)."""
    try:
        return int(token)
    except ValueError:
        pass
    value = to_float(token)
    if value is None or value != int(value):
        return None
    return int(value)
