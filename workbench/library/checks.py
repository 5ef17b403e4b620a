"""References between library files, and rendering every persona that a change can affect.

A persona must name an existing scenario and a profile of the scenario's kind, and set exactly
one known level for each of the scenario's axes; a scenario must name existing templates and
axes; a script an existing scenario. Rendering failures (a template reading a field that is not
in its context) are reported once per template line, naming the first persona that hit them.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2 import nodes

from workbench.domain.persona import Persona
from workbench.domain.prompts import (
    PromptError,
    RenderedPrompts,
    ResolvedPersona,
    TemplateSecurityError,
    render_prompts,
)
from workbench.domain.scenario import Scenario
from workbench.library.catalog import Catalog, Entry, LoadedFile
from workbench.library.issues import Issue


def _unknown(catalog: Catalog, kind: str, key: str, what: str, available: Iterable[str]) -> str:
    broken = catalog.broken.get((kind, key))
    if broken is not None:
        return f"{what} {key!r} cannot be used: {broken} has errors"
    return f"unknown {what} {key!r}; available: {', '.join(sorted(available)) or '(none)'}"


def check_persona(entry: Entry, catalog: Catalog) -> list[Issue]:
    """Issues in a persona's references (scenario, profile, axes and levels)."""
    persona: Persona = entry.obj
    issues: list[Issue] = []

    def report(field: str, message: str) -> None:
        issues.append(Issue(entry.path, field, message, entry.line_of(*field.split("."))))

    scenario_entry = catalog.scenario.get(persona.scenario)
    if scenario_entry is None:
        report(
            "scenario",
            _unknown(catalog, "scenario", persona.scenario, "scenario", catalog.scenario),
        )
        return issues
    scenario: Scenario = scenario_entry.obj
    folder = entry.placement.scenario_folder
    if folder is not None and folder != scenario.id:
        report(
            "scenario",
            f"the file is in personas/{folder}/ but its scenario is "
            f"{scenario.id!r}; move it to personas/{scenario.id}/ or fix the scenario",
        )
    same_kind = [k for k, e in catalog.profile.items() if e.obj.kind == scenario.profile_kind]
    profile_entry = catalog.profile.get(persona.profile)
    if profile_entry is None:
        report(
            "profile",
            _unknown(
                catalog, "profile", persona.profile, f"{scenario.profile_kind} profile", same_kind
            ),
        )
    elif profile_entry.obj.kind != scenario.profile_kind:
        report(
            "profile",
            f"profile {persona.profile!r} is a {profile_entry.obj.kind} profile "
            f"but scenario {scenario.id!r} takes {scenario.profile_kind} profiles; "
            f"available: {', '.join(sorted(same_kind)) or '(none)'}",
        )
    for axis_id in scenario.axes:
        _check_level(persona, scenario, axis_id, catalog, report)
    for axis_id in persona.levels:
        if axis_id in scenario.axes:
            continue
        if axis_id in scenario.optional_axes:
            _check_level(persona, scenario, axis_id, catalog, report)
            continue
        if axis_id in catalog.axis:
            report(
                f"levels.{axis_id}",
                f"axis {axis_id!r} is not used by scenario "
                f"{scenario.id!r} (its axes: {', '.join(scenario.axes)}); remove it",
            )
        else:
            report(
                f"levels.{axis_id}",
                f"unknown axis {axis_id!r}; scenario {scenario.id!r} "
                f"uses: {', '.join(scenario.axes)}",
            )
    return issues


def _check_level(
    persona: Persona,
    scenario: Scenario,
    axis_id: str,
    catalog: Catalog,
    report: Callable[[str, str], None],
) -> None:
    field = f"levels.{axis_id}"
    axis_entry = catalog.axis.get(axis_id)
    if axis_entry is None:
        report(
            field,
            f"scenario {scenario.id!r} uses axis {axis_id!r}, but "
            + _unknown(catalog, "axis", axis_id, "axis", catalog.axis),
        )
        return
    valid = ", ".join(axis_entry.obj.level_ids)
    level_id = persona.levels.get(axis_id)
    if level_id is None:
        report(
            field,
            f"no level set for axis {axis_id!r} (scenario {scenario.id!r} needs one "
            f"for each of: {', '.join(scenario.axes)}); valid levels: {valid}",
        )
    elif level_id not in axis_entry.obj.level_ids:
        report(field, f"unknown level {level_id!r} for axis {axis_id!r}; valid: {valid}")


