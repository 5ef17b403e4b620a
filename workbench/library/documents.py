"""YAML documents with their node tree, so that a field path can be turned into a line number.

Reading composes the node tree once and constructs the data from it, so line lookup costs no
second parse. Library files come from other people, so reading is bounded whatever the content:
the text's size, its nesting depth and what aliases (``*name``) add are capped, and an alias to
a value that contains it is refused. A 467-byte "billion laughs" file is refused on its node
tree, before anything is expanded. Writing produces human-friendly YAML: keys in the model's order, block style,
Unicode as is, and multi-line strings as ``|`` blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer

# libyaml is several times faster on a library of hundreds of personas; marks work the same.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


MAX_CHARS = 2_000_000
"""Longest library file read (a persona or rubric is a few kB)."""
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings."""
MAX_ALIAS_VALUES = 10_000
"""Most values that aliases may add to a file by repeating anchored ones."""


class UnsafeYAMLError(yaml.YAMLError):
    """YAML whose reading would not be bounded (size, depth, alias expansion, recursion).

    Attributes:
        problem_mark: Where (for ``yaml_error_line``), when known.
    """

    def __init__(self, message: str, mark: yaml.Mark | None = None):
        super().__init__(message)
        self.problem_mark = mark


class _BoundedLoader(Composer, _Loader):  # type: ignore[misc, valid-type]
    """libyaml's parser with PyYAML's composer, which can stop at a depth: libyaml's own
    composer recurses in C and crashes the interpreter on a file nested 100,000 deep."""

    def __init__(self, text: str) -> None:
        _Loader.__init__(self, text)
        Composer.__init__(self)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise UnsafeYAMLError(f"values are nested more than {MAX_DEPTH} levels deep",
                                      self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its data and the node tree it was built from."""

    data: Any
    """The constructed Python data (None for an empty file)."""
    node: yaml.Node | None
    """The root node, for line lookup."""

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """1-based line of the deepest node of ``loc`` that exists (None if not even the first).

        A missing field is reported at its parent's line, which is where it should be added.
        """
        node = self.node
        line = None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                        line, node = key.start_mark.line + 1, value
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    def duplicate_keys(self) -> list[tuple[str, int]]:
        """Keys given twice in one mapping, with the line of the repeat (YAML keeps the last)."""
        found: list[tuple[str, int]] = []
        stack = [self.node] if self.node is not None else []
        seen_nodes: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen_nodes:  # an aliased value: checked once
                continue
            seen_nodes.add(id(node))
            if isinstance(node, yaml.MappingNode):
                seen: set[str] = set()
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode):
                        if key.value in seen:
                            found.append((key.value, key.start_mark.line + 1))
                        seen.add(key.value)
                    stack.append(value)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        return sorted(found, key=lambda item: item[1])


def parse_yaml(text: str) -> Document:
    """Parse one YAML document.

    Raises:
        yaml.YAMLError: for malformed YAML (``MarkedYAMLError`` carries the line).
    """
    if len(text) > MAX_CHARS:
        raise UnsafeYAMLError(f"the file is too long ({len(text):,} characters; a library file "
                              f"holds at most {MAX_CHARS:,})")
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_bounded(node)
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return Document(data=data, node=node)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _check_bounded(root: yaml.Node) -> None:
    """Refuse a node tree whose data would be deep, cyclic or blown up by aliases.

    An alias composes to the very node it names, so the tree is a graph: one walk over its
    distinct nodes (iterative, so depth cannot exhaust the stack) counts what the data would hold.

    Raises:
        UnsafeYAMLError: naming the line of the offending node.
    """
    sizes: dict[int, int] = {}  # node → values in its expanded data (closed nodes)
    open_nodes: set[int] = set()  # the path from the root: met again, a node contains itself
    shared: list[yaml.Node] = []
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, closing = stack.pop()
        key = id(node)
        if closing:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in open_nodes:
            raise UnsafeYAMLError("a YAML alias (*name) refers to a value that contains it (a "
                                  "recursive anchor); write the value out instead",
                                  node.start_mark)
        if key in sizes:
            shared.append(node)
            continue
        if depth > MAX_DEPTH:  # deep through aliases (the composer bounds the text's own depth)
            raise UnsafeYAMLError(f"values are nested more than {MAX_DEPTH} levels deep",
                                  node.start_mark)
        open_nodes.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node))
    added = sizes[id(root)] - len(sizes)
    if added > MAX_ALIAS_VALUES:
        worst = max(shared, key=lambda n: sizes[id(n)])
        raise UnsafeYAMLError(
            f"YAML aliases (*name) would repeat the value anchored here into {added:,} more "
            f"values (at most {MAX_ALIAS_VALUES:,} are allowed); write the values out instead",
            worst.start_mark)


def yaml_error_line(exc: yaml.YAMLError) -> int | None:
    """1-based line of a YAML error, when the parser marked one."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def yaml_error_message(exc: yaml.YAMLError) -> str:
    """A one-line description of a YAML error, without the marks (the issue carries the line)."""
    if isinstance(exc, UnsafeYAMLError):
        return str(exc)
    if isinstance(exc, yaml.MarkedYAMLError):
        message = f"malformed YAML: {exc.problem or exc.context}"
        if exc.problem and exc.context:
            started = exc.context_mark
            where = f" started on line {started.line + 1}" if started is not None else ""
            message += f" ({exc.context}{where})"
        return message
    return f"malformed YAML: {exc}"


class _Dumper(yaml.SafeDumper):
    """Block style with list items indented under their key, as people write YAML by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """Human-friendly YAML for a file a researcher may edit by hand."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
