"""Progress on stderr while validation runs: phase, done/total, elapsed, the burn countdown."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from aiinfra_iac.validate.judge import judge
from aiinfra_iac.validate.progress import ValidationProgress, countdown

from . import builders as b


def test_countdown_of_a_300_s_burn() -> None:
    assert countdown(300.0, 0.0) == "burn: 5:00 left"
    assert countdown(300.0, 241.5) == "burn: 0:59 left"
    assert countdown(300.0, 300.0) == "burn: finishing"


def test_judge_reports_results_done_of_total(tmp_path: Path) -> None:
    pool = b.pool("gpu", 2, gpu_plan=b.gpu("H100"), fabric_plan=b.fabric("infiniband"))
    plan = b.plan([pool], b.gpu_checks("gpu"))
    tree = b.results_tree(tmp_path, {"gpu-0": "healthy-h100x8", "gpu-1": "healthy-h100x8"})
    seen: list[tuple[int, int]] = []
    judge(plan, tree, workers=1, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (8, 8)  # 4 checks x 2 nodes


def test_progress_draws_phase_and_countdown_on_its_console() -> None:
    console = Console(record=True, width=120, force_terminal=True)
    progress = ValidationProgress(console)
    with progress.phase("running checks on 2 node(s)", 2, burn_seconds=300) as advance:
        advance(1, 2)
        import time

        time.sleep(0.7)
        advance(2, 2)
    text = console.export_text()
    assert "running checks on 2 node(s)" in text and "2/2" in text
    assert progress.lines[0].startswith("running checks on 2 node(s): 2/2 in ")
