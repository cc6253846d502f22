"""The chroot sandbox of ``provider: local`` (``sandbox: chroot``) and its cached base image.

One ``debootstrap --variant=minbase bookworm`` per day is cached as a tarball under
``/tmp/aiinfra-chroot-cache/<YYYY-MM-DD>/bookworm.tar`` (``$AIINFRA_CHROOT_CACHE`` overrides the
folder), built under a file lock so parallel runs share it. Each sandbox node is that tarball
extracted to ``<state>/<cluster>/sandbox/<node>``; the configure stage reaches it as
``chroot:<root>`` through Ansible's ``community.general.chroot`` connection. The role tests'
harness (``tests/roles/harness.py``) builds its chroots from the same image.

The image carries python3 (the Ansible interpreter), python3-apt (the apt module), an apt
configuration without recommends/suggests, an ``apt-get update`` done once at build time (so roles
with ``cache_valid_time`` do not update again) and a ``policy-rc.d`` that stops package scripts from
starting services inside the chroot.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiinfra_iac.errors import AiinfraError, MissingToolError, UsageError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox_images

CACHE_ROOT = Path(os.environ.get("AIINFRA_CHROOT_CACHE", "/tmp/aiinfra-chroot-cache"))
SUITE = "bookworm"
MIRROR = os.environ.get("AIINFRA_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# systemd, procps and kmod as on a real node: roles enable units offline, ship sysctl.d and modules-load.d.
BASE_PACKAGES = ("python3-minimal", "python3-apt", "ca-certificates", "gnupg", "systemd", "procps", "kmod")
CHROOT_PREFIX = "chroot:"  # the configure inventory's chroot address form
SANDBOX_DIR = "sandbox"
NODE_MARKER = "etc/aiinfra-sandbox-node"
"""Written last into a node root before it is renamed into place: its presence means complete."""
PARTIAL_INFIX = ".partial-"
TRASH_PREFIX = ".trash-"
INSTALL_HINT = "apt-get install debootstrap and run as root"

# The texts below are hashed into the image tag: changing one rebuilds the cached image.
_APT_CONF = """\
// aiinfra-iac role tests: small, quick installs.
APT::Install-Recommends "0";
APT::Install-Suggests "0";
Acquire::Languages "none";
Acquire::Check-Valid-Until "false";
Dpkg::Use-Pty "0";
"""
# Documentation, manual pages and translations are not needed on a sandbox node.
_DPKG_NODOC = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
"""
_POLICY_RC_D = "#!/bin/sh\n# aiinfra-iac role tests: never start services inside the chroot.\nexit 101\n"
_SOURCES = (
    f"deb {MIRROR} {SUITE} main\n"
    f"deb {MIRROR} {SUITE}-updates main\n"
    f"deb http://deb.debian.org/debian-security {SUITE}-security main\n"
)


class ImageBuildError(AiinfraError):
    """A step of building or extracting the sandbox image failed; the message carries its output."""


# --------------------------------------------------------------------------- base image


def image_tag() -> str:
    """Short hash of everything that goes into the base image, so a change rebuilds it."""
    recipe = "\n".join([SUITE, MIRROR, *BASE_PACKAGES, _APT_CONF, _DPKG_NODOC, _POLICY_RC_D, _SOURCES])
    return hashlib.sha256(recipe.encode()).hexdigest()[:10]


