"""docs/: the generated pages are in step with the code, and every check ID is documented."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from aiinfra_iac.blueprint.checks import RULES
from aiinfra_iac.blueprint.shape_ids import RESOLVE_IDS, SHAPE_IDS

ROOT = Path(__file__).resolve().parents[1]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_pages_are_in_step(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # the same pages from any checkout, working directory and AIINFRA_BASES
    monkeypatch.setenv("AIINFRA_BASES", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for path, text in _generator().pages().items():
        assert path.read_text(encoding="utf-8") == text, f"run: python docs/generate.py ({path.name})"
        assert str(ROOT) not in text


def test_every_check_has_an_example_with_its_message() -> None:
    text = (ROOT / "docs" / "checks.md").read_text()
    documented = re.findall(r"^## (AI\d{3}) ", text, re.M)
    assert documented == [*SHAPE_IDS, *(r.id for r in RULES), *RESOLVE_IDS]
    assert "No fixture yet." not in text


def test_every_id_the_code_raises_is_documented() -> None:
    """IDs written as literals (the loader, the schema errors, resolve) are in shape_ids."""
    used = set()
    for path in (ROOT / "aiinfra_iac").rglob("*.py"):
        used |= set(re.findall(r"\"(AI[01]\d{2})\"", path.read_text(encoding="utf-8")))
    rules = {r.id for r in RULES}
    assert sorted(used - rules - set(SHAPE_IDS) - set(RESOLVE_IDS)) == []
    assert set(SHAPE_IDS) <= used  # nothing documented that the code no longer raises


def test_reference_covers_every_section() -> None:
    text = (ROOT / "docs" / "reference.md").read_text()
    for section in ("NodePool", "Fabric", "RoceSpec", "Suppression", "ValidationRules"):
        assert f"## {section}" in text


def test_guides_exist_and_link_each_other() -> None:
    for name in ("concepts.md", "troubleshooting.md", "gitops.md"):
        text = (ROOT / "docs" / name).read_text()
        assert len(text.splitlines()) > 15
    assert "(checks.md)" in (ROOT / "docs" / "troubleshooting.md").read_text()
