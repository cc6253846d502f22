"""How the validate stage reaches a chroot sandbox node: its root and network namespace.

The caller (the ``up`` pipeline, the ``validate`` command) fills these from the sandbox's
deployment record; validate never reads provisioning state itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class NodeAccess:
    """One sandbox node: commands run as ``ip netns exec <netns> chroot <root> ...``."""

    name: str
    root: Path
    netns: str
