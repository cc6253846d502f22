"""The inventory writer marks every string unsafe and refuses keys Ansible could template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiinfra_iac.configure.inventory import UnsafeKeyError, inventory_json, mark_unsafe
from aiinfra_iac.configure.runner import write_inventory
from aiinfra_iac.errors import ConfigureError


def test_every_string_at_any_depth_is_marked() -> None:
    data = {"all": {"vars": {"a": "x", "n": 3, "b": True, "none": None, "l": ["y", {"z": "{{ 1 }}"}]}}}
    assert mark_unsafe(data) == {
        "all": {
            "vars": {
                "a": {"__ansible_unsafe": "x"},
                "n": 3,
                "b": True,
                "none": None,
                "l": [{"__ansible_unsafe": "y"}, {"z": {"__ansible_unsafe": "{{ 1 }}"}}],
            }
        }
    }
    assert json.loads(inventory_json(data)) == mark_unsafe(data)


@pytest.mark.parametrize("key", ["{{ x }}", "a{%b", "{# c #}"])
def test_template_in_a_key_is_refused(key: str) -> None:
    with pytest.raises(UnsafeKeyError, match="holds a template"):
        mark_unsafe({"vars": {key: "v"}})


def test_the_writer_is_private_and_marks_values(tmp_path: Path) -> None:
    path = write_inventory(tmp_path, {"all": {"vars": {"team": "{{ lookup('pipe', 'id') }}"}}})
    assert path.stat().st_mode & 0o777 == 0o600
    team = json.loads(path.read_text())["all"]["vars"]["team"]
    assert team == {"__ansible_unsafe": "{{ lookup('pipe', 'id') }}"}
    with pytest.raises(ConfigureError, match="holds a template"):
        write_inventory(tmp_path, {"all": {"hosts": {"{{ x }}": None}}})
