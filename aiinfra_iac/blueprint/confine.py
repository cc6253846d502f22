"""Where ``extends:`` may read: inside the blueprint's repository, YAML files only.

Blueprints arrive in pull requests (docs/security.md), and ``check`` runs on them in CI, so an
``extends:`` entry must not be a way to read ``/etc/shadow``, a key in the runner's home or a
file behind a symlink: a base is read only when its real path (every symlink followed) lies in
an allowed root and it is a regular file named ``*.yaml``/``*.yml``. The allowed roots are the
git work tree of the top-level blueprint (the nearest parent holding ``.git``), or the top-level
file's directory where there is none, plus the directories given by ``--bases DIR`` or
``AIINFRA_BASES`` (``os.pathsep``-separated) for shared base libraries.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

BASES_ENV = "AIINFRA_BASES"
YAML_SUFFIXES = (".yaml", ".yml")


def repository_root(blueprint: Path) -> Path:
    """The git work tree holding ``blueprint`` (``.git`` dir or file), else its directory."""
    start = Path(os.path.realpath(Path(os.path.abspath(blueprint)).parent))
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def allowed_roots(top: Path, bases: Iterable[Path] = ()) -> tuple[Path, ...]:
    """Real paths of the roots ``extends:`` of ``top`` may read from."""
    extra = [Path(p) for p in os.environ.get(BASES_ENV, "").split(os.pathsep) if p.strip()]
    roots = [repository_root(top), *(Path(os.path.realpath(p)) for p in (*bases, *extra))]
    return tuple(dict.fromkeys(roots))


def refusal(
    entry: str, base: Path, roots: tuple[Path, ...], what: str = "base blueprint", key: str = "extends"
) -> str | None:
    """Why the base ``entry`` (resolved to ``base``) may not be read, or None when it may.

    ``what``/``key`` name the file and the blueprint key for other files read the same way
    (``spec.catalog``). The message names the entry and the roots, never anything read from the file."""
    real = Path(os.path.realpath(base))
    if not any(real == root or root in real.parents for root in roots):
        via = " (through a symlink)" if real != Path(os.path.abspath(base)) else ""
        shown = ", ".join(str(r) for r in roots)
        return (
            f"{what} '{entry}' is outside the blueprint's repository{via}; {key} may read only "
            f"under {shown}: copy the {what.split()[0]} there or allow its directory with --bases DIR or "
            f"{BASES_ENV}"
        )
    try:
        mode = os.stat(real).st_mode
    except OSError:
        mode = None  # missing: the caller reports AI007 with its hint
    if mode is not None and stat.S_ISDIR(mode):
        return None  # the caller's AI008 names the directory
    if not entry.endswith(YAML_SUFFIXES) or not real.name.endswith(YAML_SUFFIXES):
        return f"{what} '{entry}' is not a .yaml or .yml file; {key} reads only YAML files"
    if mode is not None and not stat.S_ISREG(mode):
        return f"{what} '{entry}' is not a regular file (a FIFO, socket or device)"
    return None


def link_out(top: Path, roots: tuple[Path, ...]) -> str | None:
    """Why the top-level blueprint may not be read: a symlink to a regular file outside the roots
    (a pull request adding ``cluster.yaml -> /etc/shadow``); pipes such as /dev/stdin are fine."""
    real = Path(os.path.realpath(top))
    try:
        regular = stat.S_ISREG(os.stat(real).st_mode)
    except OSError:
        return None  # unreadable: the loader reports it
    if not regular or real == Path(os.path.abspath(top)):
        return None
    if any(real == root or root in real.parents for root in roots):
        return None
    return (
        "the blueprint file is a symlink to a file outside its repository; check the file itself "
        f"or allow its directory with --bases DIR or {BASES_ENV}"
    )


def is_blueprint_source(path: str) -> bool:
    """True when ``path`` may be quoted in an error: a regular ``*.yaml``/``*.yml`` file."""
    real = os.path.realpath(path)
    if not real.endswith(YAML_SUFFIXES):
        return False
    try:
        return stat.S_ISREG(os.stat(real).st_mode)
    except OSError:
        return False
