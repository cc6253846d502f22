"""`aiinfra check`: exit codes, the JSON document on stdout, text output, several files."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from aiinfra_iac.commands import check

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = sorted((ROOT / "blueprints").glob("*.yaml"))

app = typer.Typer()
app.command("check")(check.command)
app.command("noop")(lambda: None)  # a second command keeps `check` a subcommand


def invoke(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


GOOD = """apiVersion: aiinfra/v1
kind: Cluster
metadata: {name: ok}
spec:
  provider: {type: local}
  nodePools: [{name: sandbox}]
  scheduler: {type: none}
  tuning: {host: {numaBalancing: true}}
"""

BAD = GOOD.replace("type: none", "type: slurm")


def test_valid_blueprints_exit_zero_with_json_on_stdout_only() -> None:
    code, out, err = invoke("--format", "json", *BLUEPRINTS)
    assert code == 0, out
    assert json.loads(out) == {"schemaVersion": 1, "ok": True, "errors": [], "warnings": []}
    assert err == ""


def test_warnings_do_not_fail(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(GOOD)
    code, out, _ = invoke("--format", "json", path)
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert [(w["id"], w["loc"], w["file"], w["line"]) for w in report["warnings"]] == [
        ("AI172", "spec.tuning.host.numaBalancing", str(path), 8)
    ]
    assert set(report["warnings"][0]) == {"id", "loc", "message", "file", "line"}


def test_several_files_collect_all_problems(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text(BAD)
    code, out, _ = invoke("--format", "json", good, bad)
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert [(e["id"], Path(e["file"]).name) for e in report["errors"]] == [("AI160", "bad.yaml")]
    assert sorted(Path(w["file"]).name for w in report["warnings"]) == ["bad.yaml", "good.yaml"]


def test_unreadable_file_exits_two(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    code, out, _ = invoke("--format", "json", good, tmp_path / "missing.yaml")
    assert code == 2
    report = json.loads(out)
    assert [(e["id"], Path(e["file"]).name) for e in report["errors"]] == [("AI008", "missing.yaml")]


def test_text_output_is_compiler_style(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD.replace("nodePools: [{name: sandbox}]", "nodePools:\n    - name: sandbox  # the pool"))
    code, out, _ = invoke(bad)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{bad}:6: error AI160 spec.nodePools: scheduler slurm needs a pool")
    assert lines[1:4] == ["  |", "6 |   nodePools:", "  |   ^^^^^^^^^^"]
    assert any(line.startswith(f"{bad}:9: warning AI172 spec.tuning.host.numaBalancing:") for line in lines)
    assert lines[-1] == "invalid: 1 file checked, 1 error, 1 warning"


def test_text_output_for_valid_files() -> None:
    code, out, _ = invoke(*BLUEPRINTS)
    assert code == 0
    assert out.strip() == f"ok: {len(BLUEPRINTS)} files checked, 0 warnings"


def test_no_files_is_a_usage_error() -> None:
    code, _, _ = invoke()
    assert code == 2


def test_real_cli_process_keeps_stdout_pure_json(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aiinfra_iac.cli",
            "check",
            "--format",
            "json",
            str(bad),
            str(tmp_path / "gone.yaml"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2, result.stderr
    report = json.loads(result.stdout)
    assert [e["id"] for e in report["errors"]] == ["AI160", "AI008"]


def test_warnings_as_errors_fails_on_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "warn.yaml"
    path.write_text(GOOD)
    assert invoke(path)[0] == 0
    code, out, _ = invoke("--warnings-as-errors", "--format", "json", path)
    report = json.loads(out)
    assert code == 1
    assert report["ok"] is False and [e["id"] for e in report["errors"]] == ["AI172"]
    assert report["warnings"] == [] and report["schemaVersion"] == 1


def test_a_suppressed_warning_neither_prints_nor_fails(tmp_path: Path) -> None:
    path = tmp_path / "accepted.yaml"
    path.write_text(GOOD + "  suppress: [{id: AI172, reason: benchmarking the kernel default}]\n")
    code, out, _ = invoke("--warnings-as-errors", "--format", "json", path)
    assert (code, json.loads(out)["warnings"]) == (0, [])


def test_suppressing_an_error_or_unknown_id_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD + "  suppress: [{id: AI199, reason: no such check}]\n")
    code, out, _ = invoke("--format", "json", path)
    assert code == 1
    [error] = json.loads(out)["errors"]
    assert (error["id"], error["loc"]) == ("AI168", "spec.suppress[0].id")
    assert "AI199" in error["message"]
