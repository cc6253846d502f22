"""Run one table row: a blueprint, the rule under test, and the locs it must (or must not) flag."""

from __future__ import annotations

from typing import Any

from bp_fakes import problems


def assert_case(data: dict[str, Any], rule_id: str, expected_locs: list[str]) -> None:
    found = problems(data, rule_id)
    assert sorted(p.loc for p in found) == sorted(expected_locs), [(p.loc, p.message) for p in found]
    for problem in found:
        assert problem.message, "every problem says what to do"
