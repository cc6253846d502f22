"""Property tests over mutated blueprints and tool outputs (hypothesis).

* ``check`` never raises (every outcome is a list of problems and exit 0, 1 or 2), and whenever
  it accepts a blueprint, ``plan`` builds its document, configuration and inventory without error.
* The parsers never raise on mutated real outputs.

The default suite runs a few deterministic examples. ``AIINFRA_FUZZ_MINUTES=10 pytest -m slow
tests/security/test_fuzz_blueprints.py`` fuzzes for that long (random seeds, thousands of cases).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiinfra_iac.commands.check import check_files
from aiinfra_iac.configure.inventory import build_inventory, configuration_entries, inventory_json
from aiinfra_iac.lifecycle.document import plan_document
from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.validate.parsers import parse_dcgm_diag, parse_gpu_burn, parse_nccl_tests, parse_perftest

ROOT = Path(__file__).resolve().parents[2]
# read once: a strategy that reads files would change under a long fuzz run when the tree changes
SEEDS = [p.read_text() for p in sorted((ROOT / "blueprints").glob("*.yaml"))]
FIXTURES = [
    p.read_text(errors="replace") for p in sorted((ROOT / "tests" / "fixtures" / "validate").rglob("*.*"))
]
NASTY = [
    "!foo [x]",
    "!!str",
    "!!binary ZGVtbw==",
    "&a [*a]",
    "*undefined",
    "{{ lookup('pipe', 'id') }}",
    '"Bad^Name[/]"',
    '"\\e[2J"',
    "-1",
    "1e999",
    ".nan",
    "[]",
    "{}",
    "~",
    "'",
    "[",
    "yes",
    "0x1F",
    "99999999999999999999",
    "- x",
    "true",
    "/etc/shadow",
    "../../../x.yaml",
    '"a\\nb"',
    "{a: 1, a: 2}",
    "? [a]\n: b",
    "<<: {x: 1}",
    '"\\u202e"',
    "0",
    "",
]
FUZZ_MINUTES = float(os.environ.get("AIINFRA_FUZZ_MINUTES", "0") or 0)


@st.composite
def mutated_blueprint(draw: Any) -> str:
    lines = draw(st.sampled_from(SEEDS)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, max(0, len(lines) - 1)))
        nasty = draw(st.one_of(st.sampled_from(NASTY), st.text(max_size=12)))
        action = draw(st.sampled_from(["value", "insert", "delete", "key"]))
        line = lines[index] if lines else ""
        if action == "value" and ":" in line:
            lines[index] = line.split(":", 1)[0] + ": " + nasty
        elif action == "key" and ":" in line:
            indent = line[: len(line) - len(line.lstrip(" -"))]
            lines[index] = indent + nasty.replace(":", "") + ":" + line.split(":", 1)[1]
        elif action == "delete" and lines:
            del lines[index]
        else:
            lines.insert(index, line[: len(line) - len(line.lstrip())] + nasty)
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the library (bases included) so mutated files resolve their ``extends:``."""
    work = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(ROOT / "blueprints", work / "blueprints")
    return work / "blueprints"


def check_then_plan(workdir: Path, text: str) -> None:
    path = workdir / "mutated.yaml"
    path.write_text(text)
    problems, code = check_files([path])
    assert code in (0, 1, 2)
    assert all(p.id.startswith("AI") for p in problems)
    if code == 0:
        plan, _ = plan_from_file(path)
        plan_document(plan)
        configuration_entries(plan)
        inventory_json(build_inventory(plan))


def parse_all(text: str) -> None:
    parse_gpu_burn(text)
    parse_dcgm_diag(text)
    parse_nccl_tests(text)
    parse_nccl_tests(text, collective="all_reduce")
    parse_perftest(text)


@st.composite
def mutated_output(draw: Any) -> str:
    text = draw(st.sampled_from(FIXTURES))
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 200))
        text = text[:at] + draw(st.text(max_size=40)) + text[at + cut :]
    return text


QUICK = settings(
    max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
)


def test_check_never_raises_and_plan_follows_check(workdir: Path) -> None:
    @QUICK
    @given(mutated_blueprint())
    def run(text: str) -> None:
        check_then_plan(workdir, text)

    run()


def test_parsers_never_raise() -> None:
    @QUICK
    @given(mutated_output())
    def run(text: str) -> None:
        parse_all(text)

    run()


def _fuzz_for(minutes: float, strategy: Any, body: Callable[[Any], None]) -> int:
    deadline = time.monotonic() + minutes * 60
    rounds = 0
    while time.monotonic() < deadline:

        @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(strategy)
        def run(value: Any) -> None:
            body(value)

        run()
        rounds += 200
    return rounds


@pytest.mark.slow
@pytest.mark.skipif(FUZZ_MINUTES <= 0, reason="set AIINFRA_FUZZ_MINUTES to fuzz check and the parsers")
def test_fuzz_for_minutes(workdir: Path) -> None:
    half = FUZZ_MINUTES / 2
    cases = _fuzz_for(half, mutated_blueprint(), lambda text: check_then_plan(workdir, text))
    cases += _fuzz_for(half, mutated_output(), parse_all)
    print(f"fuzzed {cases} cases in {FUZZ_MINUTES:g} minutes without an exception")
