"""Streaming parsers (issue 16): the long logs are parsed line by line from a bounded reader.

- :class:`ResultLines` splits a file exactly as ``split_lines`` splits its text, whatever the chunk
  boundaries (``\\r\\n`` and multi-byte UTF-8 cut between chunks);
- every published output in ../shared/real-outputs gives the same record streamed as read whole;
- parsing a large generated nccl-tests log with ``NCCL_DEBUG=INFO`` lines keeps the peak memory a
  small fraction of the file size (a whole-file read would hold the file at least twice).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiinfra_iac.validate import safe_read
from aiinfra_iac.validate.parsers import parse_gpu_burn, parse_nccl_tests, parse_perftest
from aiinfra_iac.validate.parsers._lines import split_lines
from aiinfra_iac.validate.safe_read import ResultReadError, open_result_lines, read_result_file

REAL = Path(__file__).resolve().parents[3] / ".." / "shared" / "real-outputs"
CAP = 64 * safe_read.MiB


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(["a", " ", "\n", "\r", "é", "漢", "\ufffd", "#"]), max_size=80),
    chunk=st.integers(min_value=1, max_value=9),
)
def test_lines_split_like_split_lines_across_any_chunk_boundary(text: str, chunk: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.log"
        path.write_bytes(text.encode("utf-8"))
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(safe_read, "_CHUNK", chunk)
            with open_result_lines(path, root=Path(tmp), cap=CAP) as lines:
                streamed = list(lines)
    assert streamed == split_lines(text)


def test_bad_utf8_cut_between_chunks_is_replaced_as_a_whole_read_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.log"
    path.write_bytes(b"ok \xe6\xbc\n\xff\xfe tail\r\n\xe6\xbc\xa2\r")
    monkeypatch.setattr(safe_read, "_CHUNK", 2)
    with open_result_lines(path, root=tmp_path, cap=CAP) as lines:
        streamed = list(lines)
    assert streamed == split_lines(read_result_file(path, root=tmp_path, cap=CAP))


def test_a_file_growing_past_the_cap_while_streamed_is_oversized(tmp_path: Path) -> None:
    path = tmp_path / "grow.log"
    path.write_text("line\n" * 10)
    with open_result_lines(path, root=tmp_path, cap=100) as lines:
        path.write_text("line\n" * 100)  # same inode, now over the cap
        with pytest.raises(ResultReadError) as error:
            list(lines)
    assert error.value.reason == "oversized"


def test_the_checks_apply_before_streaming(tmp_path: Path) -> None:
    (tmp_path / "big.log").write_text("x" * 200)
    with pytest.raises(ResultReadError, match="oversized"):
        open_result_lines(tmp_path / "big.log", root=tmp_path, cap=100)
    with pytest.raises(ResultReadError, match="missing"):
        open_result_lines(tmp_path / "none.log", root=tmp_path, cap=100)


PARSERS: dict[str, Callable[[Any], Any]] = {
    "nccl": parse_nccl_tests,
    "gpu_burn": parse_gpu_burn,
    "perftest": parse_perftest,
}


def _real(sub: str) -> list[Path]:
    return sorted((REAL / sub).glob("*")) if (REAL / sub).is_dir() else []


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-outputs is not present")
@pytest.mark.parametrize(
    ("sub", "path"), [(sub, p) for sub in PARSERS for p in _real(sub)], ids=lambda v: getattr(v, "name", v)
)
def test_real_outputs_give_the_same_record_streamed(
    sub: str, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = PARSERS[sub](read_result_file(path, root=None, cap=CAP))
    monkeypatch.setattr(safe_read, "_CHUNK", 97)  # many chunk boundaries inside lines
    with open_result_lines(path, root=None, cap=CAP) as lines:
        streamed = PARSERS[sub](lines)
    assert streamed == whole


def _big_nccl_log(path: Path, info_lines: int) -> None:
    info = "node-17:4242:4290 [3] NCCL INFO Channel 07/0 : 3[3] -> 11[3] [send] via NET/IB/3/GDRDMA\n"
    head = (
        "# nThread 1 nGpus 1 minBytes 8 maxBytes 8589934592 step: 2(factor) warmup iters: 5 iters: 20\n"
        "#  Rank  0 Group  0 Pid   4242 on    node-17 device  0 [0x07] NVIDIA H100 80GB HBM3\n"
        "node-17:4242:4290 [0] NCCL INFO NET/IB : Using [0]mlx5_0:1/IB ; OOB eth0:10.0.0.17<0>\n"
    )
    table = (
        "#       size         count      type   redop    root     time   algbw   busbw #wrong"
        "     time   algbw   busbw #wrong\n"
        "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)         "
        "(us)  (GB/s)  (GB/s)\n"
        "  8589934592    2147483648     float     sum      -1  45000.1  190.89  357.91      0"
        "  44990.2  190.93  357.99      0\n"
        "# Out of bounds values : 0 OK\n# Avg bus bandwidth    : 357.95\n"
    )
    with path.open("w") as out:
        out.write(head)
        block = info * 1000
        for _ in range(info_lines // 1000):
            out.write(block)
        out.write(table)


def test_a_long_nccl_debug_log_is_parsed_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "all_reduce.log"
    _big_nccl_log(path, info_lines=200_000)
    size = path.stat().st_size
    assert size > 16 * safe_read.MiB
    tracemalloc.start()
    try:
        with open_result_lines(path, root=tmp_path, cap=256 * safe_read.MiB) as lines:
            run = parse_nccl_tests(lines)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert run.problems == ()
    assert run.rows[-1].size_bytes == 8 << 30
    assert "NET/IB" in run.transports
    # one 1 MiB chunk, its decoded text and split lines: a few MiB, never the file
    assert peak < 8 * safe_read.MiB < size / 2, f"peak {peak:,} bytes for a {size:,}-byte log"
