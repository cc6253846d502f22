"""Message sizes as nccl-tests takes them (``-b 8 -e 8G``): K, M, G, T are powers of 1024."""

from __future__ import annotations

import re

_SIZE = re.compile(r"^(?P<n>[0-9]+(?:\.[0-9]+)?)(?P<unit>[KMGT]?)$")
_SCALE = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str | int | float) -> int:
    """``"8G"`` → 8589934592; raises ValueError naming the bad value."""
    match = _SIZE.match(str(text).strip())
    if match is None:
        raise ValueError(f"bad message size {text!r}: use a number with an optional K, M, G or T suffix")
    return int(float(match.group("n")) * _SCALE[match.group("unit")])


def sweep(min_bytes: int, max_bytes: int, factor: int = 2) -> list[int]:
    """The sizes nccl-tests visits with ``-f factor``: min, min x f, … up to max."""
    sizes: list[int] = []
    size = max(min_bytes, 1)
    while size <= max_bytes:
        sizes.append(size)
        size *= factor
    return sizes
