"""Read one YAML file into plain Python data plus the line of every key and list item.

ruamel.yaml's round-trip loader keeps the position of each key (``CommentedMap.lc``) and
item (``CommentedSeq.lc``); we copy them into a :class:`Node` tree so later stages (the
``extends:`` merge, the locator) never touch ruamel types. Duplicate keys are rejected, and
so are documents nested deeper than :data:`MAX_DEPTH` or whose aliases expand to more than
:data:`MAX_VALUES` values (a "billion laughs" file), so hostile input ends in an AI001 error
instead of a crash or a hang. YAML merge keys (``<<: *base``) are supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiinfra_iac.errors import BlueprintError, Problem, UsageError

MAX_DEPTH = 64
"""Deepest nesting of mappings/lists a blueprint may use (real ones stay under 10)."""
MAX_BYTES = 16 * 2**20
"""Largest blueprint file read (one with 100,000 hosts is about 2 MiB)."""
MAX_VALUES = 200_000
"""Most values (keys' values and list items, aliases expanded) one file may hold."""


@dataclass
class Node:
    """A YAML value with the file and 1-based line it was written on.

    ``value`` is ``dict[str, Node]``, ``list[Node]`` or a plain scalar.
    """

    value: Any
    file: str
    line: int | None


class UnreadableFileError(UsageError):
    """A blueprint file that cannot be read at all (exit 2); carries its AI008 problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(f"{problem.file}: {problem.id} {problem.message}")


def read_text(path: Path) -> str:
    """Return the file's text or raise :class:`UnreadableFileError` (AI008).

    At most :data:`MAX_BYTES` are read, so ``/dev/zero`` or a stray disk image is refused
    instead of filling the memory; ``/dev/stdin`` and other pipes still work.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise UnreadableFileError(
                Problem(
                    "AI008",
                    "",
                    f"cannot read the blueprint file: it is larger than {MAX_BYTES // 2**20} MiB "
                    "(is it a blueprint?)",
                    str(path),
                    None,
                )
            )
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise UnreadableFileError(
            Problem("AI008", "", f"cannot read the blueprint file: {reason}", str(path), None)
        ) from error


def parse_yaml(text: str, file: str) -> Node:
    """Parse ``text`` into a :class:`Node` tree; invalid YAML raises ``BlueprintError`` (AI001).

    Large files go to the libyaml reader (:mod:`.yaml_fast`), which builds the same tree faster."""
    from aiinfra_iac.blueprint import yaml_fast

    if len(text) > yaml_fast.FAST_ABOVE and yaml_fast.available():
        return yaml_fast.parse_fast(text, file)
    return parse_yaml_ruamel(text, file)


def parse_yaml_ruamel(text: str, file: str) -> Node:
    """:func:`parse_yaml` with ruamel's round-trip loader (every size)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        if "!" in text:  # a tag needs a "!": most blueprints skip the extra pass
            _check_tags(yaml, text, file)
        document = yaml.load(text)
    except RecursionError:
        raise BlueprintError([too_deep(file, None)]) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(part for part in (error.context, error.problem) if part)
        duplicate = re.search(r'found duplicate key "([^"]*)"', what)
        if duplicate:
            what = f"duplicate key '{duplicate.group(1)}': a key may appear only once in a mapping"
        raise BlueprintError([Problem("AI001", "", f"invalid YAML: {what}", file, line)]) from None
    except YAMLError as error:
        raise BlueprintError([Problem("AI001", "", f"invalid YAML: {error}", file, None)]) from None
    return _NodeBuilder(file).build(document, 1, 0)


_CORE = "tag:yaml.org,2002:"
CORE_TAGS = {
    "ScalarEvent": {f"{_CORE}{name}" for name in ("str", "int", "float", "bool", "null")},
    "SequenceStartEvent": {f"{_CORE}seq"},
    "MappingStartEvent": {f"{_CORE}map"},
}
"""Explicit tags a blueprint may carry: the YAML 1.2 core schema's, each on its own kind of node
(https://yaml.org/spec/1.2.2/#1032-tag-resolution). Anything else (``!foo``, ``!!binary``,
``!!set``, ``!!str`` on a list) is an AI001 error with its line, not a constructor traceback."""


def _check_tags(yaml: Any, text: str, file: str) -> None:
    for event in yaml.parse(text):
        tag = getattr(event, "tag", None)
        if tag is None or tag == "!":  # implicit, or the non-specific "!" (a plain string)
            continue
        kind = type(event).__name__
        if tag in CORE_TAGS.get(kind, set()):
            continue
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        raise BlueprintError([tag_problem(kind, tag, file, line)])


def tag_problem(kind: str, tag: str, file: str, line: int | None) -> Problem:
    """The AI001 problem of a tag outside :data:`CORE_TAGS` on a node of event ``kind``."""
    shown = tag.replace(_CORE, "!!")
    node = {"ScalarEvent": "value", "SequenceStartEvent": "list", "MappingStartEvent": "mapping"}
    return Problem(
        "AI001",
        "",
        f"invalid YAML: tag {shown} on a {node.get(kind, 'node')} is not allowed; blueprints use "
        "plain YAML values (remove the tag, or quote the value to make it text)",
        file,
        line,
    )


def load_yaml_file(path: Path) -> Node:
    """Read and parse one YAML file."""
    return parse_yaml(read_text(path), str(path))


def too_deep(file: str, line: int | None) -> Problem:
    return Problem(
        "AI001", "", f"invalid YAML: nested deeper than {MAX_DEPTH} levels; flatten the document", file, line
    )


class _NodeBuilder:
    """Copies ruamel's round-trip tree into :class:`Node` objects, within the depth/size limits."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.values = 0

    def build(self, value: Any, line: int | None, depth: int) -> Node:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        self.values += 1
        if self.values > MAX_VALUES:
            raise BlueprintError(
                [
                    Problem(
                        "AI001",
                        "",
                        f"invalid YAML: the document expands to more than {MAX_VALUES:,} values "
                        "(aliases repeating aliases?); write the values out instead",
                        self.file,
                        line,
                    )
                ]
            )
        if depth > MAX_DEPTH and isinstance(value, CommentedMap | CommentedSeq):
            raise BlueprintError([too_deep(self.file, line)])
        if isinstance(value, CommentedMap):
            items: dict[str, Node] = {}
            for key, item in value.items():
                child = self.build(item, _key_line(value, key, line), depth + 1)
                items[str(key) if not isinstance(key, str) else key] = child
            return Node(items, self.file, line)
        if isinstance(value, CommentedSeq):
            elements = [self.build(item, value.lc.item(i)[0] + 1, depth + 1) for i, item in enumerate(value)]
            return Node(elements, self.file, line)
        return Node(_plain_scalar(value), self.file, line)


def _key_line(mapping: Any, key: Any, fallback: int | None) -> int | None:
    """Line of ``key`` in ``mapping``, or in the mapping a merge key (``<<:``) took it from."""
    positions = mapping.lc.data
    if positions and key in positions:
        return int(positions[key][0]) + 1
    for entry in getattr(mapping, "merge", None) or ():
        # ruamel < 0.18.7 keeps (position, mapping) pairs, later versions the mappings
        source = entry[1] if isinstance(entry, tuple) else entry
        if key in source:
            return _key_line(source, key, fallback)
    return fallback


def _plain_scalar(value: Any) -> Any:
    """ruamel's scalar subclasses (ScalarFloat, ScalarBoolean, …) as the plain built-in types."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if type(value).__name__ == "TaggedScalar":  # an explicit core tag (others never get here)
        return tagged_value(str(value.tag), str(value.value))
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        # ruamel's ScalarBoolean subclasses int
        return bool(value) if type(value).__name__ == "ScalarBoolean" else int(value)
    if isinstance(value, float):
        return float(value)
    return value


def tagged_value(tag: str, text: str) -> Any:
    """The value of ``!!int 1``, ``!!bool true``, ``!!null`` …; text that does not fit its tag stays
    text, so the model reports the wrong type at its line."""
    kind = tag.rsplit(":", 1)[-1]
    try:
        if kind == "int":
            return int(text, 0)
        if kind == "float":
            return float(text)
    except ValueError:
        return text
    if kind == "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if kind == "null" and text in ("", "~", "null", "Null", "NULL"):
        return None
    return text


def to_plain(node: Node) -> Any:
    """The node tree as plain dicts, lists and scalars."""
    if isinstance(node.value, dict):
        return {key: to_plain(child) for key, child in node.value.items()}
    if isinstance(node.value, list):
        return [to_plain(child) for child in node.value]
    return node.value
