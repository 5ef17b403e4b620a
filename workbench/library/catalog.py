"""Reading library files into domain objects, one file at a time, and indexing them by id.

Each file is checked on its own here (YAML syntax, schema, closed vocabularies, empty fields);
references between files are checked in :mod:`workbench.library.checks`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml
from pydantic import BaseModel, ValidationError

from workbench.domain.axes import Axis
from workbench.domain.persona import Persona
from workbench.domain.profile import CBTProfile, EDProfile, blank_fields
from workbench.domain.prompts import unsafe_expressions
from workbench.domain.scenario import Scenario
from workbench.library.documents import Document, parse_yaml, yaml_error_line, yaml_error_message
from workbench.library.issues import Issue, issues_from_validation_error
from workbench.library.layout import (
    KIND_HINTS,
    TEMPLATE_SUFFIX,
    YAML_SUFFIXES,
    Kind,
    Placement,
    place,
)
from workbench.library.scripts import Script

MODELS: dict[str, type[BaseModel]] = {
    "axis": Axis,
    "scenario": Scenario,
    "persona": Persona,
    "script": Script,
    "ed": EDProfile,
    "cbt": CBTProfile,
}
"""Schema of each YAML kind (profiles by their ``ed`` / ``cbt`` folder)."""


@dataclass(frozen=True)
class Entry:
    """A valid object of the library and the file it came from."""

    obj: Any
    """An Axis, Scenario, EDProfile/CBTProfile, Persona, Script, template source or rubric data."""
    placement: Placement
    document: Document | None = None

    @property
    def path(self) -> Path:
        """The file."""
        return self.placement.path

    def line_of(self, *loc: str | int) -> int | None:
        """Line of a field in the file, when known."""
        return self.document.line_of(loc) if self.document else None


@dataclass(frozen=True)
class LoadedFile:
    """The outcome of reading one file: its object when the schema holds, and its issues."""

    placement: Placement
    key: str
    """Id (template: name) under which the object is known, even when the file is invalid."""
    entry: Entry | None
    issues: tuple[Issue, ...]

    @property
    def path(self) -> Path:
        """The file."""
        return self.placement.path

    @property
    def kind(self) -> Kind | None:
        """The file's kind (after any ``kind:`` hint)."""
        return self.placement.kind


@dataclass
class Catalog:
    """Valid objects by kind and id, plus the ids of files that failed (to explain references)."""

    axis: dict[str, Entry] = field(default_factory=dict)
    scenario: dict[str, Entry] = field(default_factory=dict)
    profile: dict[str, Entry] = field(default_factory=dict)
    persona: dict[str, Entry] = field(default_factory=dict)
    script: dict[str, Entry] = field(default_factory=dict)
    template: dict[str, Entry] = field(default_factory=dict)
    rubric: dict[str, Entry] = field(default_factory=dict)
    broken: dict[tuple[str, str], Path] = field(default_factory=dict)
    """(kind, id) → file of objects that exist but do not validate."""

    def of(self, kind: Kind) -> dict[str, Entry]:
        """The collection of one kind."""
        collection: dict[str, Entry] = getattr(self, kind)
        return collection


def build_catalog(
    base: Iterable[LoadedFile], overlay: Iterable[LoadedFile] = ()
) -> tuple[Catalog, list[Issue]]:
    """Index loaded files by id, reporting duplicate ids.

    Files in ``overlay`` that lie outside the library stand in for library objects with the same
    id (so a draft can be validated against the library it is meant for); any other repeated id
    is a duplicate, reported on the later file.
    """
    catalog = Catalog()
    issues: list[Issue] = []
    from_base: set[Path] = set()
    for loaded, is_overlay in [(f, False) for f in base] + [(f, True) for f in overlay]:
        if loaded.kind is None:
            continue
        if loaded.entry is None:
            catalog.broken.setdefault((loaded.kind, loaded.key), loaded.path)
            continue
        collection = catalog.of(loaded.kind)
        existing = collection.get(loaded.key)
        replaces = existing is not None and existing.path in from_base and is_overlay
        if existing is None or (replaces and not loaded.placement.inside):
            collection[loaded.key] = loaded.entry
            if not is_overlay:
                from_base.add(loaded.path)
            continue
        what = "template name" if loaded.kind == "template" else "id"
        issues.append(
            Issue(
                loaded.path,
                "" if loaded.kind == "template" else "id",
                f"duplicate {what} {loaded.key!r}: also defined in {existing.path}",
                loaded.entry.line_of("id"),
            )
        )
    return catalog, issues


