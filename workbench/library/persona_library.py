"""The persona library: reading (see :mod:`.reader`) plus composing and saving personas."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError

from workbench.domain.persona import Persona
from workbench.domain.profile import blank_fields
from workbench.library.catalog import Entry
from workbench.library.checks import check_persona, render_issues
from workbench.library.documents import dump_yaml
from workbench.library.grid import DESIGNS, build_grid, default_persona_id
from workbench.library.issues import (
    Issue,
    LibraryError,
    LibraryLookupError,
    issues_from_validation_error,
)
from workbench.library.layout import Kind, grid_dir, persona_file, place, profile_file
from workbench.library.reader import LibraryReader, Profile, unknown_name


class Library(LibraryReader):
    """The persona library under ``root``: axes, scenarios, profiles, personas, templates, scripts.

    Files are read lazily, one kind at a time, and kept until :meth:`refresh`. Accessors raise
    :class:`LibraryError` (its message lists one issue per line) when a file of the kind asked
    for is invalid, and :class:`LibraryLookupError` for an id the library does not have. Every
    write validates first and is all or nothing.
    """

    def compose_persona(
        self,
        scenario: str,
        profile: str,
        levels: Mapping[str, str],
        id: str | None = None,
    ) -> Persona:
        """A persona from a scenario, a profile and one level per axis, fully checked.

        The id defaults to ``<profile>-<level>-<level>...`` in the scenario's axis order.

        Raises:
            LibraryLookupError: unknown scenario.
            LibraryError: the combination is invalid (listing each problem).
        """
        scenario_obj = self._scenario(scenario)
        ordered = {a: levels[a] for a in scenario_obj.axes if a in levels}
        ordered.update({a: v for a, v in levels.items() if a not in ordered})
        complete = all(a in ordered for a in scenario_obj.axes)
        if id is None:
            id = default_persona_id(profile, scenario_obj, ordered) if complete else "new"
        target = persona_file(self.root, scenario, id)
        try:
            persona = Persona(id=id, scenario=scenario, profile=profile, levels=ordered)
        except ValidationError as exc:
            raise LibraryError(issues_from_validation_error(exc, target, Persona)) from None
        issues = check_persona(Entry(persona, place(target, self.root)), self._catalog())
        if issues:
            raise LibraryError(issues)
        return persona

    def save_persona(self, persona: Persona, overwrite: bool = False) -> Path:
        """Write a persona to ``personas/<scenario>/<id>.yaml`` after full validation.

        Nothing is written when the persona is invalid, does not render, would overwrite a file
        (unless ``overwrite``) or reuses the id of a persona in another file.

        Raises:
            LibraryError: listing what is wrong.
        """
        target = persona_file(self.root, persona.scenario, persona.id)
        self._check_target("persona", persona.id, target, overwrite)
        catalog = self._catalog()
        entry = Entry(persona, place(target, self.root))
        issues = check_persona(entry, catalog) or render_issues([entry], catalog)
        if issues:
            raise LibraryError(issues)
        _write_atomic(target, dump_yaml(persona.model_dump(mode="json", exclude_defaults=True)))
        self.refresh()
        return target

    def save_profile(self, profile: Profile, overwrite: bool = False) -> Path:
        """Write a profile to ``profiles/<kind>/<id>.yaml`` (every text field must be filled,
        except in a twin, whose unknown facts stay empty).

        Raises:
            LibraryError: listing what is wrong; nothing is written.
        """
        target = profile_file(self.root, profile.kind, profile.id)
        self._check_target("profile", profile.id, target, overwrite)
        empty = [
            Issue(
                target,
                name,
                "is empty; write the fact (use 'none' or 'unknown' when that is the fact)",
            )
            for name in blank_fields(profile)
        ]
        if empty:
            raise LibraryError(empty)
        _write_atomic(target, dump_yaml(profile.model_dump(mode="json", exclude_none=True)))
        self.refresh()
        return target

    def grid_dir(self, scenario: str, design: str | None) -> Path:
        """Default folder for a generated grid: ``personas/<scenario>/grid-<design>/``."""
        return grid_dir(self.root, scenario, design)

    def grid(
        self,
        design: str | None,
        *,
        profiles: Sequence[str] | None = None,
        levels: Mapping[str, Sequence[str]] | None = None,
        scenario: str,
    ) -> list[Persona]:
        """The personas of a factorial design (no file is written).

        Args:
            design: a name in ``DESIGNS`` (e.g. ``patientsim``), or None for the plain product
                of the chosen levels (every level of axes not in ``levels``).
            profiles: profile ids (default: every profile of the scenario's kind).
            levels: axis id → levels to keep (narrows a design).
            scenario: scenario id.

        Raises:
            LibraryLookupError: unknown design, scenario, profile, axis or level.
        """
        if design is not None and design not in DESIGNS:
            raise LibraryLookupError(unknown_name("design", design, DESIGNS))
        scenario_obj = self._scenario(scenario)
        known = self.profiles()
        kind = scenario_obj.profile_kind
        same_kind = sorted(k for k, p in known.items() if p.kind == kind)
        for profile in profiles or ():
            if profile not in known:
                raise LibraryLookupError(unknown_name(f"{kind} profile", profile, same_kind))
            if known[profile].kind != kind:
                raise LibraryLookupError(
                    f"profile {profile!r} is a {known[profile].kind} profile "
                    f"but scenario {scenario!r} takes {kind} profiles"
                )
        chosen = list(dict.fromkeys(profiles)) if profiles else same_kind
        return build_grid(
            scenario_obj, self.axes(), chosen, DESIGNS[design] if design else None, levels
        )

    def write_grid(
        self, personas: Sequence[Persona], out_dir: Path | str, overwrite: bool = False
    ) -> list[Path]:
        """Write personas to ``out_dir/<id>.yaml`` after validating all of them.

        All or nothing: nothing is written when any persona is invalid or does not render, when
        an id is used by a different library persona in another file, or when a file exists
        and ``overwrite`` is False. A persona the library already holds elsewhere (same id,
        same content) is left where it is and not written again.

        Returns:
            The files written.

        Raises:
            LibraryError: listing what is wrong.
        """
        out_dir = Path(out_dir)
        ids = [p.id for p in personas]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise LibraryError(f"the grid repeats persona ids: {', '.join(repeated)}")
        personas = [p for p in personas if not self._held_elsewhere(p, out_dir / f"{p.id}.yaml")]
        ids = [p.id for p in personas]
        targets = [out_dir / f"{p.id}.yaml" for p in personas]
        catalog = self._catalog()
        entries = [Entry(p, place(t, self.root)) for p, t in zip(personas, targets, strict=True)]
        if entries and entries[0].placement.inside and entries[0].placement.kind != "persona":
            raise LibraryError(
                f"{out_dir} is inside the library but not under personas/"
                "<scenario>/; personas cannot be written there"
            )
        issues = [i for e in entries for i in check_persona(e, catalog)]
        issues = issues or render_issues(entries, catalog)
        if entries and entries[0].placement.inside:
            issues += self._id_clashes(dict(zip(ids, targets, strict=True)))
        if issues:
            raise LibraryError(issues)
        existing = [t for t in targets if t.exists()]
        if existing and not overwrite:
            raise LibraryError(
                f"{len(existing)} of {len(targets)} files already exist in "
                f"{out_dir} (e.g. {existing[0].name}); pass overwrite=True "
                "(--overwrite) to replace them"
            )
        for persona, target in zip(personas, targets, strict=True):
            _write_atomic(target, dump_yaml(persona.model_dump(mode="json", exclude_defaults=True)))
        self.refresh()
        return targets

    def _check_target(self, kind: Kind, obj_id: str, target: Path, overwrite: bool) -> None:
        clashes = self._id_clashes({obj_id: target}, kind)
        if clashes:
            raise LibraryError(clashes)
        if target.exists() and not overwrite:
            raise LibraryError(
                [Issue(target, "", "a file with this id already exists: choose another id, or "
                       "allow overwriting to replace it")]
            )

    def _held_elsewhere(self, persona: Persona, target: Path) -> bool:
        """Whether the library already has this very persona in a file other than ``target``."""
        if not _is_inside(target, self.root):
            return False
        known = {f.key: f for f in self._files("persona")}.get(persona.id)
        if known is None or known.entry is None or known.path.resolve() == target.resolve():
            return False
        return _content(known.entry.obj) == _content(persona)

    def _id_clashes(self, targets: Mapping[str, Path], kind: Kind = "persona") -> list[Issue]:
        """Ids already used by library files other than their target (valid or not)."""
        return [
            Issue(
                targets[f.key],
                "id",
                f"{kind} id {f.key!r} is already used by {f.path}; choose another id",
            )
            for f in self._files(kind)
            if f.key in targets and f.path.resolve() != targets[f.key].resolve()
        ]


def validate(
    paths: Iterable[Path | str] | None = None, *, root: Path | str | None = None
) -> list[Issue]:
    """Every issue in the given files or folders, checked against the library at ``root``."""
    return Library(root).validate(paths)


def _content(persona: Persona) -> dict[str, object]:
    """What makes two personas the same (notes are for people, not prompts)."""
    return persona.model_dump(mode="json", exclude={"notes"})


def _is_inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
