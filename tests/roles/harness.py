"""Converge Ansible roles into throw-away Debian bookworm chroots.

The base image is the chroot sandbox's (:mod:`aiinfra_iac.provision.sandbox`): one
``debootstrap --variant=minbase bookworm`` per day cached as a tarball under
``/tmp/aiinfra-chroot-cache/<YYYY-MM-DD>/bookworm.tar`` (built under a file lock, so parallel test
runs share it). Each test module extracts a fresh copy into a temporary directory and drives
``ansible-playbook`` against it through the ``community.general.chroot`` connection; the run is read
back through the ``ansible.posix.json`` stdout callback, never by scraping text.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiinfra_iac.provision import sandbox, sandbox_images
from aiinfra_iac.provision.sandbox import BASE_PACKAGES, MIRROR, SUITE, image_tag

REPO_ROOT = Path(__file__).resolve().parents[2]
ROLES_PATH = REPO_ROOT / "roles"
CACHE_ROOT = sandbox.CACHE_ROOT
# Ansible's json callback lives in ansible.posix since ansible-core 2.19 dropped the builtin one.
JSON_CALLBACK = "ansible.posix.json"

__all__ = ["BASE_PACKAGES", "MIRROR", "SUITE", "image_tag"]


class HarnessError(RuntimeError):
    """The chroot harness could not do its job (not a role failure)."""


def missing_prerequisites() -> str | None:
    """Why role tests cannot run here, or None when they can."""
    if os.geteuid() != 0:
        return "role tests need root (chroot, debootstrap)"
    for tool in ("debootstrap", "chroot", "tar"):
        if shutil.which(tool) is None:
            return f"{tool} not found (apt-get install debootstrap)"
    if _ansible_playbook() is None:
        return "ansible-playbook not found"
    return None


def _ansible_playbook() -> str | None:
    beside_python = Path(sys.executable).with_name("ansible-playbook")
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("ansible-playbook")


# --------------------------------------------------------------------------- base image


def base_tarball(today: _dt.date | None = None) -> Path:
    """The cached bookworm tarball for today, built once (under a lock) when absent.

    ``<cache>/<YYYY-MM-DD>/bookworm.tar`` is the image; ``bookworm.tag`` beside it names the recipe it
    was built from, and a different recipe rebuilds it.
    """
    try:
        return sandbox.base_tarball(today, cache_root=CACHE_ROOT)
    except sandbox.ImageBuildError as exc:
        raise HarnessError(str(exc)) from exc


def image_tarball(image: str) -> Path:
    """The cached tarball of a sandbox image (``ubuntu-24.04``, ``ubuntu-22.04``, ``debian-12``).

    debian-12 is the bookworm image above (one build shared with every other role test); the Ubuntu
    images come from :mod:`aiinfra_iac.provision.sandbox_images`, each built under its own lock.
    """
    if image == sandbox_images.DEFAULT_IMAGE:
        return base_tarball()
    try:
        return sandbox_images.tarball(image)
    except sandbox_images.ImageError as exc:
        raise HarnessError(str(exc)) from exc


def _run(cmd: list[str], *, what: str, env: Mapping[str, str] | None = None) -> str:
    try:
        return sandbox.run_tool(cmd, what=what, env=env)
    except sandbox.ImageBuildError as exc:
        raise HarnessError(str(exc)) from exc


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class TaskResult:
    """One task's outcome on the chroot host."""

    name: str
    action: str
    changed: bool
    failed: bool
    skipped: bool
    msg: str
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class ConvergeResult:
    """One ``ansible-playbook`` run: recap counters, per-task results and timing."""

    rc: int
    stats: Mapping[str, int]
    tasks: tuple[TaskResult, ...]
    seconds: float
    stderr: str
    check: bool = False
    diffs: tuple[tuple[str, Any], ...] = field(default_factory=tuple)

    @property
    def changed(self) -> int:
        return self.stats.get("changed", 0)

    @property
    def failed(self) -> int:
        return self.stats.get("failures", 0) + self.stats.get("unreachable", 0)

    def task(self, name: str) -> TaskResult:
        """The task whose name is ``name`` (or ends with ``: name``, as role tasks are prefixed)."""
        found = [t for t in self.tasks if t.name == name or t.name.endswith(f" : {name}")]
        if not found:
            names = "\n  ".join(t.name for t in self.tasks)
            raise AssertionError(f"no task named {name!r}; tasks run:\n  {names}")
        return found[-1]

    def changed_tasks(self) -> list[str]:
        return [t.name for t in self.tasks if t.changed]

    def failures(self) -> list[str]:
        return [f"{t.name}: {t.msg}" for t in self.tasks if t.failed]

    def diff_text(self) -> str:
        """All diffs of the run, rendered as text (before/after and prepared diffs)."""
        parts: list[str] = []
        for task_name, diff in self.diffs:
            for item in diff if isinstance(diff, list) else [diff]:
                if not isinstance(item, Mapping):
                    continue
                parts.append(f"### {task_name}")
                for key in ("before_header", "after_header", "prepared", "after"):
                    value = item.get(key)
                    if isinstance(value, str):
                        parts.append(value)
        return "\n".join(parts)


