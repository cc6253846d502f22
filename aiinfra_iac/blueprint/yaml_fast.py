"""A fast reader for large blueprints: libyaml's event stream (PyYAML's C parser) into the same
:class:`~aiinfra_iac.blueprint.yaml_source.Node` tree the ruamel reader builds.

ruamel's round-trip loader reads about 0.3 MiB/s (it keeps every comment), so a 2 MiB blueprint
with tens of thousands of hosts took longer than the 5 s ``check`` budget of issue 16. Above
:data:`FAST_ABOVE` bytes the file is read here instead: libyaml parses, and scalars are resolved
and constructed by ruamel's own YAML 1.2 resolver and safe constructor, so values are the same
(``yes`` stays text, ``0x10`` is 16). The tree is built from events with an explicit stack (no
recursion, depth checked), aliases are copied with the same value budget as the ruamel reader,
duplicate keys and non-core tags are AI001 errors with their line, and ``<<`` merge keys work.
``tests/security/test_yaml_fast.py`` checks both readers give the same tree on every blueprint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiinfra_iac.blueprint.yaml_source import (
    CORE_TAGS,
    MAX_DEPTH,
    MAX_VALUES,
    Node,
    tag_problem,
    tagged_value,
    too_deep,
)
from aiinfra_iac.errors import BlueprintError, Problem

FAST_ABOVE = 256 * 2**10
"""Files larger than this many bytes are read by :func:`parse_fast` (when libyaml is there)."""


def available() -> bool:
    try:
        import yaml
    except ImportError:
        return False
    return bool(getattr(yaml, "__with_libyaml__", False))


@dataclass
class _Frame:
    node: Node
    depth: int
    anchor: str | None
    key: tuple[str, int] | None = None
    merges: list[Node] = field(default_factory=list)
    own: set[str] = field(default_factory=set)
    raw: set[Any] = field(default_factory=set)
    """Keys as YAML values: ``1`` and ``true`` are the same key (as in ruamel: 1 == True)."""


class _Scalars:
    """ruamel's YAML 1.2 resolution and construction of plain scalars."""

    def __init__(self) -> None:
        from ruamel.yaml import YAML
        from ruamel.yaml.resolver import VersionedResolver

        self.resolver = VersionedResolver(version=(1, 2))
        self.constructor = YAML(typ="safe", pure=True).constructor
        self.first = set(getattr(self.resolver, "versioned_resolver", {}).keys()) | {"", "-", "+", "."}

    def plain(self, text: str) -> Any:
        if text and text[0] not in self.first:
            return text
        from ruamel.yaml.nodes import ScalarNode

        tag = self.resolver.resolve(ScalarNode, text, (True, False))
        if str(tag).rsplit(":", 1)[-1] in ("str", "value", "merge"):
            return text
        return self.constructor.construct_object(ScalarNode(tag, text), deep=True)


