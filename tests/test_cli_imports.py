"""`aiinfra --help` must stay fast: no pulumi, ansible, matplotlib or numpy at startup."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "pulumi",
    "pulumi_aws",
    "pulumi_kubernetes",
    "ansible",
    "ansible_runner",
    "matplotlib",
    "numpy",
    "torch",
)


def _modules_loaded_by(argv: list[str]) -> set[str]:
    code = (
        "import sys, json\n"
        f"sys.argv = {argv!r}\n"
        "from aiinfra_iac import cli\n"
        "try:\n"
        "    cli.app(standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_help_does_not_import_heavy_sdks() -> None:
    loaded = _modules_loaded_by(["aiinfra", "--help"])
    offenders = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert offenders == [], f"aiinfra --help imported {offenders[:5]}"


def test_every_subcommand_help_is_light() -> None:
    for command in ("check", "schema", "plan", "up", "down", "validate", "diff", "preflight"):
        loaded = _modules_loaded_by(["aiinfra", command, "--help"])
        offenders = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
        assert offenders == [], f"aiinfra {command} --help imported {offenders[:5]}"


def test_help_does_not_import_the_blueprint_models() -> None:
    loaded = _modules_loaded_by(["aiinfra", "--help"])
    heavy_parts = ("aiinfra_iac.blueprint", "aiinfra_iac.plan", "aiinfra_iac.catalog")
    models = sorted(m for m in loaded if m.startswith(heavy_parts))
    assert models == [], f"aiinfra --help imported {models[:5]}"
    assert "yaml" not in loaded and "jsonschema" not in loaded
