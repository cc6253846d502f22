"""The toolkit's exception types and the exit code each one maps to.

Every error a user can cause derives from :class:`AiinfraError`; the CLI catches the root
type, prints ``str(error)`` (one or more lines, never a traceback) and exits with
``error.exit_code``. Exit codes follow the CLI contract in DESIGN.md:

* 1 — the input is invalid or the operation failed (invalid blueprint, failed validation,
  a failed Pulumi update or Ansible run).
* 2 — usage error, unreadable file, or a tool that is missing on this machine.
* 3 — nodes could not be reached (the cause first, one line per node).
* 130 — interrupted (SIGINT/SIGTERM): the stage that was running stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CHANGES_PRESENT = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Problem:
    """One problem found in a blueprint, with where it is and how to fix it."""

    id: str
    """Stable check ID such as ``AI101``; users suppress and grep by it, never rename one."""
    loc: str
    """Dotted field path in the blueprint, e.g. ``spec.nodePools[0].instanceType``."""
    message: str
    """What is wrong and, where possible, the fix or the closest valid value."""
    file: str | None = None
    line: int | None = None
    level: str = "error"
    """``error`` or ``warning``."""

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "loc": self.loc, "message": self.message, "file": self.file, "line": self.line}


class AiinfraError(Exception):
    """Root of every error the toolkit raises for users; carries its exit code."""

    exit_code: int = EXIT_FAILED


class UsageError(AiinfraError):
    """Bad command-line usage or an unreadable input file."""

    exit_code = EXIT_USAGE


class MissingToolError(AiinfraError):
    """A program the operation needs is not installed; the message says how to install it."""

    exit_code = EXIT_USAGE

    def __init__(self, tool: str, how_to_install: str) -> None:
        self.tool = tool
        self.how_to_install = how_to_install
        super().__init__(f"{tool} is not installed: {how_to_install}")


@dataclass
class BlueprintError(AiinfraError):
    """The blueprint is invalid; ``problems`` lists every error (and warning) found."""

    problems: list[Problem] = field(default_factory=list)
    exit_code: int = EXIT_FAILED

    def __str__(self) -> str:
        return "\n".join(f"{p.file}:{p.line}: {p.id} {p.loc}: {p.message}" for p in self.problems)


class ProvisionError(AiinfraError):
    """Pulumi could not preview, create or destroy the infrastructure."""


class ConfigureError(AiinfraError):
    """The Ansible run failed on one or more hosts."""


class ValidationFailed(AiinfraError):
    """The cluster was measured and did not perform as the blueprint requires."""


class NodesUnreachable(AiinfraError):
    """Nodes could not be reached; ``nodes`` pairs each node with its cause (exit 3).

    The message leads with the cause shared by most nodes, then one line per node, so one SSH
    error is not hidden under rows of missing result files.
    """

    exit_code = EXIT_UNREACHABLE

    def __init__(self, stage: str, nodes: list[tuple[str, str]], hint: str = "") -> None:
        self.stage = stage
        self.nodes = nodes
        causes: dict[str, int] = {}
        for _, cause in nodes:
            causes[cause] = causes.get(cause, 0) + 1
        main = max(causes, key=lambda c: causes[c]) if causes else "unknown cause"
        lines = [f"{len(nodes)} node(s) unreachable during {stage}: {main}"]
        lines += [f"  {name}: {cause}" for name, cause in nodes[:50]]
        if len(nodes) > 50:
            lines.append(f"  … and {len(nodes) - 50} more")
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


class Interrupted(AiinfraError):
    """SIGINT or SIGTERM arrived; the message says where the run stopped (exit 130)."""

    exit_code = EXIT_INTERRUPTED


class StackLocked(AiinfraError):
    """Another ``up``/``down`` holds the stack's lock (exit 1: the operation did not run)."""
