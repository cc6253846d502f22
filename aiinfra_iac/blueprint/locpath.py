"""Field paths in blueprint form: ``spec.nodePools[0].instanceType`` <-> ``("spec", "nodePools", 0, ...)``."""

from __future__ import annotations

import re

LocPath = tuple[str | int, ...]

_PART = re.compile(r"([^.\[\]\"]+)|\[(\d+)\]|\[\"([^\"]*)\"\]")
_PLAIN_KEY = re.compile(r"^[^.\[\]\"]+$")


def format_loc(path: LocPath) -> str:
    """``("spec", "nodePools", 0, "count")`` -> ``spec.nodePools[0].count``.

    Keys that contain dots or brackets (label keys such as ``nvidia.com/gpu.product``) are
    written ``labels["nvidia.com/gpu.product"]`` so the path stays unambiguous.
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _PLAIN_KEY.match(part):
            text += f'["{part}"]'
        else:
            text += f".{part}" if text else part
    return text


def parse_loc(loc: str | LocPath) -> LocPath:
    """The inverse of :func:`format_loc`; tuples pass through unchanged."""
    if isinstance(loc, tuple):
        return loc
    parts: list[str | int] = []
    for match in _PART.finditer(loc):
        key, index, quoted = match.groups()
        parts.append(int(index) if index is not None else quoted if quoted is not None else key)
    return tuple(parts)