def check_scenario(entry: Entry, catalog: Catalog) -> list[Issue]:
    """Issues in a scenario's references (templates, axes, default rubric)."""
    scenario: Scenario = entry.obj
    issues: list[Issue] = []
    for field in ("patient_template", "clinician_template"):
        name = getattr(scenario, field)
        if name not in catalog.template:
            issues.append(
                Issue(
                    entry.path,
                    field,
                    "no usable template: "
                    + _unknown(catalog, "template", name, "template", catalog.template),
                    entry.line_of(field),
                )
            )
    seen: set[str] = set()
    for i, axis_id in enumerate(scenario.axes):
        if axis_id in seen:
            issues.append(
                Issue(
                    entry.path,
                    f"axes.{i}",
                    f"axis {axis_id!r} is listed twice",
                    entry.line_of("axes", i),
                )
            )
        seen.add(axis_id)
        if axis_id not in catalog.axis:
            message = _unknown(catalog, "axis", axis_id, "axis", catalog.axis)
            issues.append(Issue(entry.path, f"axes.{i}", message, entry.line_of("axes", i)))
    for i, axis_id in enumerate(scenario.optional_axes):
        if axis_id not in catalog.axis:
            message = _unknown(catalog, "axis", axis_id, "axis", catalog.axis)
            issues.append(Issue(entry.path, f"optional_axes.{i}", message,
                                entry.line_of("optional_axes", i)))
    rubric = scenario.default_rubric
    if rubric is not None and rubric not in catalog.rubric:
        message = f"no rubric {rubric!r} in rubrics/ (add rubrics/{rubric}.yaml or remove it)"
        issues.append(Issue(entry.path, "default_rubric", message, entry.line_of("default_rubric")))
    return issues


def check_script(entry: Entry, catalog: Catalog) -> list[Issue]:
    """Issues in a script's references (its scenario)."""
    scenario = entry.obj.scenario
    if scenario in catalog.scenario:
        return []
    message = _unknown(catalog, "scenario", scenario, "scenario", catalog.scenario)
    return [Issue(entry.path, "scenario", message, entry.line_of("scenario"))]


def resolve_entry(entry: Entry, catalog: Catalog) -> ResolvedPersona:
    """The persona with its scenario, profile and axes (call :func:`check_persona` first)."""
    persona: Persona = entry.obj
    scenario: Scenario = catalog.scenario[persona.scenario].obj
    return ResolvedPersona(
        persona=persona,
        scenario=scenario,
        profile=catalog.profile[persona.profile].obj,
        # Optional axes (e.g. arc) only when the persona sets them: a persona without one is as
        # if the axis did not exist (no rubric item, no prompt part).
        axes={axis_id: catalog.axis[axis_id].obj
              for axis_id in (*scenario.axes,
                              *(a for a in scenario.optional_axes if a in persona.levels))
              if axis_id in catalog.axis},
        source=str(entry.path),
    )


@dataclass(frozen=True)
class RenderFailure:
    """Why a persona did not render, located in the template when possible."""

    template: str | None
    line: int | None
    field: str
    detail: str


# Rendering runs templates, which are researcher-written code: their runtime errors are user
# errors to report, not bugs to hide. render_prompts wraps only undefined names and syntax.
TEMPLATE_ERRORS = (
    PromptError,
    jinja2.TemplateError,
    TypeError,
    ValueError,
    ArithmeticError,
    LookupError,
    AttributeError,
)


def render_entry(
    entry: Entry, catalog: Catalog, overrides: dict[str, str] | None = None
) -> RenderedPrompts:
    """Render a checked persona with the catalog's templates (raises ``TEMPLATE_ERRORS``)."""
    templates = {name: e.obj for name, e in catalog.template.items()}
    return render_prompts(resolve_entry(entry, catalog), templates, overrides)


def explain_render_error(exc: BaseException, catalog: Catalog, source: str = "") -> RenderFailure:
    """Turn a rendering exception into a template, line and dotted field.

    Args:
        exc: what rendering raised.
        catalog: the templates, to find the failing expression.
        source: the persona's file, stripped from domain messages that start with it (so
            failures of many personas group into one issue).
    """
    # render_prompts raises PromptError "from None": the Jinja error (whose traceback holds the
    # template line) is still on __context__, so the line can be found when the message lacks it.
    if isinstance(exc, TemplateSecurityError):
        return RenderFailure(exc.template, exc.line, "", exc.detail)
    undefined = exc if isinstance(exc, jinja2.UndefinedError) else exc.__context__
    marker = " uses a field that is not set: "
    if isinstance(exc, PromptError) and marker in str(exc):
        where, detail = str(exc).split(marker, 1)
        name, _, line_text = where.rsplit(": ", 1)[-1].partition(":")
        line = int(line_text) if line_text.isdigit() else _template_line(undefined)
        template = catalog.template[name].obj if name in catalog.template else ""
        return RenderFailure(name, line, _field_path(template, detail, line), detail)
    if isinstance(exc, jinja2.UndefinedError):
        return RenderFailure(None, _template_line(exc), "", exc.message or str(exc))
    if isinstance(exc, PromptError):  # already names the field
        return RenderFailure(None, None, "", str(exc).removeprefix(f"{source}: "))
    return RenderFailure(None, _template_line(exc), "", f"{type(exc).__name__}: {exc}")


