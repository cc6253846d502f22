"""Message sizes as nccl-tests takes them (``-b 8 -e 8G``): K, M, G, T are powers of 1024."""

from __future__ import annotations

from aiinfra_iac.units import parse_size

__all__ = ["parse_size", "sweep"]


def sweep(min_bytes: int, max_bytes: int, factor: int = 2) -> list[int]:
    """The sizes nccl-tests visits with ``-f factor``: min, min x f, … up to max."""
    sizes: list[int] = []
    size = max(min_bytes, 1)
    while size <= max_bytes:
        sizes.append(size)
        size *= factor
    return sizes