def parse_json_callback(stdout: str, host: str) -> tuple[Mapping[str, int], list[TaskResult], list[Any]]:
    """Stats, task results and diffs for ``host`` out of ``ansible.posix.json`` output."""
    start = stdout.find("{")
    if start < 0:
        raise HarnessError(f"no JSON in ansible-playbook output:\n{stdout[-2000:]}")
    data = json.loads(stdout[start:])
    stats = data.get("stats", {}).get(host)
    if stats is None:
        raise HarnessError(f"host {host} missing from recap; hosts: {sorted(data.get('stats', {}))}")
    tasks: list[TaskResult] = []
    diffs: list[Any] = []
    for play in data.get("plays", []):
        for task in play.get("tasks", []):
            res = task.get("hosts", {}).get(host)
            if res is None:
                continue
            name = task["task"]["name"]
            msg = res.get("msg", "")
            tasks.append(
                TaskResult(
                    name=name,
                    action=res.get("action", ""),
                    changed=bool(res.get("changed", False)),
                    failed=bool(res.get("failed", False)) or bool(res.get("unreachable", False)),
                    skipped=bool(res.get("skipped", False)),
                    msg=msg if isinstance(msg, str) else json.dumps(msg),
                    raw=res,
                )
            )
            if "diff" in res:
                diffs.append((name, res["diff"]))
            for item in res.get("results", []) if isinstance(res.get("results"), list) else []:
                if isinstance(item, Mapping) and "diff" in item:
                    diffs.append((name, item["diff"]))
    return stats, tasks, diffs


# --------------------------------------------------------------------------- the chroot


