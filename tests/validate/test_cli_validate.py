"""``aiinfra validate``: exit codes, JSON on stdout only, report files, missing tools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra_iac.cli import app
from aiinfra_iac.errors import EXIT_USAGE, MissingToolError
from aiinfra_iac.validate.stage import run_validate

from . import builders as b

BLUEPRINT = """\
apiVersion: aiinfra/v1
kind: Cluster
metadata:
  name: ib-test
spec:
  provider: {type: onprem, sshUser: ansible}
  nodePools:
    - {name: head, role: controller, hosts: [head-0]}
    - name: gpu
      gpu: {model: H100-SXM, count: 8}
      hosts: [gpu-0, gpu-1]
      fabric: ib
  fabrics:
    - {name: ib, type: infiniband, nic: connectx-7, linkGbps: 400, railsPerNode: 1, hcas: [mlx5_0]}
  scheduler: {type: slurm}
  validation:
    nccl: {collectives: [all_reduce]}
"""


@pytest.fixture
def blueprint(tmp_path: Path) -> Path:
    path = tmp_path / "ib.yaml"
    path.write_text(BLUEPRINT)
    return path


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["validate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_healthy_results_pass_with_json_only_on_stdout(tmp_path: Path, blueprint: Path) -> None:
    tree = b.results_tree(
        tmp_path / "r", {"gpu-0": "healthy-h100x8", "gpu-1": "healthy-h100x8"}, "healthy-ib-h100x16"
    )
    code, out, _ = _invoke(str(blueprint), "--results", str(tree), "--format", "json")
    doc = json.loads(out)
    assert code == 0, doc
    assert doc["cluster"] == "ib-test" and doc["verdict"] == "pass"
    assert {c["id"] for c in doc["checks"]} >= {"nccl:gpu:all_reduce:pool:_cluster", "rdma:gpu:mlx5_0:gpu-1"}


def test_faulty_results_exit_1_and_write_reports(tmp_path: Path, blueprint: Path) -> None:
    tree = b.results_tree(
        tmp_path / "r", {"gpu-0": "healthy-h100x8", "gpu-1": "faulty-gpu-h100x8"}, "socket-fallback-h100x16"
    )
    # the plan's ib_write_bw sweeps to 8 MiB (-a); that fixture set holds a single-size (-s 64K) run
    rdma = "ib_write_bw_mlx5_0.log"
    (tree / "gpu-1" / rdma).write_text((tree / "gpu-0" / rdma).read_text())
    junit, html = tmp_path / "out" / "junit.xml", tmp_path / "out" / "report.html"
    code, out, _ = _invoke(str(blueprint), "--results", str(tree), "--junit", str(junit), "--html", str(html))
    assert code == 1
    assert "FAULTY" in out and "NET/Socket" in out and "verdict: FAIL" in out
    assert junit.read_text().count("<failure") == 2
    assert "data:image/png;base64," in html.read_text()


def test_missing_results_directory_is_usage_error(tmp_path: Path, blueprint: Path) -> None:
    code, out, err = _invoke(str(blueprint), "--results", str(tmp_path / "nope"))
    assert code == EXIT_USAGE and out == ""
    assert err.strip() == f"--results {tmp_path / 'nope'}: no such directory"


def test_results_file_instead_of_directory_is_usage_error(tmp_path: Path, blueprint: Path) -> None:
    log = tmp_path / "nccl_all_reduce.log"
    log.write_text("# nccl-tests\n")
    code, out, err = _invoke(str(blueprint), "--results", str(log))
    assert code == EXIT_USAGE and out == ""
    assert f"--results {log}: is a file, not a directory" in " ".join(err.split())
    assert "no such directory" not in err


def test_invalid_blueprint_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BLUEPRINT.replace("H100-SXM", "H101"))
    (tmp_path / "r").mkdir()
    code, out, _ = _invoke(str(bad), "--results", str(tmp_path / "r"))
    assert code == 1 and "Traceback" not in out


def test_gpu_pool_without_nccl_tests_is_a_missing_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    pool = b.pool("gpu", 1, gpu_plan=b.gpu(), fabric_plan=None)
    plan = b.plan([pool], [b.check("nccl", "gpu", expected=400.0, unit="GB/s")], provider="local")
    with pytest.raises(MissingToolError) as raised:
        run_validate(plan, tmp_path / "r", collect=True, console=b.quiet_console())
    assert raised.value.exit_code == EXIT_USAGE
    message = str(raised.value)
    assert message.startswith("all_reduce_perf is not installed: build nccl-tests")
    assert "\n" not in message


def test_default_results_dir_is_under_the_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from aiinfra_iac.deployment.paths import new_results_dir
    from aiinfra_iac.plan import plan_from_file

    plan, _ = plan_from_file(Path(__file__).resolve().parents[2] / "blueprints" / "local-sandbox.yaml")
    now = dt.datetime(2026, 11, 25, 19, 30, 5, tzinfo=dt.UTC)
    assert new_results_dir(tmp_path, plan, now) == tmp_path / "local-sandbox" / "results" / "20261125T193005Z"


def test_unreachable_node_is_one_result_and_exit_3(tmp_path: Path, blueprint: Path) -> None:
    from aiinfra_iac.validate import unreachable

    tree = b.results_tree(tmp_path / "r", {"gpu-0": "healthy-h100x8"}, "healthy-ib-h100x16")
    unreachable.mark(tree, "gpu-1", "ssh: connect to host 10.0.0.12 port 22: No route to host")
    code, out, err = _invoke(str(blueprint), "--results", str(tree), "--format", "json")
    assert code == 3
    doc = json.loads(out)
    gpu1 = [c for c in doc["checks"] if c["node"] == "gpu-1"]
    assert len(gpu1) == 1 and gpu1[0]["kind"] == "unreachable"  # not one "missing file" per check
    assert gpu1[0]["detail"] == "unreachable: ssh: connect to host 10.0.0.12 port 22: No route to host"
    assert err.splitlines()[0].startswith("1 node(s) unreachable during validate: ssh: connect")
