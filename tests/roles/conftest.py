"""Fixtures for the role tests: one fresh bookworm chroot per test module.

Use in a test module::

    def test_converge(chroot: Chroot) -> None:
        result = chroot.converge_ok("host_tuning", {...})
        chroot.assert_idempotent("host_tuning", {...})
        assert "kernel.numa_balancing = 0" in chroot.read_file("/etc/sysctl.d/...")

Every test here that uses the ``chroot`` fixture carries the ``roles`` marker (``pytest -m "not roles"``
leaves them out) and is skipped, with the reason, when not root or when debootstrap/ansible-playbook are
missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Chroot, HarnessError, base_tarball, missing_prerequisites

_TIMINGS: list[tuple[str, str, float]] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents and "chroot" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.roles)


@pytest.fixture(scope="session")
def bookworm_tarball() -> Path:
    """The cached debootstrap tarball (built on first use, reused for the day)."""
    reason = missing_prerequisites()
    if reason is not None:
        pytest.skip(reason)
    try:
        return base_tarball()
    except HarnessError as exc:
        pytest.fail(f"could not build the bookworm base chroot: {exc}", pytrace=False)


@pytest.fixture(scope="module")
def chroot(
    bookworm_tarball: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Chroot]:
    """A fresh chroot extracted from the base tarball, shared by the tests of one module."""
    parent = tmp_path_factory.mktemp(f"chroot-{request.module.__name__}")
    box = Chroot.create(parent, bookworm_tarball)
    try:
        yield box
    finally:
        _TIMINGS.extend((request.module.__name__, label, seconds) for label, seconds in box.timings)
        box.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TIMINGS:
        return
    terminalreporter.section("ansible converge timings (chroot)")
    for module, label, seconds in _TIMINGS:
        terminalreporter.write_line(f"{module:<28} {label:<40} {seconds:6.1f}s")
