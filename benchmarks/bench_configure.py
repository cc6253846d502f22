"""Wall time of the configure stage on one chroot node: every role, cold and warm, the re-run, check mode.

The node is a fresh copy of a cached sandbox image (``--image``: debian-12, ubuntu-22.04, ubuntu-24.04;
tests/roles/harness.py). The inventory comes from ``build_inventory`` for an on-prem H100 InfiniBand +
BlueField-3 + Slurm pool with NFS and local-NVMe storage; its ``aiinfra_roles`` is widened to every role
in ``ROLE_ORDER`` (a real pool has one fabric, so roce/efa would otherwise never run together with
rdma_infiniband) and the package installs that need NVIDIA's or AWS's repositories are switched off
(``nvidia_driver_install``/``nccl_install: false``; efa and bluefield_dpu install only where their
device exists); every role runs in its sandbox hardware mode (a chroot has none of the devices).
The node has no controller beside it, so it gets a throw-away munge key.

Runs ``roles/site.yml`` through ansible-runner exactly as ``run_configure`` does. Phases:
  1. converge with a cold apt cache (every package downloaded from the distribution's archive);
  2. the idempotent re-run (must report changed=0);
  3. the same run in check mode (``aiinfra diff``; must report changed=0);
  4. converge of a second fresh node whose apt cache holds the first node's downloads and lists (a
     fleet's apt cache or mirror: the packages are not fetched again, still unpacked and configured);
  5. converge of a third fresh node into which the packages the first converge installed were put
     beforehand (a golden image or a Deep Learning AMI: packages baked in, nothing configured).
Prints seconds, ok/changed/skipped per phase and today's figures from issue 11 beside them.

Needs root, debootstrap and the distribution's archive (images are built once a day). Usage:
    python benchmarks/bench_configure.py [--image ubuntu-24.04] [--keep]
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
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


# Today's figures from the issue that set the goal (issue 11, "Configure at fleet speed"): fewer roles
# then; the goal is converge <= 45 s warm and re-run <= 15 s per node.
BEFORE = {"converge": 74.0, "re-run": 50.0}
GOAL = {"converge": 45.0, "re-run": 15.0}


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float
    counts: dict[str, int]


def _run(pdd: Path, root: Path, label: str, console: Console, *, check: bool = False) -> Phase:
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
            check=check,
            event_handler=tracker,
        )
    finally:
        tracker.stop()
    seconds = time.monotonic() - started
    host = tracker.hosts["gpu-0"]
    if outcome.rc != 0 or host.failed or host.unreachable:
        console.print(tracker.summary_table())
        raise SystemExit(f"{label} failed: {host.failures}; log {outcome.artifact_dir / 'stdout'}")
    return Phase(label, seconds, {"ok": host.ok, "changed": host.changed, "skipped": host.skipped})


def _seed_apt_cache(source: Path, target: Path) -> int:
    """Copy the downloaded packages and the apt lists of one node into another: a warm apt cache."""
    copied = 0
    for folder in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for item in (source / folder).iterdir():
            if item.is_file():
                shutil.copy2(item, target / folder / item.name)
                copied += 1
    return copied


def _installed(node: Chroot) -> set[str]:
    shown = node.chroot_run("dpkg-query", "--show", "--showformat=${Package} ${db:Status-Status}\\n").stdout
    return {line.split()[0] for line in shown.splitlines() if line.endswith(" installed")}


def _bake_packages(converged: Chroot, node: Chroot) -> tuple[list[str], float]:
    """Install into ``node`` the packages the converge installed on ``converged``, configuring nothing:
    a golden image (or a Deep Learning AMI) carries the packages, the converge writes the settings."""
    wanted = sorted(_installed(converged) - _installed(node))
    started = time.monotonic()
    install = (
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
    )
    node.chroot_run(*install, *wanted)
    return wanted, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the chroots and the run artifacts")
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
    nodes: list[Chroot] = []

    def fresh_node(name: str) -> Chroot:
        (work / name).mkdir()
        node = Chroot.create(work / name, tarball)
        nodes.append(node)
        # A real node has /proc: the slurm role's node line takes its CPU layout from the facts.
        node.mount_proc()
        return node

    cold_node = fresh_node("cold")
    prepared = time.monotonic() - started
    phases: list[Phase] = []
    try:
        phases.append(_run(work / "pdd-cold", cold_node.root, "converge, cold apt cache", console))
        phases.append(_run(work / "pdd-cold", cold_node.root, "re-run", console))
        phases.append(_run(work / "pdd-cold", cold_node.root, "check mode", console, check=True))
        warm_node = fresh_node("warm")
        seeded = _seed_apt_cache(cold_node.root, warm_node.root)
        phases.append(_run(work / "pdd-warm", warm_node.root, "converge, warm apt cache", console))
        baked_node = fresh_node("baked")
        _seed_apt_cache(cold_node.root, baked_node.root)
        baked, bake_seconds = _bake_packages(cold_node, baked_node)
        phases.append(_run(work / "pdd-baked", baked_node.root, "converge, packages in image", console))
    finally:
        if not args.keep:
            for node in nodes:
                node.close()
            shutil.rmtree(work, ignore_errors=True)
    print(f"image: {args.image}; roles: {', '.join(ROLE_ORDER)}")
    print(f"node prepared (cached image extract): {prepared:.1f} s; warm node seeded with {seeded} apt files")
    print(f"packages in image: the {len(baked)} the converge installed, {bake_seconds:.1f} s (untimed)")
    print(f"{'phase':28s} {'seconds':>8s}  {'ok':>4s} {'changed':>7s} {'skipped':>7s}   before / goal")
    for phase in phases:
        kind = "converge" if phase.name.startswith("converge") else "re-run" if "re-run" in phase.name else ""
        versus = f"{BEFORE[kind]:.0f} s / {GOAL[kind]:.0f} s" if kind else ""
        counts = phase.counts
        print(
            f"{phase.name:28s} {phase.seconds:8.1f}  {counts['ok']:4d} {counts['changed']:7d}"
            f" {counts['skipped']:7d}   {versus}"
        )
    not_idempotent = [p.name for p in phases if not p.name.startswith("converge") and p.counts["changed"]]
    if not_idempotent:
        print(f"NOT IDEMPOTENT: {', '.join(not_idempotent)} changed tasks", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
