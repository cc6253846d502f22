"""Render a role's template or ``set_fact`` expression with Jinja2 the way Ansible's template module does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from ruamel.yaml import YAML

ROLES = Path(__file__).resolve().parents[2] / "roles"


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined, autoescape=False
    )


def defaults(role: str) -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load((ROLES / role / "defaults" / "main.yml").read_text())
    return loaded


def render(role: str, template: str, variables: dict[str, Any]) -> str:
    text = (ROLES / role / "templates" / template).read_text()
    return environment().from_string(text).render(ansible_managed="aiinfra managed", **variables)


def set_fact_expression(role: str, tasks_file: str, fact: str) -> str:
    """The Jinja expression a ``set_fact`` task of the role assigns to ``fact`` (the role's own text)."""
    tasks = YAML(typ="safe").load((ROLES / role / "tasks" / tasks_file).read_text())
    for task in tasks:
        facts = task.get("ansible.builtin.set_fact") or {}
        if fact in facts:
            return str(facts[fact])
    raise AssertionError(f"no set_fact of {fact} in roles/{role}/tasks/{tasks_file}")


def evaluate(expression: str, variables: dict[str, Any]) -> str:
    return environment().from_string(expression).render(**variables)
