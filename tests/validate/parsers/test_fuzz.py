"""Property: no parser raises, whatever the text — arbitrary, or a real-format log cut or garbled."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aiinfra_iac.validate.parsers import parse_dcgm_diag, parse_gpu_burn, parse_nccl_tests, parse_perftest

pytest.importorskip("hypothesis")

from hypothesis import given, settings
from hypothesis import strategies as st

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "validate"
PARSERS: dict[str, Callable[[str], object]] = {
    "nccl": parse_nccl_tests,
    "gpu_burn": parse_gpu_burn,
    "perftest": parse_perftest,
    "dcgm": parse_dcgm_diag,
}
SAMPLES = {
    "nccl": [
        (FIX / "nodes/healthy-h100x8/nccl_all_reduce.log").read_text(),
        (FIX / "cluster/healthy-roce-h100x16/nccl_all_reduce.log").read_text()[:20000],
        (FIX / "misc/nccl_all_reduce_h200_J.json").read_text(),
    ],
    "gpu_burn": [
        (FIX / "misc/gpu_burn_died.log").read_text(),
        (FIX / "nodes/healthy-a100x8/gpu_burn.log").read_text()[:8000],
    ],
    "perftest": [
        (FIX / "nodes/healthy-h100x8/ib_write_bw_mlx5_0.log").read_text(),
        (FIX / "misc/ib_send_lat_mlx5_1.log").read_text(),
    ],
    "dcgm": [
        (FIX / "nodes/dcgm3-fail-a100x8/dcgm_diag.json").read_text(),
        (FIX / "misc/dcgm4_iterations_warn.json").read_text(),
    ],
}
TOKENS = [
    "#",
    " ",
    "\n",
    "\r",
    "\t",
    "0",
    "-1",
    "N/A",
    "{",
    "}",
    "[",
    "]",
    ":",
    '"',
    "proc'd:",
    "GPU 0: ",
    "nan",
    "1e+06",
]


def _check(kind: str, text: str) -> None:
    result = PARSERS[kind](text)
    problems = getattr(result, "problems")  # noqa: B009 - all four records have it
    assert isinstance(problems, tuple)


@pytest.mark.parametrize("kind", sorted(PARSERS))
@settings(max_examples=40, deadline=None, database=None)
@given(text=st.text(max_size=400))
def test_arbitrary_text(kind: str, text: str) -> None:
    _check(kind, text)


@pytest.mark.parametrize("kind", sorted(PARSERS))
@settings(max_examples=40, deadline=None, database=None)
@given(data=st.data())
def test_cut_and_garbled_real_formats(kind: str, data: st.DataObject) -> None:
    draw = data.draw
    sample = draw(st.sampled_from(SAMPLES[kind]))
    cut = draw(st.integers(min_value=0, max_value=len(sample)))
    text = sample[:cut]
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
    _check(kind, text)
