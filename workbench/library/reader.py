"""Reading the persona library into domain objects, resolving and rendering personas.

:class:`LibraryReader` holds everything that only reads the disk;
:class:`~workbench.library.Library` adds composing and saving.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from workbench.domain.axes import Axis
from workbench.domain.persona import Persona
from workbench.domain.profile import CBTProfile, EDProfile
from workbench.domain.prompts import RenderedPrompts, ResolvedPersona, render_prompts
from workbench.domain.scenario import Scenario
from workbench.library.catalog import Catalog, Entry, LoadedFile, build_catalog, load_file
from workbench.library.checks import (
    TEMPLATE_ERRORS,
    check_files,
    check_persona,
    explain_render_error,
    failure_issue,
    resolve_entry,
)
from workbench.library.grid import check_level_filter
from workbench.library.issues import (
    Issue,
    LibraryError,
    LibraryLookupError,
    ValidationReport,
    sort_issues,
)
from workbench.library.layout import Kind, Placement, discover, persona_file, place
from workbench.library.scripts import Script
from workbench.settings import load_settings

Profile = EDProfile | CBTProfile
"""Either profile kind."""


class LibraryReader:
    """Read access to the persona library under ``root``.

    Files are read lazily, one kind at a time, and kept until :meth:`refresh`. Accessors raise
    :class:`LibraryError` (its message lists one issue per line) when a file of the kind asked
    for is invalid, and :class:`LibraryLookupError` for an id the library does not have.
    """

    def __init__(self, root: Path | str | None = None, *, lenient: bool = False) -> None:
        """Open the library at ``root`` (default: the ``personas_dir`` setting).

        With ``lenient``, a file that does not validate is left out instead of failing the whole
        kind: every valid object stays usable and :attr:`problems` lists what was left out (the
        pages use this, so one broken file is a listed problem rather than a dead end).
        """
        self.root = Path(root) if root is not None else load_settings().personas_dir
        self.lenient = lenient
        self._placements: dict[Path, Placement] | None = None
        self._loaded: dict[Path, LoadedFile] = {}
        self._collections: dict[Kind, dict[str, Entry]] = {}
        self._left_out: dict[Kind, list[Issue]] = {}

    @property
    def problems(self) -> list[Issue]:
        """Issues of the files a lenient library left out so far (of the kinds read)."""
        return sort_issues([i for issues in self._left_out.values() for i in issues])

    def __repr__(self) -> str:
        return f"Library({str(self.root)!r})"

    def refresh(self) -> None:
        """Forget everything read so far (files changed on disk)."""
        self._placements = None
        self._loaded.clear()
        self._collections.clear()
        self._left_out.clear()

    # --- reading ------------------------------------------------------------------------------

    def axes(self) -> dict[str, Axis]:
        """Axes by id."""
        return {k: e.obj for k, e in self._collection("axis").items()}

    def scenarios(self) -> dict[str, Scenario]:
        """Scenarios by id."""
        return {k: e.obj for k, e in self._collection("scenario").items()}

    def profiles(self) -> dict[str, Profile]:
        """ED and CBT profiles by id (one namespace: personas name a profile by id alone)."""
        return {k: e.obj for k, e in self._collection("profile").items()}

    def personas(self) -> dict[str, Persona]:
        """Personas by id, sorted by id; :meth:`persona_path` gives each one's file."""
        return {k: e.obj for k, e in sorted(self._collection("persona").items())}

    def persona_path(self, persona_id: str) -> Path:
        """The file a persona was read from."""
        return self._persona_entry(persona_id).path

    def templates(self) -> dict[str, str]:
        """Template sources by name (path under ``templates/``, e.g. ``ed_patient.j2``)."""
        return {k: e.obj for k, e in self._collection("template").items()}

    def scripts(self) -> dict[str, Script]:
        """Scripted interviewers by id."""
        return {k: e.obj for k, e in self._collection("script").items()}

    def load_script(self, name: str) -> list[str]:
        """The questions of a scripted interviewer.

        Raises:
            LibraryLookupError: naming the available scripts when ``name`` is unknown.
        """
        scripts = self.scripts()
        if name not in scripts:
            raise LibraryLookupError(unknown_name("script", name, scripts))
        return list(scripts[name].questions)

    def resolve(self, persona: str | Persona) -> ResolvedPersona:
        """Look up a persona's scenario, profile and axes, checking every reference.

        Args:
            persona: a persona id, or a Persona (e.g. one composed but not saved).

        Raises:
            LibraryLookupError: unknown persona id.
            LibraryError: a reference does not hold (listing each problem).
        """
        entry = self._persona_entry(persona)
        catalog = self._catalog()
        issues = check_persona(entry, catalog)
        if issues:
            raise LibraryError(issues)
        return resolve_entry(entry, catalog)

    def render(
        self,
        persona: str | Persona | ResolvedPersona,
        overrides: dict[str, str] | None = None,
    ) -> RenderedPrompts:
        """Render both system prompts of a persona.

        Args:
            persona: a persona id, a Persona, or an already resolved persona.
            overrides: per-turn level overrides, e.g. ``{"confusion": "moderate"}``.

        Raises:
            LibraryError: naming the template line, the field and the persona file when a
                template cannot be filled.
        """
        resolved = persona if isinstance(persona, ResolvedPersona) else self.resolve(persona)
        catalog = self._catalog()
        try:
            return render_prompts(resolved, self.templates(), overrides)
        except TEMPLATE_ERRORS as exc:
            failure = explain_render_error(exc, catalog, resolved.source)
            raise LibraryError([failure_issue(failure, Path(resolved.source), catalog)]) from exc

    def filter_personas(
        self,
        levels: Mapping[str, Sequence[str]] | None = None,
        scenario: str | None = None,
        profile: str | None = None,
    ) -> list[Persona]:
        """Personas matching every filter, sorted by id.

        Args:
            levels: axis id → accepted level ids (an empty list accepts any level).
            scenario: keep only this scenario's personas.
            profile: keep only personas of this profile.

        Raises:
            LibraryLookupError: for an unknown scenario, axis or level.
        """
        levels = dict(levels or {})
        axes = self.axes()
        if scenario is not None:
            check_level_filter(levels, self._scenario(scenario), axes)
        for axis_id, wanted in levels.items():
            if axis_id not in axes:
                raise LibraryLookupError(unknown_name("axis", axis_id, axes))
            for level_id in wanted:
                if level_id not in axes[axis_id].level_ids:
                    raise LibraryLookupError(
                        unknown_name(
                            f"level of axis {axis_id!r}", level_id, axes[axis_id].level_ids
                        )
                    )
        return [
            p
            for p in self.personas().values()
            if (scenario is None or p.scenario == scenario)
            and (profile is None or p.profile == profile)
            and all(not wanted or p.levels.get(a) in wanted for a, wanted in levels.items())
        ]

    # --- validation ---------------------------------------------------------------------------

    def check(self, paths: Iterable[Path | str] | None = None) -> ValidationReport:
        """Validate files against their schema and against this library, re-reading the disk.

        Args:
            paths: files or folders to check (default: the whole library). Files outside the
                library are checked as if placed in it: their kind comes from their parent
                folders (``.../personas/<scenario>/x.yaml``) or a top-level ``kind:``, and
                they stand in for library objects with the same id.

        Raises:
            LibraryLookupError: a path does not exist.
        """
        self.refresh()
        targets = [Path(p) for p in paths] if paths else [self.root]
        for target in targets:
            if not target.exists():
                raise LibraryLookupError(f"no such file or folder: {target}")
        in_root = {p.resolve(): p for p in self._scan()}
        checked = [
            self._load(in_root[p.resolve()]) if p.resolve() in in_root else load_file(p, self.root)
            for p in discover(targets)
        ]
        checked_keys = {f.path.resolve() for f in checked}
        base = [self._load(p) for key, p in in_root.items() if key not in checked_keys]
        catalog, duplicates = build_catalog(base, checked)
        issues = [i for f in checked for i in f.issues]
        issues += [i for i in duplicates if i.path.resolve() in checked_keys]
        issues += check_files(checked, catalog)
        return ValidationReport(tuple(f.path for f in checked), tuple(sort_issues(issues)))

    def validate(self, paths: Iterable[Path | str] | None = None) -> list[Issue]:
        """Every issue in the given files or folders (default: the whole library)."""
        return list(self.check(paths).issues)

    # --- internals ----------------------------------------------------------------------------

    def _scan(self) -> list[Path]:
        if self._placements is None:
            if not self.root.is_dir():
                raise LibraryLookupError(
                    f"persona library not found: {self.root} (set "
                    "WORKBENCH_PERSONAS or the personas_dir setting)"
                )
            self._placements = {p: place(p, self.root) for p in discover([self.root])}
        return list(self._placements)

    def _load(self, path: Path) -> LoadedFile:
        key = path.resolve()
        if key not in self._loaded:
            self._loaded[key] = load_file(path, self.root)
        return self._loaded[key]

    def _files(self, kind: Kind) -> list[LoadedFile]:
        self._scan()
        assert self._placements is not None
        return [self._load(p) for p, placed in self._placements.items() if placed.kind == kind]

    def _collection(self, kind: Kind) -> dict[str, Entry]:
        if kind not in self._collections:
            files = self._files(kind)
            catalog, duplicates = build_catalog(files)
            issues = [i for f in files for i in f.issues] + duplicates
            if issues and not self.lenient:
                raise LibraryError(issues)
            self._left_out[kind] = issues
            self._collections[kind] = catalog.of(kind)
        return self._collections[kind]

    def _catalog(self) -> Catalog:
        """What resolving and rendering a persona needs, strictly loaded."""
        return Catalog(
            axis=self._collection("axis"),
            scenario=self._collection("scenario"),
            profile=self._collection("profile"),
            template=self._collection("template"),
        )

    def _scenario(self, scenario: str) -> Scenario:
        scenarios = self.scenarios()
        if scenario not in scenarios:
            raise LibraryLookupError(unknown_name("scenario", scenario, scenarios))
        return scenarios[scenario]

    def _persona_entry(self, persona: str | Persona) -> Entry:
        personas = self._collection("persona")
        if isinstance(persona, str):
            if persona not in personas:
                raise LibraryLookupError(unknown_name("persona", persona, personas))
            return personas[persona]
        known = personas.get(persona.id)
        if known is not None and known.obj == persona:
            return known
        target = persona_file(self.root, persona.scenario, persona.id)
        return Entry(persona, place(target, self.root))


def unknown_name(what: str, name: str, available: Iterable[str]) -> str:
    names = sorted(available)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {what} {name!r}{hint}; available: {', '.join(names) or '(none)'}"