def base_tarball(today: _dt.date | None = None, *, cache_root: Path | None = None) -> Path:
    """The cached bookworm tarball for today, built once (under a lock) when absent.

    ``<cache>/<YYYY-MM-DD>/bookworm.tar`` is the image; ``bookworm.tag`` beside it names the recipe it
    was built from, and a different recipe rebuilds it. Raises :class:`ImageBuildError`.
    """
    day = (today or _dt.datetime.now(_dt.UTC).date()).isoformat()
    cache_dir = (cache_root or CACHE_ROOT) / day
    tarball = cache_dir / f"{SUITE}.tar"
    tag_file = cache_dir / f"{SUITE}.tag"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir / ".lock"):
        current = tag_file.read_text().strip() if tag_file.exists() else ""
        if not tarball.exists() or current != image_tag():
            _build_tarball(tarball)
            tag_file.write_text(image_tag() + "\n")
    return tarball


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_tarball(tarball: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="build-", dir=tarball.parent))
    root = work / "root"
    try:
        run_tool(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                SUITE,
                str(root),
                MIRROR,
            ],
            what="debootstrap",
        )
        (root / "etc/apt/apt.conf.d/99aiinfra-tests").write_text(_APT_CONF)
        (root / "etc/dpkg/dpkg.cfg.d/01aiinfra-nodoc").write_text(_DPKG_NODOC)
        _strip_docs(root)
        (root / "etc/apt/sources.list").write_text(_SOURCES)
        policy = root / "usr/sbin/policy-rc.d"
        policy.write_text(_POLICY_RC_D)
        policy.chmod(0o755)
        shutil.copyfile("/etc/resolv.conf", root / "etc/resolv.conf")
        run_tool(["chroot", str(root), "apt-get", "update", "-q"], what="apt-get update in the base chroot")
        run_tool(["chroot", str(root), "apt-get", "clean"], what="apt-get clean")
        partial = tarball.with_name(tarball.name + ".partial")
        run_tool(["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."], what="tar")
        partial.rename(tarball)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _strip_docs(root: Path) -> None:
    for bulky in ("usr/share/man", "usr/share/info", "usr/share/locale"):
        for child in (root / bulky).glob("*"):
            if child.name != "locale.alias":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    for doc in (root / "usr/share/doc").glob("*/*"):
        if doc.name != "copyright":
            shutil.rmtree(doc) if doc.is_dir() and not doc.is_symlink() else doc.unlink()


