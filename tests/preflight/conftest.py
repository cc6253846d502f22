from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.preflight.motoserver import moto_env, moto_server


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    pytest.importorskip("moto.server", reason="moto[server] is in the dev extra: pip install -e '.[dev]'")
    pytest.importorskip("boto3", reason="boto3 is in the dev extra: pip install -e '.[dev]'")
    with moto_server() as url:
        yield url


@pytest.fixture
def aws_env(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """boto3 in this process and in subprocesses talks to the moto server."""
    env = moto_env(moto_url)
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    return env
