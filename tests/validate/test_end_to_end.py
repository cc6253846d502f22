"""``aiinfra validate blueprints/local-host.yaml`` with the CPU fallback on this machine:
a numpy burn and a gloo all-reduce, judged by the same parsers and rules, three reports written."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SANDBOX = REPO / "blueprints" / "local-host.yaml"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SANDBOX.exists(), reason="blueprints/local-host.yaml not present"),
    pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="pip install torch==2.13.0 (CPU)"),
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "HOME": str(out / "home")}
    command = [
        sys.executable,
        "-m",
        "aiinfra_iac.cli",
        "validate",
        str(SANDBOX),
        "--burn-seconds",
        "0.5",
        "--format",
        "json",
        "--junit",
        str(out / "junit.xml"),
        "--html",
        str(out / "report.html"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, cwd=REPO)
    return done, out


def test_cpu_fallback_end_to_end(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, out = run
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    assert doc["cluster"] == "local-host" and doc["verdict"] == "pass"
    kinds = sorted({(c["kind"], c["node"]) for c in doc["checks"]})
    assert ("gpu_burn", "sandbox-0") in kinds and ("nccl", "_cluster") in kinds
    for check in doc["checks"]:
        if check["kind"] == "nccl":
            assert check["measured"] > 0 and check["unit"] == "GB/s"
    results = Path(done.stderr.split("writing results to ", 1)[1].split()[0])
    # one results convention for up and validate: <state>/<stack>/results/<UTC time>
    assert results.is_relative_to(out / "home" / ".aiinfra" / "state" / "local-host" / "results")
    assert (results / "sandbox-1" / "gpu_burn.log").read_text().count(": OK") == 2
    assert "# Out of bounds values : 0 OK" in (results / "_cluster" / "nccl_all_reduce.log").read_text()
    assert (out / "junit.xml").read_text().count("<testcase") == len(doc["checks"])


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="chromium not installed (apt-get install chromium)"
)
def test_html_report_renders_in_headless_chromium(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, out = run
    assert done.returncode == 0
    shot = out / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--screenshot={shot}",
                "--window-size=1280,2000",
                (out / "report.html").as_uri(),
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pytest.importorskip("matplotlib")
    import matplotlib.image

    pixels = matplotlib.image.imread(str(shot))
    # the plots draw coloured lines and bars: a blank or error page would be (almost) grey-scale
    rgb = pixels[..., :3]
    coloured = ((rgb.max(axis=-1) - rgb.min(axis=-1)) > 0.2).mean()
    assert coloured > 0.005, f"only {coloured:.4f} of the screenshot is coloured"
