"""OS matrix: debian-12 (see os_matrix.py).

Every role's own test module converges, re-converges and check-modes that role on Debian 12 in each
run of the suite; this combined node (the same roles together, as on the other two images) runs with
the Ubuntu ones under ``AIINFRA_FULL_E2E=1``, which keeps the suite inside its 15 minutes.
"""

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
IMAGE = "debian-12"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chroot]:
    yield from node(IMAGE, tmp_path_factory)


def test_converge_rerun_and_check_mode(box: Chroot) -> None:
    runs = converge_matrix(box, IMAGE)
    assert runs["rerun"].changed == 0
    # The CUDA repository of this release (debian12), previewed in check mode.
    assert mentions(runs["driver"], "/debian12/")
