"""Distribution images for the chroot sandbox: Ubuntu 24.04, Ubuntu 22.04 and Debian 12.

GPU fleets run Ubuntu (DGX OS is Ubuntu; AWS's Deep Learning AMIs are Ubuntu 22.04/24.04) and
some run Debian, so the sandbox and the role tests converge the same roles into each of them.
Each image is ``debootstrap --variant=minbase <suite>`` from the distribution's own archive, cached
per image and day as ``<cache>/<YYYY-MM-DD>/<image>.tar`` (built under a lock file of its own, so
parallel test workers building different images do not wait on each other, and two workers asking
for the same image build it once).

debootstrap 1.0.128 (Debian bookworm's) has no ``noble`` script; every Ubuntu suite since 7.10 uses
the same ``gutsy`` script (newer debootstrap releases ship ``noble`` as a link to it), so noble is
built with that script path. Ubuntu's archive signing key comes from ``ubuntu-keyring`` on the
host when present; otherwise the Release file is fetched over plain HTTP without a signature
check, which the sandbox (never a production node) accepts and says so on stderr.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiinfra_iac.errors import AiinfraError

CACHE_ROOT = Path(os.environ.get("AIINFRA_CHROOT_CACHE", "/tmp/aiinfra-chroot-cache"))
DEBOOTSTRAP_SCRIPTS = Path("/usr/share/debootstrap/scripts")
# python3 (the Ansible interpreter), python3-apt (the apt module), systemd/procps/kmod as on a node.
BASE_PACKAGES = ("python3-minimal", "python3-apt", "ca-certificates", "gnupg", "systemd", "procps", "kmod")
DEFAULT_IMAGE = "debian-12"

_APT_CONF = """\
// aiinfra-iac sandbox: small, quick installs.
APT::Install-Recommends "0";
APT::Install-Suggests "0";
Acquire::Languages "none";
Acquire::Check-Valid-Until "false";
Dpkg::Use-Pty "0";
"""
_DPKG_NODOC = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
"""
_POLICY_RC_D = "#!/bin/sh\n# aiinfra-iac sandbox: never start services from package scripts.\nexit 101\n"


class ImageError(AiinfraError):
    """Building or extracting a sandbox image failed; the message carries the tool's output."""


@dataclass(frozen=True)
class Image:
    """One distribution image: how debootstrap builds it and which apt sources it keeps."""

    name: str
    distribution: str  # "ubuntu" | "debian": the per-OS role variables key on it
    version: str  # ansible_facts.distribution_version / major version
    suite: str
    mirror: str
    script: str  # debootstrap script name under DEBOOTSTRAP_SCRIPTS
    keyring: str  # host keyring that signs the archive (used when present)
    sources: str  # /etc/apt/sources.list of the image
    components: str = "main"

    def tag(self) -> str:
        """Short hash of the recipe: a change rebuilds the cached tarball."""
        parts = (self.suite, self.mirror, self.script, self.components, *BASE_PACKAGES)
        recipe = "\n".join((*parts, _APT_CONF, _DPKG_NODOC, _POLICY_RC_D, self.sources))
        return hashlib.sha256(recipe.encode()).hexdigest()[:10]


_UBUNTU = os.environ.get("AIINFRA_UBUNTU_MIRROR", "http://archive.ubuntu.com/ubuntu")
_DEBIAN = os.environ.get("AIINFRA_DEBIAN_MIRROR", "http://deb.debian.org/debian")


def _ubuntu_sources(suite: str) -> str:
    # Ubuntu keeps slurm-wlm, opensm, perftest and prometheus-node-exporter in universe.
    comps = "main universe"
    return "".join(f"deb {_UBUNTU} {suite}{pocket} {comps}\n" for pocket in ("", "-updates", "-security"))


