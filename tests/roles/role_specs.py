"""Check that a role's defaults/main.yml and meta/argument_specs.yml describe the same variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROLES = Path(__file__).resolve().parents[2] / "roles"


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def assert_defaults_match_spec(role: str) -> None:
    """Every default is specified with the same default value, and every optional spec has a default."""
    defaults: dict[str, Any] = _load(ROLES / role / "defaults/main.yml") or {}
    specs = _load(ROLES / role / "meta/argument_specs.yml")
    options: dict[str, Any] = specs["argument_specs"]["main"]["options"]
    public = {name for name in defaults if not name.startswith("_")}
    assert all(name.startswith(f"{role}_") for name in public), sorted(public)
    assert public == {name for name, spec in options.items() if not spec.get("required")}, sorted(
        public ^ set(options)
    )
    for name in public:
        assert options[name].get("default") == defaults[name], name
