"""Locate the files shipped with the package: Ansible roles, Pulumi stacks and blueprints.

In a source checkout ``aiinfra_iac/_bundled/<name>`` are symlinks to the repository's
top-level ``roles/``, ``stacks/`` and ``blueprints/``; in a wheel they are real folders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

BundledName = Literal["roles", "stacks", "blueprints"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_path(name: BundledName) -> Path:
    """Absolute path of a shipped folder; raises FileNotFoundError when the install lacks it."""
    path = (_PACKAGE_DIR / "_bundled" / name).resolve()
    if not path.is_dir():
        raise FileNotFoundError(f"aiinfra-iac is installed without its {name}/ folder (looked in {path})")
    return path