IMAGES: dict[str, Image] = {
    "ubuntu-24.04": Image(
        name="ubuntu-24.04",
        distribution="ubuntu",
        version="24.04",
        suite="noble",
        mirror=_UBUNTU,
        script="gutsy",
        keyring="/usr/share/keyrings/ubuntu-archive-keyring.gpg",
        sources=_ubuntu_sources("noble"),
        components="main,universe",
    ),
    "ubuntu-22.04": Image(
        name="ubuntu-22.04",
        distribution="ubuntu",
        version="22.04",
        suite="jammy",
        mirror=_UBUNTU,
        script="gutsy",
        keyring="/usr/share/keyrings/ubuntu-archive-keyring.gpg",
        sources=_ubuntu_sources("jammy"),
        components="main,universe",
    ),
    "debian-12": Image(
        name="debian-12",
        distribution="debian",
        version="12",
        suite="bookworm",
        mirror=_DEBIAN,
        script="bookworm",
        keyring="/usr/share/keyrings/debian-archive-keyring.gpg",
        sources=(
            f"deb {_DEBIAN} bookworm main\n"
            f"deb {_DEBIAN} bookworm-updates main\n"
            "deb http://deb.debian.org/debian-security bookworm-security main\n"
        ),
    ),
}


def image(name: str) -> Image:
    """The image called ``name``; :class:`ImageError` naming the known ones otherwise."""
    try:
        return IMAGES[name]
    except KeyError:
        raise ImageError(f"unknown sandbox image {name!r}; known: {', '.join(IMAGES)}") from None


def tarball(name: str, today: _dt.date | None = None, *, cache_root: Path | None = None) -> Path:
    """The cached tarball of image ``name`` for today, built once (under its own lock) when absent."""
    img = image(name)
    day = (today or _dt.datetime.now(_dt.UTC).date()).isoformat()
    cache_dir = (cache_root or CACHE_ROOT) / day
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"{img.name}.tar"
    tag_file = cache_dir / f"{img.name}.tag"
    with _locked(cache_dir / f".{img.name}.lock"):
        current = tag_file.read_text().strip() if tag_file.exists() else ""
        if not target.exists() or current != img.tag():
            _build(img, target)
            tag_file.write_text(img.tag() + "\n")
    return target


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def debootstrap_command(img: Image, root: Path) -> list[str]:
    """The debootstrap command line that builds ``img`` into ``root``."""
    cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}"]
    if img.components != "main":
        cmd.append(f"--components={img.components}")
    if Path(img.keyring).exists():
        cmd.append(f"--keyring={img.keyring}")
    else:
        print(
            f"aiinfra: {img.keyring} missing on this host; {img.name} is bootstrapped without a "
            "signature check (sandbox only)",
            file=sys.stderr,
        )
        cmd.append("--no-check-gpg")
    cmd += [img.suite, str(root), img.mirror, str(DEBOOTSTRAP_SCRIPTS / img.script)]
    return cmd


def _build(img: Image, target: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"build-{img.name}-", dir=target.parent))
    root = work / "root"
    try:
        _run(debootstrap_command(img, root), what=f"debootstrap {img.name}")
        (root / "etc/apt/apt.conf.d/99aiinfra-sandbox").write_text(_APT_CONF)
        (root / "etc/dpkg/dpkg.cfg.d/01aiinfra-nodoc").write_text(_DPKG_NODOC)
        _strip_docs(root)
        (root / "etc/apt/sources.list").write_text(img.sources)
        policy = root / "usr/sbin/policy-rc.d"
        policy.write_text(_POLICY_RC_D)
        policy.chmod(0o755)
        resolv = root / "etc/resolv.conf"
        if resolv.is_symlink():
            resolv.unlink()
        shutil.copyfile("/etc/resolv.conf", resolv)
        _run(["chroot", str(root), "apt-get", "update", "-q"], what=f"apt-get update in {img.name}")
        _run(["chroot", str(root), "apt-get", "clean"], what="apt-get clean")
        partial = target.with_name(target.name + ".partial")
        _run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."], what="tar")
        partial.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _strip_docs(root: Path) -> None:
    for bulky in ("usr/share/man", "usr/share/info", "usr/share/locale"):
        for child in (root / bulky).glob("*"):
            if child.name != "locale.alias":
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    for doc in (root / "usr/share/doc").glob("*/*"):
        if doc.name != "copyright":
            shutil.rmtree(doc) if doc.is_dir() and not doc.is_symlink() else doc.unlink()


def _run(cmd: list[str], *, what: str) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise ImageError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    return proc.stdout
