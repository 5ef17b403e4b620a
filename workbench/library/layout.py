"""The layout of the persona library on disk: which file is which kind, and where files go.

Inside the library root the location decides the kind (``axes/<id>.yaml``,
``profiles/ed/<id>.yaml``, ``personas/<scenario>/.../<id>.yaml``, ``templates/**/*.j2`` ...). A
file outside the root (a broken-file corpus, a draft elsewhere) takes its kind from the nearest
parent folder with one of those names (``.../broken/personas/ed_consult/x.yaml`` is a persona),
or failing that from a top-level ``kind:`` hint read by the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["axis", "scenario", "profile", "persona", "script", "template", "rubric"]
ProfileKind = Literal["ed", "cbt"]

FOLDER_KINDS: dict[str, Kind] = {
    "axes": "axis",
    "scenarios": "scenario",
    "profiles": "profile",
    "personas": "persona",
    "scripts": "script",
    "templates": "template",
    "rubrics": "rubric",
}
"""Top-level folder of the library → kind of the files in it."""

KIND_HINTS: dict[str, tuple[Kind, ProfileKind | None]] = {
    "axis": ("axis", None),
    "scenario": ("scenario", None),
    "persona": ("persona", None),
    "script": ("script", None),
    "ed": ("profile", "ed"),
    "cbt": ("profile", "cbt"),
}
"""Values of a top-level ``kind:`` that place a file found outside any known folder."""

YAML_SUFFIXES = (".yaml", ".yml")
TEMPLATE_SUFFIX = ".j2"
IGNORED_SUFFIXES = (".md",)
"""Documentation may sit anywhere in the library."""


@dataclass(frozen=True)
class Placement:
    """Where a file sits and therefore what it must contain."""

    path: Path
    kind: Kind | None
    """None when the location says nothing (see ``problem``, or a ``kind:`` hint may decide)."""
    inside: bool
    """True when the file lies under the library root."""
    profile_kind: ProfileKind | None = None
    """For profiles: ``ed`` or ``cbt`` from the folder."""
    scenario_folder: str | None = None
    """For personas: the folder right under ``personas/``, which must be the persona's scenario."""
    template_name: str | None = None
    """For templates: the name scenarios refer to."""
    problem: str | None = None
    """Why the file does not belong where it is, when it does not."""


def is_ignored(path: Path) -> bool:
    """Hidden files, editor backups, caches and documentation are not library files."""
    return (
        any(part.startswith(".") or part == "__pycache__" for part in path.parts)
        or path.name.endswith("~")
        or path.suffix in IGNORED_SUFFIXES
    )


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every library file under the given files or directories, sorted, without duplicates."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            for child in path.rglob("*"):
                if child.is_file() and not is_ignored(child.relative_to(path)):
                    found.add(child)
        else:
            found.add(path)
    return sorted(found)


def place(path: Path, root: Path) -> Placement:
    """Classify a file by its location (inside ``root``) or its parent folders (outside)."""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        return _place_outside(path)
    return _place_inside(path, rel)


def _place_inside(path: Path, rel: Path) -> Placement:
    parts = rel.parts
    kind = FOLDER_KINDS.get(parts[0]) if len(parts) > 1 else None
    folders = "axes/, scenarios/, profiles/ed/, profiles/cbt/, personas/<scenario>/, scripts/, "
    if kind is None:
        return Placement(
            path,
            None,
            True,
            problem=f"unknown file kind: library files belong in {folders}templates/ or rubrics/",
        )
    if kind == "template":
        if path.suffix != TEMPLATE_SUFFIX:
            return Placement(
                path,
                None,
                True,
                problem=f"templates/ holds Jinja2 templates ending in {TEMPLATE_SUFFIX}",
            )
        return Placement(path, kind, True, template_name=Path(*parts[1:]).as_posix())
    if path.suffix not in YAML_SUFFIXES:
        return Placement(path, None, True, problem=f"{parts[0]}/ holds YAML files (.yaml)")
    if kind == "profile":
        if len(parts) != 3 or parts[1] not in ("ed", "cbt"):
            return Placement(
                path, None, True, problem="profiles belong in profiles/ed/ or profiles/cbt/"
            )
        return Placement(path, kind, True, profile_kind=parts[1])  # type: ignore[arg-type]
    if kind == "persona":
        if len(parts) < 3:
            return Placement(path, None, True, problem="personas belong in personas/<scenario_id>/")
        return Placement(path, kind, True, scenario_folder=parts[1])
    if len(parts) != 2:
        return Placement(path, None, True, problem=f"{parts[0]}/ takes no subfolders")
    return Placement(path, kind, True)


def _place_outside(path: Path) -> Placement:
    parents = path.parent.parts
    for i in range(len(parents) - 1, -1, -1):
        name = parents[i]
        if name in ("ed", "cbt") and i > 0 and parents[i - 1] == "profiles":
            return Placement(path, "profile", False, profile_kind=name)  # type: ignore[arg-type]
        kind = FOLDER_KINDS.get(name)
        if kind is None:
            continue
        if kind == "template":
            return Placement(path, kind, False, template_name=path.name)
        if kind == "profile":
            break  # profiles/ without ed/ or cbt/: only a kind: hint can tell
        folder = parents[i + 1] if kind == "persona" and i + 1 < len(parents) else None
        return Placement(path, kind, False, scenario_folder=folder)
    if path.suffix == TEMPLATE_SUFFIX:
        return Placement(path, "template", False, template_name=path.name)
    return Placement(
        path,
        None,
        False,
        problem="unknown file kind: put the file under a folder "
        "named axes/, scenarios/, profiles/ed/, profiles/cbt/, personas/<scenario>/ "
        "or scripts/, or add a top-level `kind:` (" + ", ".join(KIND_HINTS) + ")",
    )


def persona_file(root: Path, scenario: str, persona_id: str) -> Path:
    """Where a hand-made persona is saved."""
    return root / "personas" / scenario / f"{persona_id}.yaml"


def profile_file(root: Path, kind: ProfileKind, profile_id: str) -> Path:
    """Where a profile is saved."""
    return root / "profiles" / kind / f"{profile_id}.yaml"


def grid_dir(root: Path, scenario: str, design: str | None) -> Path:
    """Default folder of a generated persona grid."""
    return root / "personas" / scenario / f"grid-{design or 'custom'}"
