"""Bounded reads of result files: results folders come back from hundreds of nodes and are
untrusted input (docs/security.md).

A result file is read only when it is a regular file whose real path (every symlink followed)
lies inside the results folder, and only up to a size cap per tool. A FIFO, a device, a socket
or a link out of the folder is "unreadable"; a file over the cap is "oversized" — both become a
failed check naming the file, never a hang, a MemoryError or a traceback. The file is opened
with ``O_NONBLOCK`` (opening a FIFO does not wait for a writer) and checked with ``fstat`` on
the open descriptor, then read in chunks up to the cap, so a file that grows while it is read
is still bounded.

:func:`open_result_lines` applies the same checks and yields the file line by line (split as
:func:`aiinfra_iac.validate.parsers._lines.split_lines` splits text) from 1 MiB chunks, so the
streaming parsers (gpu-burn, nccl-tests with ``NCCL_DEBUG=INFO``, perftest) hold one line at a
time, never the whole file; a file that grows past the cap while it is read raises
:class:`ResultReadError` ("oversized") from the iteration.

Caps (the largest output a healthy run of the tool writes, with a wide margin):

========== ========= =====================================================================
tool       cap       why
========== ========= =====================================================================
gpu_burn   64 MiB    one progress line per ~10 s per run; a 24 h burn writes a few MiB
dcgm       16 MiB    ``dcgmi diag -j`` is one JSON document of a few hundred KiB
nccl       256 MiB   ``NCCL_DEBUG=INFO`` from every rank of a pool-wide run (thousands of ranks)
rdma       16 MiB    ``ib_write_bw -a``: one table of 23 message sizes
========== ========= =====================================================================
"""

from __future__ import annotations

import codecs
import functools
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

MiB = 2**20
CAPS: dict[str, int] = {"gpu_burn": 64 * MiB, "dcgm": 16 * MiB, "nccl": 256 * MiB, "rdma": 16 * MiB}
DEFAULT_CAP = 64 * MiB
_CHUNK = MiB
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0)


class ResultReadError(Exception):
    """A result file that was not read; ``reason`` is ``missing``, ``unreadable`` or ``oversized``."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


def cap_for(kind: str) -> int:
    """The size cap of ``kind``'s result files (:data:`CAPS`)."""
    return CAPS.get(kind, DEFAULT_CAP)


@functools.lru_cache(maxsize=64)
def _real_root(root: Path) -> Path:
    """The results folder's real path, resolved once per folder (not once per file: 11,000 files
    at 1,024 nodes x 8 rails)."""
    return Path(os.path.realpath(root))


def _inside(real: Path, root: Path) -> bool:
    return real == root or root in real.parents


def _open_checked(path: Path, *, root: Path | None, cap: int) -> BinaryIO:
    """``path`` opened for reading after the checks of this module, or :class:`ResultReadError`."""
    if not os.path.lexists(path):
        raise ResultReadError("missing", f"missing result file {path}")
    real = Path(os.path.realpath(path))
    if root is not None and not _inside(real, _real_root(root)):
        raise ResultReadError("unreadable", f"{path} is a link out of the results folder; not read")
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except FileNotFoundError:
        raise ResultReadError("missing", f"missing result file {path} (a dangling link)") from None
    except OSError as error:
        raise ResultReadError("unreadable", f"cannot read {path}: {error.strerror or error}") from None
    handle = os.fdopen(fd, "rb")
    try:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ResultReadError(
                "unreadable", f"{path} is not a regular file ({_kind(info.st_mode)}); not read"
            )
        if info.st_size > cap:
            raise ResultReadError("oversized", _oversized(path, info.st_size, cap))
    except BaseException:
        handle.close()
        raise
    return handle


def _chunks(handle: BinaryIO, path: Path, cap: int) -> Iterator[bytes]:
    """The file's bytes in chunks of at most 1 MiB; "oversized" once more than ``cap`` were read."""
    size = 0
    while size <= cap:
        chunk = handle.read(min(_CHUNK, cap + 1 - size))
        if not chunk:
            return
        size += len(chunk)
        if size > cap:
            raise ResultReadError("oversized", _oversized(path, size, cap))
        yield chunk


def read_result_file(path: Path, *, root: Path | None, cap: int) -> str:
    """The text of ``path`` (UTF-8, bad bytes replaced), or :class:`ResultReadError`."""
    with _open_checked(path, root=root, cap=cap) as handle:
        data = b"".join(_chunks(handle, path, cap))
    return data.decode("utf-8", errors="replace")


class ResultLines:
    """A result file opened with the checks above, iterated line by line (a context manager).

    Lines are split on ``\\n``, ``\\r\\n`` and a lone ``\\r`` exactly as ``split_lines`` splits the
    whole text (a final empty line included), without holding more than one chunk and one line.
    """

    def __init__(self, path: Path, *, root: Path | None, cap: int) -> None:
        self.path = path
        self._cap = cap
        self._handle = _open_checked(path, root=root, cap=cap)

    def __enter__(self) -> ResultLines:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._handle.close()

    def __iter__(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        for chunk in _chunks(self._handle, self.path, self._cap):
            pending += decoder.decode(chunk)
            # a "\r" at the end of a chunk may be the first half of "\r\n": keep it for the next one
            held = pending.endswith("\r")
            text = pending[:-1] if held else pending
            parts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            yield from parts[:-1]
            pending = parts[-1] + ("\r" if held else "")
        pending += decoder.decode(b"", final=True)
        yield from pending.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def open_result_lines(path: Path, *, root: Path | None, cap: int) -> ResultLines:
    """``path`` opened for line-by-line reading (:class:`ResultLines`), or :class:`ResultReadError`."""
    return ResultLines(path, root=root, cap=cap)


def _oversized(path: Path, size: int, cap: int) -> str:
    return f"{path} is oversized: {size:,} bytes, over the {cap // MiB} MiB cap for this tool; not read"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a plain file"
