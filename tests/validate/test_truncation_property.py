"""Property: a passing log cut anywhere before its last required line never passes."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiinfra_iac.validate.judge import judge_target
from aiinfra_iac.validate.rules.common import Target

from . import builders as b
from . import realformat as rf


def _limit_nccl(text: str) -> int:
    """Cut points before the ``:`` of the Avg footer (past it only the number can shrink)."""
    return text.index(":", text.index("# Avg bus bandwidth")) + 1


def _limit_perftest(text: str) -> int:
    return text.rindex(rf.DASHES) + 20  # perftest's closing line: at least 20 dashes are read as one


def _limit_full(text: str) -> int:
    return len(text.rstrip())


CASES = {
    "nccl": (rf.nccl_log(1 << 26, busbw=480.0), _limit_nccl, {"maxBytes": "64M", "gpus": 8}, 400.0, "GB/s"),
    "gpu_burn": (rf.gpu_burn_log(8), _limit_full, {"gpus": 8}, None, ""),
    "rdma": (rf.perftest_log(), _limit_perftest, {"device": "mlx5_0", "maxBytes": "8M"}, 360.0, "Gb/s"),
    "dcgm_json": (rf.dcgm_json({"Diagnostic": "Pass", "PCIe": "Pass"}), _limit_full, {}, None, ""),
    "dcgm_text": (
        rf.dcgm_text([("GPU Memory", "Pass - All"), ("Diagnostic", "Pass - All")]),
        _limit_full,
        {},
        None,
        "",
    ),
}


def _status(tmp: Path, case: str, text: str) -> str:
    _full, _limit, params, expected, unit = CASES[case]
    kind = case.split("_json")[0].split("_text")[0]
    pool = b.pool("gpu", 1, gpu_plan=b.gpu("H100", 8), fabric_plan=b.fabric("infiniband"))
    check = b.check(kind, "gpu", expected=expected, unit=unit, **params)
    plan = b.plan([pool], [check])
    path = tmp / f"{case}.log"
    path.write_text(text, encoding="utf-8")
    return judge_target(plan, Target(check, "gpu-0", path)).status


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_whole_log_passes(tmp_path: Path, case: str) -> None:
    assert _status(tmp_path, case, CASES[case][0]) == "pass"


@pytest.mark.parametrize("case", sorted(CASES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_truncations_never_pass(tmp_path: Path, case: str, data: st.DataObject) -> None:
    text, limit, *_ = CASES[case]
    cut = data.draw(st.integers(min_value=0, max_value=limit(text) - 1), label="cut")
    assert _status(tmp_path, case, text[:cut]) != "pass", text[:cut][-200:]
