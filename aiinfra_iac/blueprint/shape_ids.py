"""The IDs of problems found before the rules run (the loader, the schema, the catalog join), with
a title and the usual fix each; docs/checks.md lists them next to the rules (``docs/generate.py``).

Rules (``AI1xx``) carry their titles in :mod:`aiinfra_iac.blueprint.checks`; these have no rule
object because the loader, pydantic and ``resolve`` raise them. tests/test_docs.py fails when the
code uses an ID missing here.
"""

from __future__ import annotations

SHAPE_IDS: dict[str, tuple[str, str]] = {
    "AI001": (
        "not a readable YAML blueprint",
        "Fix the YAML syntax at the line shown; duplicate keys, custom tags (`!foo`, `!!binary`) and "
        "files beyond the size, depth or alias limits are refused too.",
    ),
    "AI002": ("unknown key", "Remove the key or correct its spelling (the message suggests the closest)."),
    "AI003": (
        "wrong type",
        "Write the value with the type the message names (a number without quotes, a list).",
    ),
    "AI004": (
        "value out of range or not matching its pattern",
        "Use one of the allowed values, or a value in the range the message gives.",
    ),
    "AI005": ("required key missing", "Add the key, in the file or in a base it extends."),
    "AI006": ("extends cycle or chain too deep", "Remove one of the extends that form the cycle."),
    "AI007": (
        "extends base or spec.catalog file not found",
        "Paths are relative to the file that names them; correct the path or add the file.",
    ),
    "AI008": ("file cannot be read, or is a directory", "Name a readable YAML file."),
    "AI009": (
        "file outside the blueprint's repository",
        "Copy the base or catalog into the repository, or allow its directory with `--bases DIR` / "
        "`AIINFRA_BASES`.",
    ),
    "AI010": (
        "bad entry in the blueprint's user catalog (spec.catalog)",
        "Give the entry every field of the built-in catalog with an https `sources` list; do not "
        "redefine a built-in entry.",
    ),
}
"""ID -> (title, fix) of every error the loader, the schema and the catalog raise (AI0xx)."""

RESOLVE_IDS: dict[str, tuple[str, str]] = {
    "AI199": (
        "the plan cannot join a blueprint fact with the catalog",
        "The message names the field; this is raised after every check passed, so please also "
        "report it: a check should have caught it.",
    ),
}
"""ID -> (title, fix) of what ``resolve`` raises when a fact cannot be joined."""
