"""Slurm host list compression."""

from __future__ import annotations

import pytest

from aiinfra_iac.configure.hostlist import compress


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        (["gpu-0", "gpu-1", "gpu-2", "gpu-3"], "gpu-[0-3]"),
        (["gpu-001", "gpu-002", "gpu-004"], "gpu-[001-002,004]"),
        (["node7"], "node7"),
        (["head", "gpu-1", "gpu-0"], "head,gpu-[0-1]"),
        (["a-1", "b-1", "a-2"], "a-[1-2],b-1"),
        (["gpu-9", "gpu-10", "gpu-11"], "gpu-[9-11]"),
    ],
)
def test_compress(hosts: list[str], expected: str) -> None:
    assert compress(hosts) == expected