class Chroot:
    """A fresh bookworm root in a temporary directory, driven by ansible-playbook."""

    def __init__(self, root: Path, workdir: Path) -> None:
        self.root = root
        self.workdir = workdir
        self.timings: list[tuple[str, float]] = []
        self._mounts: list[Path] = []
        self._runs = 0

    @classmethod
    def create(cls, parent: Path, tarball: Path) -> Chroot:
        root = parent / "root"
        root.mkdir()
        _run(["tar", "--numeric-owner", "-C", str(root), "-xf", str(tarball)], what="extract base chroot")
        work = parent / "ansible"
        work.mkdir()
        return cls(root, work)

    # ------------------------------------------------------------------ mounts

    def mount_proc(self) -> None:
        """Bind-mount the host's /proc (only for roles that need it); undone by ``close``."""
        target = self.root / "proc"
        _run(["mount", "--bind", "/proc", str(target)], what="mount /proc")
        self._mounts.append(target)

    def close(self) -> None:
        """Unmount everything mounted into the chroot, then remove it (ansible logs stay in workdir)."""
        for target in reversed(self._mounts):
            subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True)
        self._mounts.clear()
        if not _has_mounts_below(self.root):
            shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------------ ansible

    def converge(
        self,
        role: str | Sequence[str],
        variables: Mapping[str, Any] | None = None,
        *,
        check: bool = False,
        diff: bool = False,
        label: str | None = None,
    ) -> ConvergeResult:
        """Run ``role`` (or several roles, in order, in one play) against the chroot.

        Returns the parsed recap; it does not assert success (``converge_ok`` does).
        """
        roles = [role] if isinstance(role, str) else list(role)
        listed = "".join(f"    - role: {name}\n" for name in roles)
        play = f"- name: Converge {' '.join(roles)}\n  hosts: all\n  gather_facts: true\n  roles:\n{listed}"
        return self.run_playbook(
            play,
            variables,
            check=check,
            diff=diff,
            label=label or " + ".join(roles) + (" --check" if check else ""),
        )

    def run_playbook(
        self,
        playbook: str | Path,
        variables: Mapping[str, Any] | None = None,
        *,
        check: bool = False,
        diff: bool = False,
        label: str = "playbook",
    ) -> ConvergeResult:
        """Run a playbook (YAML text, or a path such as roles/site.yml) against the chroot host."""
        self._runs += 1
        run_dir = self.workdir / f"run{self._runs}"
        run_dir.mkdir()
        host = str(self.root)
        (run_dir / "inventory.ini").write_text(
            "[nodes]\n"
            f"{host} ansible_connection=community.general.chroot "
            "ansible_python_interpreter=/usr/bin/python3\n"
        )
        if isinstance(playbook, Path):
            site = playbook
        else:
            site = run_dir / "site.yml"
            site.write_text(playbook)
        (run_dir / "vars.json").write_text(json.dumps(dict(variables or {})))
        cmd = [
            _ansible_playbook() or "ansible-playbook",
            "-i",
            str(run_dir / "inventory.ini"),
            "-e",
            f"@{run_dir / 'vars.json'}",
            str(site),
        ]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        env = dict(os.environ)
        env.update(
            {
                "ANSIBLE_STDOUT_CALLBACK": JSON_CALLBACK,
                "ANSIBLE_ROLES_PATH": str(ROLES_PATH),
                "ANSIBLE_LIBRARY": str(ROLES_PATH / "library"),
                "ANSIBLE_LOCAL_TEMP": str(run_dir / "tmp"),
                "ANSIBLE_HOST_KEY_CHECKING": "False",
                "ANSIBLE_RETRY_FILES_ENABLED": "False",
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_PIPELINING": "True",
                "ANSIBLE_DEPRECATION_WARNINGS": "False",
                "ANSIBLE_CONFIG": str(run_dir / "none.cfg"),
            }
        )
        started = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=run_dir, check=False)
        seconds = time.monotonic() - started
        (run_dir / "stdout.json").write_text(proc.stdout)
        (run_dir / "stderr.txt").write_text(proc.stderr)
        try:
            stats, tasks, diffs = parse_json_callback(proc.stdout, host)
        except (HarnessError, json.JSONDecodeError) as exc:
            raise HarnessError(f"{exc}\nstderr:\n{proc.stderr[-3000:]}") from exc
        self.timings.append((label, seconds))
        return ConvergeResult(
            rc=proc.returncode,
            stats=stats,
            tasks=tuple(tasks),
            seconds=seconds,
            stderr=proc.stderr,
            check=check,
            diffs=tuple(diffs),
        )

    def converge_ok(
        self,
        role: str | Sequence[str],
        variables: Mapping[str, Any] | None = None,
        *,
        check: bool = False,
        diff: bool = False,
        label: str | None = None,
    ) -> ConvergeResult:
        """``converge`` that fails the test, naming the failed tasks, unless the run succeeded."""
        result = self.converge(role, variables, check=check, diff=diff, label=label)
        if result.failed or result.rc != 0:
            raise AssertionError(
                f"converge of {role!r} failed (rc={result.rc}, recap={dict(result.stats)}):\n  "
                + "\n  ".join(result.failures() or [result.stderr[-3000:]])
            )
        return result

    def assert_idempotent(
        self, role: str | Sequence[str], variables: Mapping[str, Any] | None = None
    ) -> ConvergeResult:
        """Converge again and fail, naming the tasks, unless nothing changed."""
        name = role if isinstance(role, str) else " + ".join(role)
        result = self.converge_ok(role, variables, label=f"{name} (re-run)")
        if result.changed != 0:
            raise AssertionError(
                f"{name} is not idempotent: changed={result.changed} on the second run:\n  "
                + "\n  ".join(result.changed_tasks())
            )
        return result

    # ------------------------------------------------------------------ inspection

    def path(self, inside: str) -> Path:
        """The host path of ``inside`` (an absolute path within the chroot)."""
        return self.root / inside.lstrip("/")

    def exists(self, inside: str) -> bool:
        return self.path(inside).exists()

    def read_file(self, inside: str) -> str:
        target = self.path(inside)
        if not target.is_file():
            raise AssertionError(f"{inside} does not exist in the chroot")
        return target.read_text()

    def chroot_run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``cmd`` inside the chroot."""
        proc = subprocess.run(
            ["chroot", str(self.root), *cmd],
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"},
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed in the chroot ({proc.returncode}): {proc.stderr}")
        return proc

    def installed(self, package: str) -> bool:
        """Whether dpkg has ``package`` installed in the chroot."""
        proc = self.chroot_run("dpkg-query", "-W", "-f=${Status}", package, check=False)
        return proc.returncode == 0 and proc.stdout.strip() == "install ok installed"


def _has_mounts_below(root: Path) -> bool:
    prefix = str(root.resolve())
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1].startswith(prefix) for line in mounts if len(line.split()) > 1)
