"""Every validation kind is registered with all its parts: parameters, steps, result files, parse,
judge and plot — and the plan's kinds are exactly the registered ones."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from aiinfra_iac.plan.model import ValidationKind
from aiinfra_iac.validate.judge import judge_target
from aiinfra_iac.validate.kinds import KINDS, Kind, kind_of
from aiinfra_iac.validate.kinds.params import nccl_params
from aiinfra_iac.validate.rules.common import Target
from aiinfra_iac.validate.types import CheckResult

from . import builders as b
from . import realformat as rf

SAMPLE = {
    "gpu_burn": rf.gpu_burn_log(8),
    "dcgm": rf.dcgm_json({"Diagnostic": "Pass"}),
    "nccl": rf.nccl_log(8 << 30),
    "rdma": rf.perftest_log(),
}
PARAMS: dict[str, dict[str, str | int]] = {
    "gpu_burn": {"seconds": 60, "gpus": 8},
    "dcgm": {"level": 2},
    "nccl": {"collective": "all_reduce", "minBytes": "8", "maxBytes": "8G", "gpus": 8},
    "rdma": {"device": "mlx5_0", "maxBytes": "8M"},
}


def test_registry_covers_every_plan_kind() -> None:
    assert set(KINDS) == set(typing.get_args(ValidationKind))
    assert set(SAMPLE) == set(KINDS)
    with pytest.raises(ValueError, match="no validation kind"):
        kind_of("layout")


@pytest.mark.parametrize("name", sorted(KINDS))
def test_kind_has_all_parts(tmp_path: Path, name: str) -> None:
    kind = KINDS[name]
    assert isinstance(kind, Kind) and kind.name == name and kind.tool
    pool = b.pool("gpu", 2, gpu_plan=b.gpu("H100", 8), fabric_plan=b.fabric("infiniband"))
    expected = {"nccl": 400.0, "rdma": 360.0}.get(name)
    check = b.check(name, "gpu", expected=expected, unit="GB/s" if name == "nccl" else "Gb/s", **PARAMS[name])
    plan = b.plan([pool], [check])
    params = kind.params(check, pool)
    assert params is not None and type(params).__name__.endswith("Params")
    steps = kind.steps(plan, check, pool, "gpu-0")
    assert steps and all(s.check_id == check.id and s.host == "gpu-0" for s in steps)
    files = kind.files(plan, tmp_path, check, pool, "gpu-0")
    assert files and all(path.is_relative_to(tmp_path) for path, _ in files)
    path, suffix = files[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SAMPLE[name], encoding="utf-8")
    result = judge_target(plan, Target(check, "gpu-0", path, suffix=suffix))
    assert isinstance(result, CheckResult) and result.status == "pass", result.detail
    figures = kind.plot(plan, [check], {check.id: [result]}, tmp_path)
    assert isinstance(figures, list) and all(isinstance(t, str) and isinstance(d, str) for t, d in figures)


def test_max_bytes_default_is_set_once_by_the_blueprint_model() -> None:
    from aiinfra_iac.blueprint.models import NcclValidation

    pool = b.pool("gpu", 1, gpu_plan=b.gpu("H100", 8))
    bare = b.check("nccl", "gpu")  # an older plan without maxBytes
    assert nccl_params(bare, pool).max_bytes_text == NcclValidation().max_bytes
    cpu = b.pool("cpu", 1)
    assert nccl_params(b.check("nccl", "cpu", maxBytes="8G"), cpu).sweep_max == 8 << 20  # CPU fallback cap
