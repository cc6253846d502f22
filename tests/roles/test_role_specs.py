"""Every role under roles/: defaults/main.yml and meta/argument_specs.yml document the same variables,
all prefixed with the role name; internal vars (vars/main.yml) start with ``_<role>_``; Galaxy layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
ROLE_DIRS = (
    sorted(p for p in ROLES.iterdir() if p.is_dir() and (p / "tasks").is_dir()) if ROLES.is_dir() else []
)


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text()) if path.exists() else None


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_galaxy_layout(role: Path) -> None:
    for needed in ("defaults/main.yml", "tasks/main.yml", "meta/main.yml", "meta/argument_specs.yml"):
        assert (role / needed).is_file(), f"{role.name}: missing {needed}"
    meta = _load(role / "meta/main.yml")
    assert meta["galaxy_info"]["role_name"] == role.name


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_defaults_match_argument_specs(role: Path) -> None:
    defaults = _load(role / "defaults/main.yml") or {}
    spec = _load(role / "meta/argument_specs.yml")
    options = spec["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(options), (
        f"{role.name}: only in defaults: {sorted(set(defaults) - set(options))}; "
        f"only in argument_specs: {sorted(set(options) - set(defaults))}"
    )
    for name, option in options.items():
        assert name.startswith(f"{role.name}_"), f"{role.name}: variable {name} lacks the role prefix"
        assert option.get("description"), f"{role.name}: {name} has no description"
        assert option.get("type"), f"{role.name}: {name} has no type"
        value = defaults[name]
        templated = isinstance(value, str) and "{{" in value
        if not templated:
            assert option.get("default") == value, (
                f"{role.name}: {name} defaults to {value!r} but argument_specs says {option.get('default')!r}"
            )
        if "choices" in option and not templated:
            assert value in option["choices"], f"{role.name}: default of {name} not among its choices"


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_internal_vars_are_prefixed(role: Path) -> None:
    internal = _load(role / "vars/main.yml") or {}
    bad = [name for name in internal if not name.startswith(f"_{role.name}_")]
    assert not bad, f"{role.name}: vars/main.yml names without the _{role.name}_ prefix: {bad}"


def test_there_are_roles() -> None:
    names = {p.name for p in ROLE_DIRS}
    assert {"host_tuning", "nvidia_driver", "nccl", "efa", "bluefield_dpu"} <= names
