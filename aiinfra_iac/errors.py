"""The toolkit's exception types and the exit code each one maps to.

Every error a user can cause derives from :class:`AiinfraError`; the CLI catches the root
type, prints ``str(error)`` (one or more lines, never a traceback) and exits with
``error.exit_code``. Exit codes follow the CLI contract in DESIGN.md:

* 1 — the input is invalid or the operation failed (invalid blueprint, failed validation,
  a failed Pulumi update or Ansible run).
* 2 — usage error, unreadable file, or a tool that is missing on this machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CHANGES_PRESENT = 2


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