def _template_line(exc: BaseException | None) -> int | None:
    """Line of the innermost template frame in a traceback (Jinja rewrites frames to templates)."""
    if exc is None:
        return None
    lines = [
        f.lineno
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename == "<template>" or f.filename.endswith(".j2")
    ]
    return lines[-1] if lines else None


_MISSING_NAME = re.compile(r"has no (?:attribute|element) '?([^']+?)'?$|^'([^']+)' is undefined")


def _field_path(source: str, detail: str, line: int | None) -> str:
    """The dotted expression (``profile.nickname``) a template failed on, from its syntax tree."""
    match = _MISSING_NAME.search(detail)
    if not match or not source:
        return ""
    name = match.group(1) or match.group(2)
    found: list[nodes.Node] = []
    for node in (
        jinja2.Environment().parse(source).find_all((nodes.Getattr, nodes.Getitem, nodes.Name))
    ):
        if (
            (isinstance(node, nodes.Getattr) and node.attr == name)
            or (
                isinstance(node, nodes.Getitem)
                and isinstance(node.arg, nodes.Const)
                and str(node.arg.value) == name
            )
            or (isinstance(node, nodes.Name) and node.name == name and node.ctx == "load")
        ):
            found.append(node)
    on_line = [n for n in found if n.lineno == line] or found
    return _dotted(on_line[0]) if on_line else name


def _dotted(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_dotted(node.node)}.{node.arg.value}"
    return "(expression)"


def failure_issue(
    failure: RenderFailure, persona_path: Path, catalog: Catalog, more: int = 0
) -> Issue:
    """An issue for a rendering failure: at the template line, naming the persona file."""
    also = f" (and {more} more persona{'s' if more > 1 else ''})" if more else ""
    template = catalog.template.get(failure.template or "")
    if failure.field:
        message = (
            f"is not set when rendering persona {persona_path}{also} "
            f"[{failure.detail}]; the template context holds persona.id, scenario.*, "
            "profile.*, axes.<axis>.*, sentence_cap and end_marker"
        )
    else:
        message = f"rendering persona {persona_path}{also} failed: {failure.detail}"
    return Issue(template.path if template else persona_path, failure.field, message, failure.line)


def render_issues(entries: Iterable[Entry], catalog: Catalog) -> list[Issue]:
    """Render each (already checked) persona; one issue per distinct failure."""
    failures: dict[RenderFailure, list[Path]] = {}
    for entry in entries:
        try:
            render_entry(entry, catalog)
        except TEMPLATE_ERRORS as exc:
            failure = explain_render_error(exc, catalog, str(entry.path))
            failures.setdefault(failure, []).append(entry.path)
    return [failure_issue(f, paths[0], catalog, len(paths) - 1) for f, paths in failures.items()]


def check_files(checked: list[LoadedFile], catalog: Catalog) -> list[Issue]:
    """Reference and rendering issues of the checked files, against the catalog."""
    issues: list[Issue] = []
    keys: dict[str, set[str]] = {}
    to_render: dict[str, Entry] = {}
    for loaded in checked:
        if loaded.entry is None or loaded.kind is None:
            continue
        keys.setdefault(loaded.kind, set()).add(loaded.key)
        if loaded.kind == "persona":
            found = check_persona(loaded.entry, catalog)
            issues += found
            if not found:
                to_render[str(loaded.path)] = loaded.entry
        elif loaded.kind == "scenario":
            issues += check_scenario(loaded.entry, catalog)
        elif loaded.kind == "script":
            issues += check_script(loaded.entry, catalog)
    for entry in catalog.persona.values():
        # a dependent persona that cannot even resolve says nothing new about the change
        if (
            str(entry.path) not in to_render
            and _depends_on(entry.obj, keys, catalog)
            and not check_persona(entry, catalog)
            and _has_templates(entry.obj, catalog)
        ):
            to_render[str(entry.path)] = entry
    return issues + render_issues(to_render.values(), catalog)


def _has_templates(persona: Persona, catalog: Catalog) -> bool:
    scenario: Scenario = catalog.scenario[persona.scenario].obj
    return {scenario.patient_template, scenario.clinician_template} <= set(catalog.template)


def _depends_on(persona: Persona, keys: dict[str, set[str]], catalog: Catalog) -> bool:
    """Whether a change to the checked files can change how this persona renders."""
    scenario = catalog.scenario.get(persona.scenario)
    templates = (
        {scenario.obj.patient_template, scenario.obj.clinician_template} if scenario else set()
    )
    return bool(
        persona.scenario in keys.get("scenario", set())
        or persona.profile in keys.get("profile", set())
        or set(persona.levels) & keys.get("axis", set())
        or templates & keys.get("template", set())
    )
