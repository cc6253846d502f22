"""Blueprint values handed to Ansible as data it never templates.

Every writer of an inventory file (configure, the validation playbook runner) calls
:func:`inventory_json`, which marks every string ``{"__ansible_unsafe": …}`` so Ansible treats it
as data and never renders ``{{ … }}`` or ``{% … %}`` in it (Ansible's JSON loader turns the marker
into an unsafe string:
https://docs.ansible.com/ansible/latest/playbook_guide/playbooks_advanced_syntax.html#unsafe-or-raw-strings).
Mapping keys cannot carry the marker, so a key holding template delimiters is refused instead.
A leaf module: the stages import it, it imports none of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

UNSAFE_KEY = "__ansible_unsafe"
_TEMPLATE_MARKS = ("{{", "{%", "{#")


class UnsafeKeyError(ValueError):
    """A mapping key that Ansible could template (keys cannot be marked unsafe)."""


def mark_unsafe(value: Any) -> Any:
    """``value`` with every string (at any depth) wrapped as ``{"__ansible_unsafe": s}``.

    Numbers, booleans and ``None`` stay as they are; keys stay plain but may not contain
    template delimiters (:class:`UnsafeKeyError`)."""
    if isinstance(value, str):
        return {UNSAFE_KEY: value}
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            text = str(key)
            if any(mark in text for mark in _TEMPLATE_MARKS):
                raise UnsafeKeyError(f"refusing to write the inventory key {text!r}: it holds a template")
            out[text] = mark_unsafe(item)
        return out
    if isinstance(value, list | tuple):
        return [mark_unsafe(item) for item in value]
    return value


def inventory_json(inventory: Mapping[str, Any]) -> str:
    """The inventory as the JSON text Ansible reads, every string value marked unsafe.

    This is the one place blueprint values cross into Ansible: every writer of an inventory
    file (configure, the validation playbook runner) calls it."""
    return json.dumps(mark_unsafe(inventory), separators=(",", ":"))
