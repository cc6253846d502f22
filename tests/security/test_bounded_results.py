"""Hostile results folders: a FIFO, a link to /dev/zero, a 1 GB sparse log and a link out of the
folder are judged unreadable/oversized by name, in seconds and in little memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aiinfra_iac.validate.safe_read import CAPS, ResultReadError, read_result_file

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINT = """\
apiVersion: aiinfra/v1
kind: Cluster
metadata: {name: hostile}
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
# Peak RSS of this process image: /proc/self/status VmHWM belongs to the current address space,
# while getrusage's ru_maxrss keeps the parent's peak across fork + exec (a big pytest worker
# would be counted as the CLI's memory).
MEASURE = """
import runpy, sys
sys.argv = ["aiinfra", *sys.argv[2:]]
try:
    runpy.run_module("aiinfra_iac.cli", run_name="__main__")
except SystemExit as exit:
    code = exit.code
with open({out!r}, "w") as handle:
    hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
    handle.write(hwm.split()[1])
sys.exit(code)
"""


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    results = tmp_path / "results"
    for node in ("gpu-0", "gpu-1"):
        (results / node).mkdir(parents=True)
    os.mkfifo(results / "gpu-0" / "gpu_burn.log")
    (results / "gpu-0" / "dcgm_diag.json").symlink_to("/dev/zero")
    with open(results / "gpu-1" / "nccl_all_reduce.log", "wb") as handle:
        handle.truncate(2**30)  # 1 GiB, sparse
    (tmp_path / "secret.log").write_text("s3cr3t\n")
    (results / "gpu-1" / "gpu_burn.log").symlink_to(tmp_path / "secret.log")
    return results


def test_read_result_file_refuses_each_kind(hostile: Path) -> None:
    cases = {
        "gpu-0/gpu_burn.log": ("unreadable", "a FIFO"),
        "gpu-0/dcgm_diag.json": ("unreadable", "link out of the results folder"),
        "gpu-1/nccl_all_reduce.log": ("oversized", "1,073,741,824 bytes"),
        "gpu-1/gpu_burn.log": ("unreadable", "link out of the results folder"),
        "gpu-1/missing.log": ("missing", "missing result file"),
    }
    for name, (reason, words) in cases.items():
        with pytest.raises(ResultReadError) as caught:
            read_result_file(hostile / name, root=hostile, cap=CAPS["nccl"])
        assert caught.value.reason == reason and words in caught.value.detail, name
        assert name.split("/")[1] in caught.value.detail  # names the file
    with pytest.raises(ResultReadError, match="a device"):  # even where no folder confines it
        read_result_file(hostile / "gpu-0" / "dcgm_diag.json", root=None, cap=CAPS["dcgm"])


def test_a_file_under_the_cap_is_read_and_one_over_it_is_not(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"x" * 100 + b"\xff")
    assert read_result_file(path, root=tmp_path, cap=101) == "x" * 100 + "\ufffd"
    with pytest.raises(ResultReadError, match="oversized"):
        read_result_file(path, root=tmp_path, cap=100)


def test_validate_judges_a_hostile_folder_in_seconds_and_little_memory(hostile: Path, tmp_path: Path) -> None:
    blueprint = tmp_path / "bp.yaml"
    blueprint.write_text(BLUEPRINT)
    rss_file = tmp_path / "rss"
    script = MEASURE.format(out=str(rss_file))
    started = time.monotonic()
    argv = ["validate", str(blueprint), "--results", str(hostile), "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-c", script, "-", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    seconds = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    by_node = {(c["node"], c["kind"]): c for c in checks.values()}
    assert "a FIFO" in by_node[("gpu-0", "gpu_burn")]["detail"]
    assert "link out of the results folder" in by_node[("gpu-0", "dcgm")]["detail"]
    assert "oversized" in by_node[("gpu-1", "nccl")]["detail"]
    assert "link out of the results folder" in by_node[("gpu-1", "gpu_burn")]["detail"]
    assert all(by_node[k]["status"] == "fail" for k in [("gpu-0", "gpu_burn"), ("gpu-1", "nccl")])
    assert "s3cr3t" not in done.stdout + done.stderr
    max_rss_mb = int(rss_file.read_text()) / 1024  # VmHWM in KiB
    assert max_rss_mb < 300, f"{max_rss_mb:.0f} MB"
    assert seconds < 90, f"{seconds:.1f} s"  # ~2 s idle; generous for a loaded CI machine
    print(f"validate on the hostile folder: {seconds:.1f} s, max RSS {max_rss_mb:.0f} MB")
