"""Every rule is wired into run_checks, IDs are unique and stable, a crashing rule is a result."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

from bp_fakes import AWS, CATALOG, build, loaded

import aiinfra_iac.blueprint.checks as checks
from aiinfra_iac.blueprint.checks import MODULES, RULES, run_checks
from aiinfra_iac.blueprint.checks.base import Context, Finding, Rule, execute, rule, rule_of

BROKEN = Path(__file__).parent / "broken"


def _all_rule_functions() -> list[Rule]:
    found: list[Rule] = []
    for info in pkgutil.iter_modules(checks.__path__):
        module = importlib.import_module(f"{checks.__name__}.{info.name}")
        found.extend(r for value in vars(module).values() if (r := rule_of(value)) is not None)
    return found


def test_every_check_module_is_registered() -> None:
    on_disk = {info.name for info in pkgutil.iter_modules(checks.__path__)} - {"base"}
    assert on_disk == {module.__name__.rsplit(".", 1)[1] for module in MODULES}


def test_every_rule_function_runs() -> None:
    assert {r.id for r in _all_rule_functions()} == {r.id for r in RULES}
    assert len(RULES) >= 35


def test_ids_are_unique_and_well_formed() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"AI1[0-9]{2}", i) for i in ids)
    assert all(r.level in ("error", "warning") for r in RULES)


def test_every_error_rule_has_a_broken_blueprint() -> None:
    expected = set()
    for path in BROKEN.glob("*.yaml"):
        first = path.read_text().splitlines()[0]
        match = re.match(r"# expect: (AI\d{3})", first)
        if match:
            expected.add(match.group(1))
    missing = sorted(r.id for r in RULES if r.level == "error" and r.id not in expected)
    assert missing == []


def test_a_crashing_rule_becomes_an_error_result() -> None:
    @rule("AI199", "warning", "test rule that crashes")
    def crashes(ctx: Context) -> Iterator[Finding]:
        yield Finding(("spec",), "before")
        raise KeyError("boom")

    found = rule_of(crashes)
    assert found is not None
    blueprint = loaded(AWS)
    results = execute(found, Context(blueprint.blueprint, CATALOG), blueprint.locate)
    assert [(r.level, f.message) for r, f, _, _ in results] == [
        ("error", "internal error in check AI199 (test rule that crashes): KeyError('boom')")
    ]


def test_run_checks_puts_errors_before_warnings() -> None:
    data = build(
        AWS, ("spec.tuning.host.numaBalancing", True), ("spec.nodePools.0.instanceType", "p5.48xlarg")
    )
    problems = run_checks(loaded(data), CATALOG)
    assert [(p.id, p.level) for p in problems] == [("AI101", "error"), ("AI172", "warning")]
