"""OS matrix: ubuntu-22.04 (see os_matrix.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import Chroot
from os_matrix import converge_matrix, mentions, node

pytestmark = [
    pytest.mark.slow,
    pytest.mark.roles,
    pytest.mark.full_e2e,
]
IMAGE = "ubuntu-22.04"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chroot]:
    yield from node(IMAGE, tmp_path_factory)


def test_converge_rerun_and_check_mode(box: Chroot) -> None:
    runs = converge_matrix(box, IMAGE)
    assert runs["rerun"].changed == 0
    # The CUDA repository of this release (ubuntu2204), previewed in check mode.
    assert mentions(runs["driver"], "/ubuntu2204/")
