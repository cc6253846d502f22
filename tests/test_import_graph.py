"""The package's layers, read from the source with ``ast`` (every import, lazy ones included):

    cli, commands/             (top)
    lifecycle/                 orders the stages
    provision/ configure/ validate/   siblings: never import one another
    plan/ blueprint/ catalog/ deployment/ errors, units, resources, childproc   (bottom)

A module may import its own layer's package and anything below, never a sibling stage or a
layer above. ``TYPE_CHECKING``-only imports count too: they are dependencies all the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "aiinfra_iac"
RANK = {
    "cli": 4,
    "commands": 4,
    "lifecycle": 3,
    "provision": 2,
    "configure": 2,
    "validate": 2,
}
STAGES = {"provision", "configure", "validate"}
BOTTOM = 1


def layer(module: str) -> str:
    """``aiinfra_iac.provision.aws.nodes`` -> ``provision``; top-level modules -> their name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - (path.name == "__init__.py"))[0]
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return [(line, name) for line, name in found if name.startswith("aiinfra_iac")]


def violations() -> list[str]:
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        mine = layer(module)
        for line, target in imports(path):
            theirs = layer(target)
            if not theirs or theirs == mine:
                continue
            if mine in STAGES and theirs in STAGES:
                bad.append(
                    f"{path.relative_to(ROOT.parent)}:{line}: stage {mine} imports sibling stage {target}"
                )
            elif RANK.get(theirs, BOTTOM) > RANK.get(mine, BOTTOM):
                bad.append(
                    f"{path.relative_to(ROOT.parent)}:{line}: {mine or module} imports upward: {target}"
                )
    return bad


def test_stages_are_siblings_and_nothing_imports_upward() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "provision/x.py",
            "from aiinfra_iac.configure.stage import run_configure\n",
            "imports sibling stage",
        ),
        ("validate/x.py", "def f():\n    import aiinfra_iac.provision.engine\n", "imports sibling stage"),
        ("plan/x.py", "from aiinfra_iac.lifecycle import pipeline\n", "imports upward"),
        ("deployment/x.py", "from aiinfra_iac.provision import sandbox\n", "imports upward"),
        ("lifecycle/x.py", "from aiinfra_iac.commands import up\n", "imports upward"),
    ],
)
def test_the_check_catches_a_planted_violation(
    tmp_path: Path, module: str, source: str, expected: str
) -> None:
    fake = tmp_path / "aiinfra_iac"
    planted = fake / module
    planted.parent.mkdir(parents=True)
    planted.write_text(source)
    globals()["ROOT"], saved = fake, ROOT
    try:
        found = violations()
    finally:
        globals()["ROOT"] = saved
    assert len(found) == 1 and expected in found[0]
