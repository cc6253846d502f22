"""Wall time of the configure stage on one Debian bookworm chroot node: every role, then the re-run.

The node is a fresh copy of the role tests' cached ``debootstrap`` image (tests/roles/harness.py).
The inventory comes from ``build_inventory`` for an on-prem H100 InfiniBand + BlueField-3 + Slurm
pool with NFS and local-NVMe storage; its ``aiinfra_roles`` is widened to every role in
``ROLE_ORDER`` (a real pool has one fabric, so roce/efa would otherwise never run together with
rdma_infiniband) and the package installs that need NVIDIA's or AWS's repositories are switched off
(``nvidia_driver_install``/``nccl_install: false``; efa and bluefield_dpu install only where their
device exists); every role runs in its sandbox hardware mode (a chroot has none of the devices).
The node has no controller beside it, so it gets a throw-away munge key.
Runs ``roles/site.yml`` through ansible-runner exactly as ``run_configure`` does and prints, per run,
the wall time, the task results and the changed count; the second run must report changed=0.

Needs root, debootstrap and a Debian mirror (the image is built once a day). Usage:
    python benchmarks/bench_configure.py [--keep]
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "roles"))
sys.path.insert(0, str(REPO / "tests" / "configure"))

from configure_plans import H100, cluster, ib_fabric, pool  # noqa: E402
from harness import Chroot, image_tarball, missing_prerequisites  # noqa: E402
from rich.console import Console  # noqa: E402

from aiinfra_iac.blueprint.models import Dpu, Storage  # noqa: E402
from aiinfra_iac.configure.inventory import build_inventory, pool_group_name  # noqa: E402
from aiinfra_iac.configure.progress import RunTracker  # noqa: E402
from aiinfra_iac.configure.roles import ROLE_ORDER  # noqa: E402
from aiinfra_iac.configure.runner import run_playbook, write_inventory  # noqa: E402
from aiinfra_iac.configure.taskcount import expected_tasks  # noqa: E402
from aiinfra_iac.resources import bundled_path  # noqa: E402

# A throw-away munge key for the single benchmark node (the role otherwise fetches the controller's).
BENCH_MUNGE_KEY = base64.b64encode(os.urandom(1024)).decode()


def _inventory(root: Path) -> dict[str, object]:
    home = Storage(name="home", type="nfs", mount_path="/home", server="nfs-01", export="/export/home")
    scratch = Storage.model_validate({"name": "scratch", "type": "local-nvme", "mountPath": "/scratch"})
    node = pool(
        "gpu",
        1,
        gpu=H100,
        fabric=ib_fabric(),
        dpu=Dpu(name="bf3", model="bluefield-3"),
        storage=("home", "scratch"),
    )
    plan = cluster((pool("head", 1, role="controller"), node), storage=(home, scratch), name="bench")
    inventory = build_inventory(plan, {"gpu-0": f"chroot:{root}"})
    children = inventory["all"]["children"]
    del children["pool_head"]["hosts"]["head-0"]  # only the GPU node exists; it names head-0 as controller
    group = children[pool_group_name(plan.pool("gpu"))]
    group["vars"].update(
        {
            "aiinfra_roles": list(ROLE_ORDER),
            "nvidia_driver_install": False,
            "nccl_install": False,
            "slurm_munge_key": BENCH_MUNGE_KEY,
            # A chroot has no GPUs, HCAs, EFA or DPU: the roles' sandbox mode skips the hardware guards
            # (and says so), as the chroot sandbox does; roce needs its ports named (the plan's rails).
            **{f"{role}_hardware_mode": "sandbox" for role in ROLE_ORDER},
            "roce_devices": ["mlx5_0"],
        }
    )
    return inventory


def _run(pdd: Path, root: Path, label: str, console: Console) -> tuple[float, dict[str, int]]:
    roles_dir = bundled_path("roles")
    playbook = roles_dir / "site.yml"
    inventory_path = write_inventory(pdd, _inventory(root))
    tracker = RunTracker(
        {"gpu-0": "gpu"},
        {"gpu": expected_tasks(roles_dir, playbook, list(ROLE_ORDER))},
        console=console,
        title=label,
    )
    started = time.monotonic()
    tracker.start()
    try:
        outcome = run_playbook(
            private_data_dir=pdd,
            playbook=playbook,
            roles_dir=roles_dir,
            inventory_path=inventory_path,
            forks=1,
            check=False,
            event_handler=tracker,
        )
    finally:
        tracker.stop()
    seconds = time.monotonic() - started
    host = tracker.hosts["gpu-0"]
    if outcome.rc != 0 or host.failed or host.unreachable:
        console.print(tracker.summary_table())
        raise SystemExit(f"{label} failed: {host.failures}; log {outcome.artifact_dir / 'stdout'}")
    return seconds, {"ok": host.ok, "changed": host.changed, "skipped": host.skipped}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the chroot and the run artifacts")
    parser.add_argument(
        "--image",
        default="debian-12",
        choices=["ubuntu-24.04", "ubuntu-22.04", "debian-12"],
        help="sandbox image of the node (aiinfra_iac/provision/sandbox_images.py)",
    )
    args = parser.parse_args()
    reason = missing_prerequisites()
    if reason is not None:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    console = Console(stderr=True)
    work = Path(tempfile.mkdtemp(prefix="bench-configure-"))
    started = time.monotonic()
    tarball = image_tarball(args.image)
    box = Chroot.create(work, tarball)
    box.mount_proc()  # a real node has /proc: the slurm role's node line takes its CPU layout from the facts
    prepared = time.monotonic() - started
    try:
        first, first_counts = _run(work / "pdd", box.root, "converge", console)
        second, second_counts = _run(work / "pdd", box.root, "re-run", console)
    finally:
        if not args.keep:
            box.close()
            shutil.rmtree(work, ignore_errors=True)
    print(f"roles: {', '.join(ROLE_ORDER)}")
    print(f"chroot prepared (cached image extract): {prepared:6.1f} s")
    print(f"converge (all roles):                   {first:6.1f} s  {first_counts}")
    print(f"idempotent re-run:                      {second:6.1f} s  {second_counts}")
    if second_counts["changed"] != 0:
        print("NOT IDEMPOTENT: the re-run changed tasks", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
