"""Node snapshot: what a node looked like when it was validated, and its drift from the plan.

Recorded per node as ``DIR/<node>/snapshot.txt``: sections ``### <name>`` holding the raw output
of read-only commands (:data:`SCRIPT`), parsed here in Python:

- ``gpus``: ``nvidia-smi --query-gpu=name,driver_version --format=csv,noheader``
  (``NVIDIA H100 80GB HBM3, 550.54.15`` per GPU);
- ``smi``: ``nvidia-smi`` banner (``… Driver Version: 550.54.15     CUDA Version: 12.4 …``);
- ``ibstat``: ``ibstat`` (``CA 'mlx5_0'`` blocks, ``Rate: 400``, ``Link layer: InfiniBand``);
- ``links``: ``ip -o link`` (``2: eth0: <BROADCAST,…> mtu 9000 qdisc …``);
- ``cmdline``: ``/proc/cmdline``; ``nccl``: the NCCL version the node's nccl-tests run loaded.

Formats: nvidia-smi(1) ``--query-gpu`` (https://docs.nvidia.com/deploy/nvidia-smi/),
ibstat(8) from infiniband-diags (https://github.com/linux-rdma/rdma-core), ip-link(8) ``-o``.
On the CPU sandbox the runner writes the sections it can read (``links`` from /sys, ``cmdline``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan
from aiinfra_iac.validate.types import CheckResult

FILE = "snapshot.txt"
SCRIPT = (
    'echo "### gpus"; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1; '
    'echo "### smi"; nvidia-smi 2>&1 | head -n 4; '
    'echo "### ibstat"; ibstat 2>&1; '
    'echo "### links"; ip -o link 2>&1; '
    'echo "### cmdline"; cat /proc/cmdline'
)
"""Read-only commands run on each node; a missing command leaves its error text in its section."""
_MAX_BYTES = 1 << 20

_SECTION = re.compile(r"^### (?P<name>[a-z_]+)\s*$", re.MULTILINE)
_SMI_VERSIONS = re.compile(r"Driver Version:\s*(?P<driver>[\d.]+)(?:.*?CUDA Version:\s*(?P<cuda>[\d.]+))?")
_CA = re.compile(r"^CA '(?P<ca>[^']+)'", re.MULTILINE)
_RATE = re.compile(r"^\s*Rate:\s*(?P<rate>\d+)", re.MULTILINE)
_LAYER = re.compile(r"^\s*Link layer:\s*(?P<layer>\S+)", re.MULTILINE)
_STATE = re.compile(r"^\s*State:\s*(?P<state>\S+)", re.MULTILINE)
_LINK = re.compile(r"^\d+:\s+(?P<name>[^:@\s]+)(?:@\S+)?:\s+<(?P<flags>[^>]*)>.*?\bmtu\s+(?P<mtu>\d+)")


@dataclass(frozen=True)
class Hca:
    device: str
    rate_gbps: int | None
    link_layer: str | None
    state: str | None


@dataclass(frozen=True)
class Snapshot:
    gpus: tuple[str, ...] = ()
    """GPU names, one per GPU."""
    driver: str | None = None
    cuda: str | None = None
    hcas: tuple[Hca, ...] = ()
    mtus: dict[str, int] = field(default_factory=dict)
    """Interface → MTU of the interfaces that are up (loopback left out)."""
    cmdline: tuple[str, ...] = ()
    nccl: str | None = None
    sections: tuple[str, ...] = ()

    @property
    def driver_branch(self) -> str | None:
        return self.driver.split(".")[0] if self.driver else None

    def as_json(self) -> dict[str, object]:
        return {
            "gpus": list(self.gpus),
            "driver": self.driver,
            "cuda": self.cuda,
            "hcas": [
                {"device": h.device, "rateGbps": h.rate_gbps, "linkLayer": h.link_layer, "state": h.state}
                for h in self.hcas
            ],
            "mtu": dict(self.mtus),
            "kernelArgs": list(self.cmdline),
            "nccl": self.nccl,
        }


def sections(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    marks = list(_SECTION.finditer(text))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        found[m.group("name")] = text[m.end() : end].strip("\n")
    return found


def parse_gpus(text: str) -> tuple[tuple[str, ...], str | None]:
    """``name, driver_version`` CSV lines → (names, driver); error text (no comma) is ignored."""
    names: list[str] = []
    driver: str | None = None
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 2 and re.fullmatch(r"\d+\.\d+(?:\.\d+)?", parts[1]):
            names.append(parts[0])
            driver = driver or parts[1]
    return tuple(names), driver


def parse_ibstat(text: str) -> tuple[Hca, ...]:
    """One :class:`Hca` per ``CA '…'`` block (its first port)."""
    out: list[Hca] = []
    starts = list(_CA.finditer(text))
    for i, m in enumerate(starts):
        block = text[m.end() : starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        rate, layer, state = _RATE.search(block), _LAYER.search(block), _STATE.search(block)
        out.append(
            Hca(
                device=m.group("ca"),
                rate_gbps=int(rate.group("rate")) if rate else None,
                link_layer=layer.group("layer") if layer else None,
                state=state.group("state") if state else None,
            )
        )
    return tuple(out)


def parse_links(text: str) -> dict[str, int]:
    """``ip -o link`` → MTU of every interface that is UP, loopback excepted."""
    mtus: dict[str, int] = {}
    for line in text.splitlines():
        m = _LINK.match(line.strip())
        if m and "LOOPBACK" not in m.group("flags") and "UP" in m.group("flags").split(","):
            mtus[m.group("name")] = int(m.group("mtu"))
    return mtus


_NOT_RECORDED = re.compile(r"command not found|: not found|No such file or directory", re.IGNORECASE)
"""A section whose command is absent on the node (a CPU node has no nvidia-smi): not recorded."""


def parse_snapshot(text: str) -> Snapshot:
    parts = {name: body for name, body in sections(text).items() if not _NOT_RECORDED.search(body[:300])}
    gpus, driver = parse_gpus(parts.get("gpus", ""))
    smi = _SMI_VERSIONS.search(parts.get("smi", ""))
    nccl = parts.get("nccl", "").strip() or None
    return Snapshot(
        gpus=gpus,
        driver=driver or (smi.group("driver") if smi else None),
        cuda=smi.group("cuda") if smi and smi.group("cuda") else None,
        hcas=parse_ibstat(parts.get("ibstat", "")),
        mtus=parse_links(parts.get("links", "")),
        cmdline=tuple(parts.get("cmdline", "").split()),
        nccl=nccl if nccl and re.fullmatch(r"\d+\.\d+\.\d+\S*", nccl) else None,
        sections=tuple(parts),
    )


def collect_local(results_dir: Path, node: str, timeout: float = 30.0) -> Path:
    """Run :data:`SCRIPT` on this machine (the sandbox's nodes) and record it for ``node``."""
    import subprocess

    try:
        done = subprocess.run(
            ["sh", "-c", SCRIPT], capture_output=True, text=True, timeout=timeout, check=False
        )
        text = done.stdout + done.stderr
    except (OSError, subprocess.TimeoutExpired) as error:
        text = f"### error\n{error}\n"
    path = results_dir / node / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def step_argv() -> tuple[str, ...]:
    """The snapshot as a runner step (``sh -c`` of read-only commands)."""
    return ("sh", "-c", SCRIPT)


def read_snapshot(results_dir: Path, node: str) -> Snapshot | None:
    from aiinfra_iac.validate.safe_read import ResultReadError, read_result_file

    path = results_dir / node / FILE
    if not path.exists():
        return None
    try:
        return parse_snapshot(read_result_file(path, root=results_dir, cap=_MAX_BYTES))
    except ResultReadError:
        return None


def expected_kernel_args(plan: ClusterPlan) -> tuple[str, ...]:
    """Kernel arguments the host_tuning role sets (roles/host_tuning/tasks/kernel_args.yml)."""
    host = plan.tuning.host
    args = ["iommu=pt"] if host.iommu_passthrough else []
    return (*args, f"transparent_hugepage={host.transparent_hugepages}")


def drift(plan: ClusterPlan, pool: PoolPlan, snap: Snapshot) -> list[str]:
    """What differs between the node and the plan, judged only on what the snapshot recorded."""
    found: list[str] = []
    if pool.gpu is not None and "gpus" in snap.sections:
        if len(snap.gpus) != pool.gpu.count:
            found.append(f"{len(snap.gpus)} GPUs seen, the plan has {pool.gpu.count} {pool.gpu.model}")
        from aiinfra_iac.catalog import normalize_gpu_model

        want = normalize_gpu_model(pool.gpu.model)
        wrong = sorted({g for g in snap.gpus if want and normalize_gpu_model(g) not in (want, None)})
        if wrong:
            found.append(f"GPU model {', '.join(wrong)}, the plan has {pool.gpu.model}")
        branch = plan.tuning.driver.branch
        if snap.driver_branch is not None and snap.driver_branch != branch:
            found.append(f"driver {snap.driver} (branch {snap.driver_branch}), the plan pins branch {branch}")
    fabric = pool.fabric
    if fabric is not None and fabric.type in ("infiniband", "roce") and "ibstat" in snap.sections:
        if len(snap.hcas) < len(pool.rails):
            found.append(f"{len(snap.hcas)} HCAs seen, the plan has {len(pool.rails)} rails")
        for rail in pool.rails:
            hca = next((h for h in snap.hcas if h.device == rail.device), None)
            if hca is None:
                found.append(f"HCA {rail.device} missing")
            elif hca.rate_gbps is not None and hca.rate_gbps < rail.link_gbps:
                found.append(f"{rail.device} links at {hca.rate_gbps}G on a {rail.link_gbps}G fabric")
            elif hca.state is not None and hca.state != "Active":
                found.append(f"{rail.device} port is {hca.state}")
    if fabric is not None and fabric.roce is not None and snap.mtus:
        low = sorted(f"{name} {mtu}" for name, mtu in snap.mtus.items() if mtu < fabric.roce.mtu)
        if low:
            found.append(f"MTU {', '.join(low)} below the fabric's {fabric.roce.mtu}")
    want_nccl = plan.tuning.nccl.version
    if want_nccl and snap.nccl and not snap.nccl.startswith(want_nccl):
        found.append(f"NCCL {snap.nccl}, the plan pins {want_nccl}")
    missing = pending_kernel_args(plan, snap)
    if missing and plan.tuning.host.reboot:  # the roles reboot to apply them: they must be live
        found.append(f"kernel arguments missing: {' '.join(missing)}")
    return found


def pending_kernel_args(plan: ClusterPlan, snap: Snapshot) -> list[str]:
    """Kernel arguments the roles set that the running kernel lacks (live only after a reboot)."""
    if not snap.cmdline or plan.provider.type == "local":
        return []
    return [a for a in expected_kernel_args(plan) if a not in snap.cmdline]


def result(plan: ClusterPlan, pool: PoolPlan, node: str, snap: Snapshot) -> CheckResult:
    """``snapshot:<pool>:<node>``: fail with what differs, pass with what was seen."""
    differs = drift(plan, pool, snap)
    seen = describe(snap)
    waiting = pending_kernel_args(plan, snap)
    pending = (
        f"; kernel arguments pending a reboot (tuning.host.reboot is off): {' '.join(waiting)}"
        if waiting
        else ""
    )
    return CheckResult(
        id=f"snapshot:{pool.name}:{node}",
        node=node,
        pool=pool.name,
        kind="snapshot",
        status="fail" if differs else "pass",
        measured=None,
        expected=None,
        unit="",
        detail=("drift from the plan: " + "; ".join(differs))
        if differs
        else f"matches the plan: {seen}{pending}",
    )


def describe(snap: Snapshot) -> str:
    parts: list[str] = []
    if snap.gpus:
        parts.append(f"{len(snap.gpus)}x {snap.gpus[0]}")
    if snap.driver:
        parts.append(f"driver {snap.driver}")
    if snap.cuda:
        parts.append(f"CUDA {snap.cuda}")
    if snap.hcas:
        parts.append(f"{len(snap.hcas)} HCAs")
    if snap.mtus:
        parts.append("MTU " + ", ".join(f"{k} {v}" for k, v in sorted(snap.mtus.items())))
    return ", ".join(parts) or "nothing recorded"
