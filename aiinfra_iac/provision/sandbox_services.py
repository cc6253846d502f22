"""Processes of the sandbox nodes: started inside a node's chroot and namespace, PIDs recorded.

systemd is not PID 1 in a chroot, so the sandbox runs a unit's command itself, in the foreground
form (``slurmd -D``, ``munged -F``), as ``ip netns exec <ns> chroot <root> <command>``: both
``ip netns exec`` and ``chroot`` exec their argument, so the PID of the started process is the
daemon's. Each is its own session (process group); its PID and start time are recorded in
``<sandbox>/.run/pids/<node>/<service>.pid`` so ``down`` stops exactly these processes (a
reused PID with another start time is not touched). Output goes to
``<root>/var/log/aiinfra/<service>.log``. ``/proc`` and ``/sys`` are mounted in the node root
while services run; ``down`` unmounts them before the roots are removed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from aiinfra_iac.errors import AiinfraError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox, sandbox_net

_SET_HOSTNAME = '/bin/hostname "$0" && exec "$@"'
_MOUNTS = (("proc", "proc"), ("sysfs", "sys"))
# The environment a node's processes see: nothing of the caller's (no credentials reach a node).
NODE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


class ServiceError(AiinfraError):
    """A sandbox service did not start or stay up; the message carries the tail of its log."""


@dataclass(frozen=True)
class ServiceState:
    node: str
    service: str
    pid: int
    running: bool
    log: Path


def pid_dir(plan: ClusterPlan, state: Path) -> Path:
    return sandbox_net.run_dir(plan, state) / "pids"


def node_argv(
    net: sandbox_net.SandboxNet, root: Path, node: str, argv: list[str], *, uts_name: str | None = None
) -> list[str]:
    """``argv`` as run inside ``node``'s namespace and chroot.

    With ``uts_name``, in a UTS namespace of its own whose host name the chroot's ``/bin/hostname``
    sets first (slurmd and srun find their node by host name); ``exec`` keeps the PID.
    """
    inner = ["/bin/sh", "-c", _SET_HOSTNAME, uts_name, *argv] if uts_name else argv
    uts = ["unshare", "--uts"] if uts_name else []
    return ["ip", "netns", "exec", net.node(node).netns, *uts, "chroot", str(root), *inner]


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid_file: Path) -> int | None:
    """The recorded PID when that very process (same start time) still runs."""
    try:
        pid_text, started = pid_file.read_text().split()
    except (OSError, ValueError):
        return None
    pid = int(pid_text)
    return pid if _start_time(pid) == started else None


def cgroup_mounts() -> list[tuple[str, str, str]]:
    """(fstype, options, path below the root) that give slurmd the cgroup view its plugin checks.

    slurmd 22.05 initialises its cgroup plugin even with proctrack/linuxproc and task/none, and
    fails without a cgroup file system at /sys/fs/cgroup. On a cgroup v2 host that is the unified
    hierarchy; on a v1/hybrid host a small tmpfs with the named ``systemd`` hierarchy, the one the
    cgroup/v1 plugin stats (src/plugins/cgroup/v1/xcgroup.c).
    """
    if _fs_type("/sys/fs/cgroup") == "cgroup2":
        return [("cgroup2", "rw", "sys/fs/cgroup")]
    return [
        ("tmpfs", "size=1m,mode=755", "sys/fs/cgroup"),
        ("cgroup", "none,name=systemd", "sys/fs/cgroup/systemd"),
    ]


def _fs_type(path: str) -> str:
    """The file system type mounted last at ``path`` ('' when nothing is mounted there)."""
    found = ""
    for line in Path("/proc/self/mounts").read_text().splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[1] == path:
            found = fields[2]
    return found


def mount_node(root: Path) -> None:
    """Mount /proc, /sys and the cgroup view in ``root`` (once; what is mounted already stays)."""
    wanted = [(fstype, "rw", where) for fstype, where in _MOUNTS] + cgroup_mounts()
    for fstype, options, where in wanted:
        target = root / where
        if str(target.resolve()) in set(sandbox.mounts_below(root)):
            continue
        target.mkdir(parents=True, exist_ok=True)
        sandbox.run_tool(
            ["mount", "-t", fstype, "-o", options, f"aiinfra-{fstype}", str(target)],
            what=f"mount {fstype} in {root.name}",
        )


def start(
    plan: ClusterPlan,
    state: Path,
    node: str,
    service: str,
    argv: list[str],
    *,
    settle_s: float = 0.5,
    uts_name: str | None = None,
) -> tuple[int, bool]:
    """Start ``service`` on ``node`` unless it already runs; (PID, started now)."""
    net = sandbox_net.require(plan, state)
    root = sandbox.node_roots(plan, state)[node]
    pid_file = pid_dir(plan, state) / node / f"{service}.pid"
    pid = _alive(pid_file)
    if pid is not None:
        return pid, False
    mount_node(root)
    log = root / "var/log/aiinfra" / f"{service}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            node_argv(net, root, node, argv, uts_name=uts_name),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=NODE_ENV,
        )
    started = None
    for _ in range(50):
        started = _start_time(proc.pid)
        if started is not None:
            break
        time.sleep(0.01)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{proc.pid} {started}\n")
    time.sleep(settle_s)
    if proc.poll() is not None:
        tail = log.read_text(errors="replace")[-1500:]
        raise ServiceError(f"{service} on {node} exited at once (exit {proc.returncode}); {log}:\n{tail}")
    return proc.pid, True


def states(plan: ClusterPlan, state: Path) -> list[ServiceState]:
    roots = sandbox.node_roots(plan, state)
    found: list[ServiceState] = []
    base = pid_dir(plan, state)
    if not base.is_dir():
        return found
    for node_dir in sorted(base.iterdir()):
        for pid_file in sorted(node_dir.glob("*.pid")):
            pid = _alive(pid_file)
            recorded = int(pid_file.read_text().split()[0]) if pid_file.read_text().strip() else 0
            root = roots.get(node_dir.name, node_dir)
            log = root / "var/log/aiinfra" / f"{pid_file.stem}.log"
            found.append(ServiceState(node_dir.name, pid_file.stem, pid or recorded, pid is not None, log))
    return found


def running(plan: ClusterPlan, state: Path) -> list[str]:
    return [f"{s.node}/{s.service} (pid {s.pid})" for s in states(plan, state) if s.running]


def _stop(pid_files: list[Path]) -> list[str]:
    live = {f: pid for f in pid_files if (pid := _alive(f)) is not None}
    for pid in live.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(f) for f in live):
        time.sleep(0.1)
    for f, pid in live.items():
        if _alive(f) is not None:
            os.killpg(pid, signal.SIGKILL)
    for f in pid_files:
        f.unlink(missing_ok=True)
    return [f"process {f.parent.name}/{f.stem} (pid {pid})" for f, pid in live.items()]


def stop_all(plan: ClusterPlan, state: Path) -> list[str]:
    base = pid_dir(plan, state)
    return _stop(sorted(base.glob("*/*.pid"))) if base.is_dir() else []


def forget_node(plan: ClusterPlan, state: Path, node: str) -> None:
    """Stop a removed node's processes (its root is gone already: nothing to unmount)."""
    _stop(sorted((pid_dir(plan, state) / node).glob("*.pid")))


def unmount_all(plan: ClusterPlan, state: Path) -> list[str]:
    """Unmount everything below the sandbox folder, deepest first; the mount points."""
    points = sorted(sandbox.mounts_below(sandbox.sandbox_dir(plan, state)), key=len, reverse=True)
    for point in points:
        sandbox.run_tool(["umount", "-l", point], what=f"unmount {point}")
    return [f"mount {p}" for p in points]