def load_file(path: Path, root: Path) -> LoadedFile:
    """Read and check one file of (or meant for) the library rooted at ``root``."""
    placement = place(path, root)
    if placement.kind is None and (placement.inside or path.suffix not in YAML_SUFFIXES):
        return _failed(placement, path.stem, [Issue(path, "", placement.problem or "unknown file")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _failed(placement, path.stem, [Issue(path, "", f"cannot read the file: {exc}")])
    if placement.kind == "template":
        return _load_template(placement, text)
    if path.suffix not in YAML_SUFFIXES:
        folder = {"axis": "axes"}.get(placement.kind or "", f"{placement.kind}s")
        return _failed(
            placement, path.stem, [Issue(path, "", f"{folder}/ holds YAML files (.yaml)")]
        )
    return _load_yaml(placement, text)


def _failed(placement: Placement, key: str, issues: list[Issue]) -> LoadedFile:
    return LoadedFile(placement, key, None, tuple(issues))


def _load_template(placement: Placement, text: str) -> LoadedFile:
    name = placement.template_name or placement.path.name
    if placement.path.suffix != TEMPLATE_SUFFIX:
        issue = Issue(placement.path, "", f"templates are Jinja2 files ending in {TEMPLATE_SUFFIX}")
        return _failed(placement, name, [issue])
    try:
        unsafe = unsafe_expressions(text)
    except jinja2.TemplateSyntaxError as exc:
        issue = Issue(placement.path, "", f"template syntax error: {exc.message}", exc.lineno)
        return _failed(placement, name, [issue])
    if unsafe:  # a shared library's template trying to run code: refuse the file
        return _failed(placement, name, [Issue(
            placement.path, "", f"the template reaches outside its context (it reads "
            f"{attribute!r}); a template may only read the fields it is given", line)
            for line, attribute in unsafe])
    return LoadedFile(placement, name, Entry(text, placement), ())


def _load_yaml(placement: Placement, text: str) -> LoadedFile:
    path = placement.path
    try:
        document = parse_yaml(text)
    except yaml.YAMLError as exc:
        issue = Issue(path, "", yaml_error_message(exc), yaml_error_line(exc))
        return _failed(placement, path.stem, [issue])
    data = document.data
    if data is None:
        return _failed(placement, path.stem, [Issue(path, "", "the file is empty")])
    if not isinstance(data, dict):
        issue = Issue(path, "", "expected a mapping of fields (`name: value` lines) at the top", 1)
        return _failed(placement, path.stem, [issue])
    key = str(data.get("id", path.stem))
    issues = [
        Issue(path, name, "key given twice in the same mapping (YAML keeps only the last)", line)
        for name, line in document.duplicate_keys()
    ]
    placement, data, hint_issues = _apply_kind(placement, dict(data), document)
    issues += hint_issues
    if placement.kind is None or hint_issues:
        return _failed(placement, key, issues)
    if placement.kind == "rubric":  # schema-checked like every other file
        from workbench.library.rubrics import check_rubric_document  # lazy: it imports this package

        _, rubric_issues = check_rubric_document(document, path)  # duplicate keys included
        return LoadedFile(placement, key, Entry(data, placement, document), tuple(rubric_issues))
    if placement.kind == "persona":
        data.setdefault("id", path.stem)  # a persona's id defaults to its file name
        key = str(data["id"])
    model = MODELS[placement.profile_kind or placement.kind]
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        found = issues_from_validation_error(exc, path, model, document)
        if placement.kind == "axis":
            found = [_locate_axis_issue(issue, data, document) for issue in found]
        return _failed(placement, key, issues + found)
    if isinstance(obj, EDProfile | CBTProfile):
        issues += _empty_fields(obj, placement, document)
    return LoadedFile(placement, key, Entry(obj, placement, document), tuple(issues))


def _apply_kind(
    placement: Placement, data: dict[str, Any], document: Document
) -> tuple[Placement, dict[str, Any], list[Issue]]:
    """Settle the kind from a top-level ``kind:`` and drop the hint where the schema has none."""
    path = placement.path
    hint = data.get("kind")
    line = document.line_of(("kind",))
    if placement.kind is None:
        if hint not in KIND_HINTS:
            message = placement.problem or "unknown file kind"
            if hint is not None:
                message = f"unknown kind {hint!r}; use one of: {', '.join(KIND_HINTS)}"
            return placement, data, [Issue(path, "kind" if hint else "", message, line)]
        kind, profile_kind = KIND_HINTS[hint]
        placement = Placement(path, kind, False, profile_kind=profile_kind)
    if placement.kind == "profile":
        if hint is not None and hint != placement.profile_kind:
            message = (
                f"the file is under profiles/{placement.profile_kind}/ but says kind: "
                f"{hint}; move it to profiles/{hint}/ or fix the kind"
            )
            return placement, data, [Issue(path, "kind", message, line)]
    elif hint is not None and placement.kind != "rubric":
        if hint != placement.kind:
            message = f"kind: {hint} does not match the file's folder ({placement.kind})"
            return placement, data, [Issue(path, "kind", message, line)]
        del data["kind"]
    return placement, data, []


def _empty_fields(
    profile: EDProfile | CBTProfile, placement: Placement, document: Document
) -> list[Issue]:
    """Text fields left blank (see :func:`~workbench.domain.profile.blank_fields`)."""
    return [
        Issue(
            placement.path,
            name,
            "is empty; write the fact (use 'none' or 'unknown' when that is the fact)",
            document.line_of((name,)),
        )
        for name in blank_fields(profile)
    ]


_UNKNOWN_NEXT = re.compile(r"level '([^']+)' schedule points to unknown level")
_DUPLICATES = re.compile(r"duplicate level ids: (.+)$")


def _locate_axis_issue(issue: Issue, data: dict[str, Any], document: Document) -> Issue:
    """Point an axis-wide error (duplicate level ids, bad schedule) at the level at fault."""
    if issue.field:
        return issue
    levels = data.get("levels") or []
    ids = [level.get("id") if isinstance(level, dict) else None for level in levels]
    loc: tuple[str | int, ...] | None = None
    if match := _UNKNOWN_NEXT.search(issue.message):
        if match.group(1) in ids:
            loc = ("levels", ids.index(match.group(1)), "schedule", "next")
    elif match := _DUPLICATES.search(issue.message):
        first = match.group(1).split(", ")[0]
        repeats = [i for i, level_id in enumerate(ids) if level_id == first]
        if len(repeats) > 1:
            loc = ("levels", repeats[1], "id")
    if loc is None:
        return Issue(issue.path, "levels", issue.message, document.line_of(("levels",)))
    return Issue(issue.path, ".".join(map(str, loc)), issue.message, document.line_of(loc))