def run_tool(cmd: list[str], *, what: str, env: Mapping[str, str] | None = None) -> str:
    """Run ``cmd``; its stdout, or :class:`ImageBuildError` with the output's tail when it fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(env) if env else None, check=False)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise ImageBuildError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    return proc.stdout


def extract(tarball: Path, root: Path) -> None:
    """Extract the image so that ``root`` appears complete or not at all.

    The tarball goes into a hidden temporary folder beside ``root`` (``.<node>.partial-*``), the node
    marker is written last and the folder is renamed to ``root`` in one step: a run killed midway
    leaves only the temporary folder, which :func:`create_nodes` removes on its next call.
    """
    root.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{root.name}{PARTIAL_INFIX}", dir=root.parent))
    try:
        run_tool(["tar", "--numeric-owner", "-C", str(work), "-xf", str(tarball)], what=f"extract {root}")
        marker = work / NODE_MARKER
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{tarball.name}\n")
        os.rename(work, root)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


# --------------------------------------------------------------------------- sandbox nodes


def uses_chroot_sandbox(plan: ClusterPlan) -> bool:
    """True for ``provider: {type: local, sandbox: chroot}``."""
    return plan.provider.type == "local" and plan.provider.sandbox == "chroot"


def require_tools() -> None:
    """:class:`MissingToolError` (exit 2) unless this process is root and debootstrap, chroot, tar exist."""
    if os.geteuid() != 0:
        raise MissingToolError("root", f"the chroot sandbox needs root: {INSTALL_HINT}")
    for tool in ("debootstrap", "chroot", "tar"):
        if shutil.which(tool) is None:
            raise MissingToolError(tool, INSTALL_HINT)


def sandbox_dir(plan: ClusterPlan, state: Path) -> Path:
    """``<state>/<cluster>/sandbox``: the folder holding one root per node."""
    return state / plan.name / SANDBOX_DIR


def node_roots(plan: ClusterPlan, state: Path) -> dict[str, Path]:
    """Node name -> its chroot root, every node of every pool, in plan order."""
    base = sandbox_dir(plan, state)
    return {host: base / host for pool in plan.pools for host in pool.hosts}


def chroot_addresses(plan: ClusterPlan, state: Path) -> dict[str, str]:
    """Node name -> ``chroot:<root>``, the address the configure inventory understands."""
    return {host: f"{CHROOT_PREFIX}{root}" for host, root in node_roots(plan, state).items()}


def is_node_root(root: Path) -> bool:
    """Whether ``root`` holds a completely extracted image: the marker :func:`extract` writes last."""
    return (root / NODE_MARKER).is_file() and (root / "usr/bin/python3").exists()


@dataclass(frozen=True)
class NodeChanges:
    """What :func:`create_nodes` did, node names in plan order (removed: sorted)."""

    created: list[str]
    present: list[str]
    removed: list[str]


def create_nodes(plan: ClusterPlan, state: Path) -> NodeChanges:
    """Bring the node roots in line with the plan: extract the missing ones, remove the extra ones.

    Runs under the sandbox lock (two ``up`` of one stack wait for each other instead of racing), and
    first clears what a killed run left behind (``.partial-*`` folders, roots without the marker).
    A node no pool has any more (a pool shrunk from 2 to 1) is removed, unless something is mounted
    below it.
    """
    require_tools()
    roots = node_roots(plan, state)
    base = sandbox_dir(plan, state)
    try:
        with sandbox_lock(plan, state):
            _clear_leftovers(base)
            removed = _remove_extra_nodes(base, set(roots))
            missing = {host: root for host, root in roots.items() if not is_node_root(root)}
            if missing:
                image = plan.provider.image or sandbox_images.DEFAULT_IMAGE
                default = image == sandbox_images.DEFAULT_IMAGE
                tarball = base_tarball() if default else sandbox_images.tarball(image)
                for root in missing.values():
                    if root.exists():  # written by a version without the marker, or damaged
                        _discard(root)
                    extract(tarball, root)
    except OSError as error:
        what = f"{error.strerror or error} ({error.filename})"
        raise AiinfraError(f"sandbox nodes under {base}: {what}") from error
    return NodeChanges(list(missing), [h for h in roots if h not in missing], removed)


@contextmanager
def sandbox_lock(plan: ClusterPlan, state: Path) -> Iterator[None]:
    """Exclusive lock of one sandbox (``<state>/<cluster>/.sandbox.lock``), held across changes to it."""
    lock = state / plan.name / ".sandbox.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with _locked(lock):
        yield


def _clear_leftovers(base: Path) -> None:
    if not base.is_dir():
        return
    for child in base.iterdir():
        leftover = PARTIAL_INFIX in child.name or child.name.startswith(TRASH_PREFIX)
        if child.name.startswith(".") and leftover:
            shutil.rmtree(child, ignore_errors=True)


def _remove_extra_nodes(base: Path, wanted: set[str]) -> list[str]:
    if not base.is_dir():
        return []
    extra = sorted(c for c in node_folders(base) if c.name not in wanted)
    for root in extra:
        mounted = mounts_below(root)
        if mounted:
            raise AiinfraError(
                f"cannot remove sandbox node {root.name}: {mounted[0]} is mounted; unmount it first"
            )
        _discard(root)
    return [root.name for root in extra]


def node_folders(base: Path) -> list[Path]:
    """The node folders below the sandbox folder (hidden ones are partial extractions or run state)."""
    if not base.is_dir():
        return []
    return [c for c in base.iterdir() if c.is_dir() and not c.name.startswith(".")]


def _discard(root: Path) -> None:
    """Rename ``root`` out of the way at once, then delete it (a kill midway leaves only trash)."""
    trash = root.with_name(f"{TRASH_PREFIX}{root.name}-{os.getpid()}")
    os.rename(root, trash)
    shutil.rmtree(trash)


def require_nodes(plan: ClusterPlan, state: Path) -> None:
    """:class:`UsageError` naming the nodes whose roots are missing (provision has not run)."""
    missing = [host for host, root in node_roots(plan, state).items() if not is_node_root(root)]
    if missing:
        raise UsageError(
            f"sandbox node(s) {', '.join(missing)} have no root under {sandbox_dir(plan, state)}: "
            "run `aiinfra up FILE --only provision` first"
        )


def configure_addresses(plan: ClusterPlan, state: Path) -> dict[str, str]:
    """The configure stage's addresses (``chroot:<root>``), once every node root exists."""
    require_nodes(plan, state)
    return chroot_addresses(plan, state)


def remove_nodes(plan: ClusterPlan, state: Path) -> list[str]:
    """Remove every node root and the sandbox folder; the names of the node roots that were there.

    Every complete or partial node folder below the sandbox folder counts, also nodes the plan no
    longer has. Refuses (:class:`AiinfraError`) when something is still mounted below the sandbox
    folder, so a bind-mounted host path is never deleted through it.
    """
    base = sandbox_dir(plan, state)
    if not base.exists():
        return []
    mounted = mounts_below(base)
    if mounted:
        raise AiinfraError(
            f"cannot remove the sandbox: {len(mounted)} mount(s) below {base} ({mounted[0]}); "
            "unmount them first"
        )
    removed = sorted(c.name for c in node_folders(base))
    shutil.rmtree(base)
    return removed


def mounts_below(base: Path) -> list[str]:
    """Mount points at or below ``base`` (from /proc/self/mounts)."""
    prefix = str(base.resolve())
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    points = [line.split()[1] for line in lines if len(line.split()) > 1]
    return [p for p in points if p == prefix or p.startswith(prefix + "/")]
