"""The HTML report of a 1,024-node result set: light, and in headless Chromium it shows the heat
map and the worst nodes."""

from __future__ import annotations

import importlib.util
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from aiinfra_iac.commands._planload import load_plan
from aiinfra_iac.validate.judge import judge
from aiinfra_iac.validate.reports.html import render_html

from . import builders as b

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
RED = (0xC6, 0x28, 0x28)


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_validate", REPO / "benchmarks" / "bench_validate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_small_fleet_report_has_the_fleet_views(tmp_path: Path) -> None:
    pool = b.pool("gpu", 2, gpu_plan=b.gpu("H100"), fabric_plan=b.fabric("infiniband"))
    plan = b.plan([pool], b.gpu_checks("gpu"))
    tree = b.results_tree(tmp_path, {"gpu-0": "healthy-h100x8", "gpu-1": "faulty-gpu-h100x8"})
    page = render_html(plan, judge(plan, tree), tree)
    assert 'class="heat"' in page and "Worst 25" in page and "judged size 8589934592 B" in page
    worst = page.split('<table class="worst">')[1].split("</table>")[0]
    assert worst.index("gpu-1") < worst.index("gpu-0")  # the faulty node leads
    assert "CPU fallback" not in page


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_1024_node_report_screenshot_shows_heat_map_and_worst_nodes(tmp_path: Path) -> None:
    from PIL import Image

    bench = _bench()
    tree = tmp_path / "results"
    bench.build_tree(tree, 1024)  # type: ignore[attr-defined]
    blueprint = tmp_path / "fleet.yaml"
    blueprint.write_text(bench.blueprint(1024))  # type: ignore[attr-defined]
    from rich.console import Console

    plan = load_plan(blueprint, Console(file=io.StringIO()))
    verdict = judge(plan, tree)
    page = render_html(plan, verdict, tree)
    assert len(page.encode()) < 5 * 1024 * 1024
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    args = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    args += [f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1600"]
    subprocess.run(
        [*args, f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=120, check=False
    )
    dom = subprocess.run(
        [*args, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120, check=False
    ).stdout
    assert shot.is_file(), "chromium wrote no screenshot"
    # the worst nodes are named in the rendered page: faulty GPUs on gpu-0007, gpu-0107 …
    worst = dom.split('class="worst"')[1].split("</table>")[0]
    assert "gpu-0007" in worst and "FAULTY GPU" in worst
    # the heat map is painted: red cells of the failing nodes among the green ones
    image = Image.open(shot).convert("RGB")
    colors = image.getcolors(maxcolors=1 << 24) or []
    reds = sum(n for n, p in colors if all(abs(p[i] - RED[i]) < 8 for i in range(3)))
    greens = sum(n for n, p in colors if p[1] > 90 and p[1] > p[0] + 40 and p[1] > p[2] + 40)
    assert reds > 20 and greens > 5000, (reds, greens)


def test_cpu_fallback_report_says_it_is_no_gpu_acceptance(tmp_path: Path) -> None:
    from aiinfra_iac.validate.runners.formats import BurnWorker, gpu_burn_text

    pool = b.pool("cpu", 1)
    plan = b.plan([pool], [b.check("gpu_burn", "cpu", seconds=10, mode="cpu")], provider="local")
    workers = [BurnWorker(i, "CPU matmul worker", 120, 35.0, 0) for i in range(2)]
    (tmp_path / "cpu-0").mkdir()
    (tmp_path / "cpu-0" / "gpu_burn.log").write_text(gpu_burn_text(workers, 10))
    verdict = judge(plan, tmp_path)
    (burn,) = [c for c in verdict.checks if c.kind == "gpu_burn"]
    assert burn.status == "pass" and burn.detail.startswith("2 CPU workers OK")  # never "2 GPUs OK"
    assert verdict.provenance is not None and verdict.provenance.cpu_fallback
    page = render_html(plan, verdict, tmp_path)
    assert 'class="banner">CPU fallback — not a GPU acceptance<' in page
