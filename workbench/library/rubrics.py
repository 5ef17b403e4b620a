"""Rubric files under ``personas/rubrics/``: YAML → checked :class:`~workbench.domain.rubric.Rubric`.

Problems are reported exactly as the persona library reports its own (``path:line: field:
message``, one per line, through :class:`~workbench.library.LibraryError`), using the library's
YAML and issue helpers. Each item is validated against the model its ``type`` names, so an error
inside an item points at ``items.<n>.<field>`` and its line rather than at a union of four
schemas::

    from workbench.library.rubrics import load_rubrics
    rubrics = load_rubrics()              # {"persona_fidelity": Rubric(...), ...}
    items = rubrics["persona_fidelity"].items_for(resolved.axes.values(), resolved.persona.levels)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from workbench.domain.rubric import ITEM_TYPES, AxisItems, Rubric, item_id_problems
from workbench.library.documents import Document, parse_yaml, yaml_error_line, yaml_error_message
from workbench.library.issues import (
    Issue,
    LibraryError,
    LibraryLookupError,
    issues_from_validation_error,
    sort_issues,
)
from workbench.library.layout import YAML_SUFFIXES, discover
from workbench.settings import load_settings

RUBRICS_FOLDER = "rubrics"
"""Folder of the persona library that holds rubric files."""

# Model-wide checks raise without a field; these words say which field they are about.
_FIELD_OF_MESSAGE = (("speaker", "speaker"), ("anchor", "anchors"), ("scale", "scale"))


def rubrics_dir(root: Path | str | None = None) -> Path:
    """The rubric folder of the persona library at ``root`` (default: the personas_dir setting)."""
    base = Path(root) if root is not None else load_settings().personas_dir
    return base / RUBRICS_FOLDER


def load_rubrics(root: Path | str | None = None) -> dict[str, Rubric]:
    """Every rubric of the library at ``root``, by id, sorted by id.

    Raises:
        LibraryError: one line per problem in any rubric file; nothing is returned then.
    """
    rubrics: dict[str, Rubric] = {}
    issues: list[Issue] = []
    for path in rubric_files(rubrics_dir(root)):
        rubric, found = read_rubric(path)
        issues += found
        if rubric is not None:
            rubrics[rubric.id] = rubric
    if issues:
        raise LibraryError(issues)
    return dict(sorted(rubrics.items()))


def load_rubric(rubric_id: str, root: Path | str | None = None) -> Rubric:
    """One rubric of the library by id.

    Raises:
        LibraryLookupError: no such rubric (naming those there are).
        LibraryError: its file is invalid.
    """
    folder = rubrics_dir(root)
    for path in rubric_files(folder):
        if path.stem == rubric_id:
            rubric, issues = read_rubric(path)
            if rubric is None:
                raise LibraryError(issues)
            return rubric
    known = ", ".join(p.stem for p in rubric_files(folder)) or "none"
    raise LibraryLookupError(f"no rubric {rubric_id!r} in {folder}; available: {known}")


def validate_rubrics(paths: Iterable[Path | str] | None = None) -> list[Issue]:
    """Problems in rubric files (default: every file of the library's rubric folder).

    Args:
        paths: rubric files or folders holding them.
    """
    targets = [Path(p) for p in paths] if paths is not None else [rubrics_dir()]
    issues: list[Issue] = []
    for path in discover(targets):
        issues += read_rubric(path)[1]
    return sort_issues(issues)


def rubric_files(folder: Path) -> list[Path]:
    """The YAML files of a rubric folder (none when it does not exist)."""
    if not folder.is_dir():
        return []
    return [p for p in discover([folder]) if p.suffix in YAML_SUFFIXES]


def read_rubric(path: Path) -> tuple[Rubric | None, list[Issue]]:
    """Read and check one rubric file: the rubric when it is valid, and every issue found."""
    if path.suffix not in YAML_SUFFIXES:
        return None, [Issue(path, "", "rubrics are YAML files ending in .yaml")]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Issue(path, "", f"cannot read the file: {exc}")]
    return check_rubric_text(text, path)


def check_rubric_text(text: str, path: Path) -> tuple[Rubric | None, list[Issue]]:
    """Check the text of a rubric file named ``path`` (its stem is the rubric's id)."""
    try:
        document = parse_yaml(text)
    except yaml.YAMLError as exc:
        return None, [Issue(path, "", yaml_error_message(exc), yaml_error_line(exc))]
    return check_rubric_document(document, path)


def check_rubric_document(document: Document, path: Path) -> tuple[Rubric | None, list[Issue]]:
    """Check a parsed rubric file named ``path`` (the library's validator calls this too)."""
    data = document.data
    if data is None:
        return None, [Issue(path, "", "the file is empty")]
    if not isinstance(data, dict):
        return None, [Issue(path, "", "expected a mapping of fields (`name: value` lines)", 1)]
    issues = [
        Issue(path, name, "key given twice in the same mapping (YAML keeps only the last)", line)
        for name, line in document.duplicate_keys()
    ]
    data = dict(data)
    kind = data.pop("kind", "rubric")
    if kind != "rubric":
        issues.append(Issue(path, "kind", f"a rubric file says kind: rubric, got {kind!r}",
                            document.line_of(("kind",))))
    data.setdefault("id", path.stem)
    if data["id"] != path.stem:
        message = f"id {data['id']!r} differs from the file name; name the file {data['id']}.yaml"
        issues.append(Issue(path, "id", message, document.line_of(("id",))))
    issues += _item_issues(data, document, path)
    if isinstance(data.get("axis_items"), dict):
        issues += _part_issues(AxisItems, data["axis_items"], document, path, ("axis_items",))
    if issues:
        return None, sort_issues(issues)
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        found = issues_from_validation_error(exc, path, Rubric, document)
        return None, sort_issues(_locate(i, document, ("items",)) for i in found)
    return rubric, []


def _item_issues(data: dict[str, Any], document: Document, path: Path) -> list[Issue]:
    """Each item checked against the model of its ``type``, plus ids repeated across items."""
    items = data.get("items")
    if not isinstance(items, list):
        return []  # absent or not a list: the rubric model reports it
    issues: list[Issue] = []
    for index, raw in enumerate(items):
        loc = ("items", index)
        where = f"items.{index}"
        if not isinstance(raw, dict):
            issues.append(Issue(path, where, "expected a mapping of item fields (id, type, ...)",
                                document.line_of(loc)))
            continue
        kind = raw.get("type")
        if kind not in ITEM_TYPES:
            message = ("required field is missing" if kind is None else f"unknown type {kind!r}")
            message += "; use one of: " + ", ".join(ITEM_TYPES)
            issues.append(Issue(path, f"{where}.type", message, document.line_of((*loc, "type"))))
            continue
        issues += _part_issues(ITEM_TYPES[kind], raw, document, path, loc)
    ids = [str(raw.get("id")) for raw in items if isinstance(raw, dict)]
    prefix = data.get("axis_items", {}).get("id_prefix", "axis_") \
        if isinstance(data.get("axis_items"), dict) else None
    positions = [i for i, raw in enumerate(items) if isinstance(raw, dict)]
    for index, message in item_id_problems(ids, prefix):
        id_loc = ("items", positions[index], "id")
        issues.append(
            Issue(path, f"items.{positions[index]}.id", message, document.line_of(id_loc))
        )
    return issues


def _part_issues(
    model: type[BaseModel],
    data: dict[str, Any],
    document: Document,
    path: Path,
    loc: tuple[str | int, ...],
) -> list[Issue]:
    """Validate one part of the file (an item, ``axis_items``) and place its issues in the file."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        part = Document(data=data, node=_node_at(document, loc))
        prefix = ".".join(map(str, loc))
        found = issues_from_validation_error(exc, path, model, part)
        return [
            _locate(
                replace(
                    issue,
                    field=f"{prefix}.{issue.field}" if issue.field else prefix,
                    line=issue.line or document.line_of(loc),  # a missing field: its parent
                ),
                document,
                loc,
            )
            for issue in found
        ]
    return []


def _locate(issue: Issue, document: Document, loc: tuple[str | int, ...]) -> Issue:
    """Point a model-wide error (no field of its own) at the field its message is about."""
    if issue.field != ".".join(map(str, loc)) and issue.field:
        return issue
    for word, field in _FIELD_OF_MESSAGE:
        if word in issue.message:
            return replace(issue, field=".".join(map(str, (*loc, field))),
                           line=document.line_of((*loc, field)) or issue.line)
    return replace(issue, field=".".join(map(str, loc)),
                   line=issue.line or document.line_of(loc))


def _node_at(document: Document, loc: tuple[str | int, ...]) -> yaml.Node | None:
    """The YAML node at a field path (None when it is not there)."""
    node = document.node
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if 0 <= part < len(node.value) else None
        else:
            return None
    return node
