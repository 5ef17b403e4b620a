"""YAML documents with their node tree, so that a field path can be turned into a line number.

Reading composes the node tree once and constructs the data from it, so line lookup costs no
second parse. Writing produces human-friendly YAML: keys in the model's order, block style,
Unicode as is, and multi-line strings as ``|`` blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

# libyaml is several times faster on a library of hundreds of personas; marks work the same.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        while stack:
            node = stack.pop()
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
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return Document(data=data, node=node)


def yaml_error_line(exc: yaml.YAMLError) -> int | None:
    """1-based line of a YAML error, when the parser marked one."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def yaml_error_message(exc: yaml.YAMLError) -> str:
    """A one-line description of a YAML error, without the marks (the issue carries the line)."""
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
