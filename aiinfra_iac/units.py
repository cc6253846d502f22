"""Units shared by the blueprint checks and the validation runners."""

from __future__ import annotations

import re

_SIZE = re.compile(r"^(?P<n>[0-9]+(?:\.[0-9]+)?)(?P<unit>[KMGT]?)$")
_SCALE = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str | int | float) -> int:
    """A message size as nccl-tests takes it (``-b 8 -e 8G``; K, M, G, T are powers of 1024):
    ``"8G"`` → 8589934592; raises ValueError naming the bad value."""
    match = _SIZE.match(str(text).strip())
    if match is None:
        raise ValueError(f"bad message size {text!r}: use a number with an optional K, M, G or T suffix")
    return int(float(match.group("n")) * _SCALE[match.group("unit")])
