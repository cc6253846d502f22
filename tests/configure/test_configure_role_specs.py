"""Every variable the inventory sets is accepted by its role's meta/argument_specs.yml.

Validated with Ansible's own ArgumentSpecValidator (what the role's argument validation runs), so an
unknown (typo'd) name, a wrong type, a bad choice or a missing required sub-option fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from configure_plans import H100, cluster, efa_fabric, ib_slurm_cluster, pool, roce_fabric
from ruamel.yaml import YAML

from aiinfra_iac.blueprint.models import Storage
from aiinfra_iac.configure.roles import ROLE_ORDER, roles_for_pool
from aiinfra_iac.configure.rolevars import ROLE_VARS, RoleContext
from aiinfra_iac.plan.model import ClusterPlan

ROLES_DIR = Path(__file__).resolve().parents[2] / "roles"
ENDPOINTS = {"scratch": {"dnsName": "fs-0abc.fsx.us-east-1.amazonaws.com", "mountName": "abcdefgh"}}


def _plans() -> list[ClusterPlan]:
    fsx = Storage.model_validate({"name": "scratch", "type": "fsx-lustre", "mountPath": "/fsx"})
    nvme = Storage.model_validate(
        {"name": "nvme", "type": "local-nvme", "mountPath": "/local", "raidLevel": 0}
    )
    return [
        ib_slurm_cluster(),
        cluster(
            (
                pool("head", 1, role="controller", storage=("scratch",)),
                pool("train", 4, gpu=H100, fabric=efa_fabric(), storage=("scratch", "nvme")),
            ),
            provider="aws",
            scheduler="slurm",
            storage=(fsx, nvme),
        ),
        cluster((pool("roce", 2, gpu=H100, fabric=roce_fabric()),), scheduler="kubernetes"),
    ]


def _spec(role: str) -> dict[str, Any]:
    path = ROLES_DIR / role / "meta" / "argument_specs.yml"
    if not path.exists():
        pytest.fail(f"role {role} has no {path.relative_to(ROLES_DIR.parent)}")
    options: dict[str, Any] = YAML(typ="safe").load(path.read_text())["argument_specs"]["main"]["options"]
    return options


@pytest.mark.parametrize("role", ROLE_ORDER)
def test_role_vars_match_argument_spec(role: str) -> None:
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    validator = ArgumentSpecValidator(_spec(role))
    seen = 0
    for plan in _plans():
        for p in plan.pools:
            if role not in roles_for_pool(plan, p):
                continue
            params = ROLE_VARS[role](plan, p, RoleContext(storage_endpoints=ENDPOINTS))
            assert all(name.startswith(f"{role}_") for name in params), sorted(params)
            result = validator.validate(dict(params))
            assert not result.error_messages, f"{plan.name}/{p.name}: {result.error_messages}"
            seen += 1
    assert seen > 0, f"no test plan applies {role}"


def test_validator_catches_a_typo() -> None:
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    result = ArgumentSpecValidator(_spec("observability")).validate({"observability_gpu_cout": 8})
    assert result.error_messages and "observability_gpu_cout" in result.error_messages[0]