def parse_fast(text: str, file: str) -> Node:
    """Parse ``text`` like :func:`~aiinfra_iac.blueprint.yaml_source.parse_yaml`, only faster."""
    import yaml

    builder = _Builder(file)
    try:
        for event in yaml.parse(text, Loader=yaml.CBaseLoader):
            builder.feed(event)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = " ".join(part for part in (error.context, error.problem) if part)
        line = mark.line + 1 if mark is not None else None
        raise BlueprintError([Problem("AI001", "", f"invalid YAML: {what}", file, line)]) from None
    except yaml.YAMLError as error:
        raise BlueprintError([Problem("AI001", "", f"invalid YAML: {error}", file, None)]) from None
    return builder.result if builder.result is not None else Node(None, file, 1)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.stack: list[_Frame] = []
        self.anchors: dict[str, Node] = {}
        self.values = 0
        self.documents = 0
        self.result: Node | None = None
        self.scalars = _Scalars()

    # ------------------------------------------------------------------ events

    def feed(self, event: Any) -> None:
        kind = type(event).__name__
        line = event.start_mark.line + 1
        if kind == "DocumentStartEvent":
            self.documents += 1
            if self.documents > 1:
                self._fail("invalid YAML: expected a single document in the stream", line)
        elif kind == "AliasEvent":
            if event.anchor not in self.anchors:
                self._fail(f"invalid YAML: found undefined alias '{event.anchor}'", line)
            self._attach(self._copy(self.anchors[event.anchor]))
        elif kind == "ScalarEvent":
            self._check_tag(kind, event.tag, line)
            self._scalar(event, line)
        elif kind in ("MappingStartEvent", "SequenceStartEvent"):
            self._check_tag(kind, event.tag, line)
            depth = len(self.stack) + 1
            if depth > MAX_DEPTH:
                raise BlueprintError([too_deep(self.file, line)])
            if self.stack and self.stack[-1].key is None and isinstance(self.stack[-1].node.value, dict):
                self._fail("invalid YAML: a mapping or list used as a key is not supported", line)
            self._count(line)
            value: Any = {} if kind == "MappingStartEvent" else []
            self.stack.append(_Frame(Node(value, self.file, line), depth, event.anchor))
        elif kind in ("MappingEndEvent", "SequenceEndEvent"):
            frame = self.stack.pop()
            if frame.merges:
                self._merge(frame)
            if frame.anchor:
                self.anchors[frame.anchor] = frame.node
            self._attach(frame.node)

    # ------------------------------------------------------------------ pieces

    def _scalar(self, event: Any, line: int) -> None:
        text = event.value
        top = self.stack[-1] if self.stack else None
        is_key = top is not None and isinstance(top.node.value, dict) and top.key is None
        if event.tag is not None and event.tag != "!":
            value: Any = tagged_value(event.tag, text)
        elif not event.style and event.implicit[0]:  # plain (libyaml: style "" or None)
            if is_key and text == "<<":
                assert top is not None
                top.key = ("<<", line)
                return
            value = self.scalars.plain(text)
        else:
            value = text
        if is_key:
            assert top is not None
            key = value if isinstance(value, str) else str(value)
            try:
                clash = value in top.raw
                top.raw.add(value)
            except TypeError:  # an unhashable value (a date is hashable; nothing else gets here)
                clash = False
            if key in top.own or clash:
                self._fail(f"duplicate key '{key}': a key may appear only once in a mapping", line)
            top.own.add(key)
            top.key = (key, line)
            return
        self._count(line)
        node = Node(value, self.file, line)
        if event.anchor:
            self.anchors[event.anchor] = node
        self._attach(node)

    def _attach(self, node: Node) -> None:
        if not self.stack:
            node.line = 1  # as the ruamel reader: the document starts at line 1
            self.result = node
            return
        top = self.stack[-1]
        if isinstance(top.node.value, list):
            top.node.value.append(node)
            return
        if top.key is None:
            self._fail("invalid YAML: a mapping or list used as a key is not supported", node.line)
        assert top.key is not None
        key, line = top.key
        top.key = None
        if key == "<<":
            sources = node.value if isinstance(node.value, list) else [node]
            for source in sources:
                if not isinstance(source.value, dict):
                    self._fail("invalid YAML: a merge key (<<) needs a mapping or a list of mappings", line)
                top.merges.append(source)
            return
        node.line = line
        top.node.value[key] = node

    def _merge(self, frame: _Frame) -> None:
        """``<<:`` sources fill the keys the mapping does not set itself; earlier sources win."""
        merged: dict[str, Node] = {}
        for source in frame.merges:
            for key, child in source.value.items():
                merged.setdefault(key, child)
        for key, child in merged.items():
            frame.node.value.setdefault(key, child)

    def _copy(self, node: Node) -> Node:
        """A copy of an anchored tree (each use of an alias counts its values, as in the ruamel reader)."""
        todo: list[tuple[Node, Node]] = []
        root = Node(node.value, node.file, node.line)
        todo.append((node, root))
        while todo:
            source, target = todo.pop()
            self._count(source.line)
            if isinstance(source.value, dict):
                target.value = {}
                for key, child in source.value.items():
                    copy = Node(child.value, child.file, child.line)
                    target.value[key] = copy
                    todo.append((child, copy))
            elif isinstance(source.value, list):
                target.value = []
                for child in source.value:
                    copy = Node(child.value, child.file, child.line)
                    target.value.append(copy)
                    todo.append((child, copy))
        return root

    def _count(self, line: int | None) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            self._fail(
                f"invalid YAML: the document expands to more than {MAX_VALUES:,} values "
                "(aliases repeating aliases?); write the values out instead",
                line,
            )

    def _check_tag(self, kind: str, tag: str | None, line: int) -> None:
        if tag is None or tag == "!" or tag in CORE_TAGS.get(kind, set()):
            return
        raise BlueprintError([tag_problem(kind, tag, self.file, line)])

    def _fail(self, message: str, line: int | None) -> None:
        raise BlueprintError([Problem("AI001", "", message, self.file, line)])
