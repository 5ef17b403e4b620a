"""Prompt rendering: Jinja2 with StrictUndefined, so an unfilled slot is an error, never text.

Templates come from shared persona libraries, so they are untrusted: every template of the
workbench (persona, clinician, judge) renders in ``sandboxed_environment``, Jinja2's immutable
sandbox, where reaching outside the context (``cycler.__init__.__globals__``, ``__class__``,
mutating a list) raises ``jinja2.sandbox.SecurityError`` instead of running Python.

PATIENT-Ψ's public code let the word "undefined" reach the model when a template read a field the
data lacked. Here every name a template reads must exist; otherwise rendering fails with a message
naming the persona file, the template, its line and the missing field.
"""

from __future__ import annotations

import functools
import hashlib
import traceback
from collections.abc import Callable
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import (
    UNSAFE_FUNCTION_ATTRIBUTES,
    UNSAFE_METHOD_ATTRIBUTES,
    ImmutableSandboxedEnvironment,
    SecurityError,
)
from pydantic import BaseModel, ConfigDict

from workbench.domain.axes import Axis, Level, effective_sentence_cap
from workbench.domain.persona import Persona
from workbench.domain.profile import CBTProfile, EDProfile
from workbench.domain.scenario import Scenario


class PromptError(ValueError):
    """A persona cannot be rendered: names the file, template, line and field."""


class TemplateSecurityError(PromptError):
    """A template reached outside its context (the sandbox refused it).

    Attributes:
        template: The template's name.
        line: The line in the template, when known.
        detail: What the sandbox refused.
    """

    def __init__(self, source: str, template: str, line: int | None, detail: str):
        where = f"{template}:{line}" if line else template
        self.template, self.line = template, line
        self.detail = (f"the template reaches outside its context ({detail}); a template may "
                       "only read the fields it is given (persona, scenario, profile, axes...)")
        super().__init__(f"{source}: {where}: {self.detail}")


def unsafe_expressions(source: str) -> list[tuple[int, str]]:
    """Where a template reaches outside its context, found without rendering it: ``(line,
    attribute)`` for each private or internal attribute it reads (``x.__class__``,
    ``x["_y"]``, ``f.func_globals``). The sandbox refuses these when rendering; this finds them in
    templates no persona renders too (the judge's, an unused one).

    Raises:
        jinja2.TemplateSyntaxError: The source does not parse.
    """
    found = []
    for node in sandboxed_environment().parse(source).find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            name = node.arg.value
        else:
            continue
        if name.startswith("_") or name in _UNSAFE_NAMES:
            found.append((node.lineno, name))
    return found


_UNSAFE_NAMES = UNSAFE_FUNCTION_ATTRIBUTES | UNSAFE_METHOD_ATTRIBUTES | {
    "mro", "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_code", "ag_frame", "tb_frame"}


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, refusing an unsafe access where it happens.

    Jinja2's sandbox returns an undefined value for an unsafe attribute and raises only when that
    value is used; chained through filters (``x|attr('__init__')|attr('__globals__')``) the
    refusal then surfaces as a confusing "no attribute" error. Raising at once names the access.
    """

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        raise SecurityError(f"access to attribute {attribute!r} of a "
                            f"{type(obj).__name__!r} object is unsafe")


def sandboxed_environment(**options: Any) -> jinja2.Environment:
    """The one Jinja2 environment every template renders in: immutable sandbox, StrictUndefined.

    Args:
        options: Further ``jinja2.Environment`` options (loader, whitespace handling...).
    """
    return _Sandbox(undefined=jinja2.StrictUndefined, **options)


class ResolvedPersona(BaseModel):
    """A persona with its scenario, profile and axes looked up (what the library returns)."""

    model_config = ConfigDict(frozen=True)

    persona: Persona
    scenario: Scenario
    profile: EDProfile | CBTProfile
    axes: dict[str, Axis]
    """The scenario's axes by id (only those the persona sets)."""
    source: str = "<memory>"
    """Where the persona came from (file path), for error messages."""

    def level(self, axis_id: str, overrides: dict[str, str] | None = None) -> Level:
        """The active level of an axis, honouring per-turn overrides."""
        level_id = (overrides or {}).get(axis_id, self.persona.levels[axis_id])
        return self.axes[axis_id].level(level_id)

    def content_hash(self) -> str:
        """Hash of the persona and its resolved profile (what a transcript points to)."""
        return self.persona.content_hash(profile_json=self.profile.model_dump_json())


class RenderedPrompts(BaseModel):
    """Both system prompts of a conversation and the hashes of the templates that made them."""

    model_config = ConfigDict(frozen=True)

    patient: str
    """The patient's system prompt."""
    clinician: str
    """The clinician agent's system prompt."""
    patient_template_hash: str
    clinician_template_hash: str
    sentence_cap: int | None
    """Reply-length cap in force for the patient (None: no cap)."""


def template_hash(source: str) -> str:
    """Short stable hash of a template's source text."""
    return hashlib.sha256(source.encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=16)
def _environment(templates: tuple[tuple[str, str], ...]) -> jinja2.Environment:
    # Cached: compiling templates is ~95% of a render, and a run re-renders on state changes.
    sources = dict(templates)

    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        # FunctionLoader with the name as filename, so tracebacks carry the template line.
        return (sources[name], name, lambda: True) if name in sources else None

    return sandboxed_environment(
        loader=jinja2.FunctionLoader(load),
        autoescape=False,  # prompts are plain text for a model, not HTML
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _context(resolved: ResolvedPersona, overrides: dict[str, str] | None) -> dict[str, Any]:
    active: list[tuple[Axis, Level]] = []
    axes_ctx: dict[str, dict[str, Any]] = {}
    for axis_id in resolved.scenario.axes:
        if axis_id not in resolved.persona.levels:
            raise PromptError(
                f"{resolved.source}: field levels.{axis_id}: scenario "
                f"{resolved.scenario.id!r} needs a level for axis {axis_id!r}"
            )
        axis = resolved.axes[axis_id]
        try:
            level = resolved.level(axis_id, overrides)
        except KeyError as exc:
            raise PromptError(f"{resolved.source}: field levels.{axis_id}: {exc.args[0]}") from None
        active.append((axis, level))
        axes_ctx[axis_id] = {
            "id": axis.id,
            "label": axis.label,
            "level": level.id,
            "level_label": level.label,
            "prompt": level.prompt.strip(),
            "max_sentences": level.max_sentences,
        }
    profile = resolved.profile.model_dump(mode="python")
    if resolved.persona.questionnaires is not None:
        # A persona's own answers override the profile's (and change its hash, so its prompts).
        profile["questionnaires"] = resolved.persona.questionnaires.model_dump(mode="python")
    return {
        "persona": {"id": resolved.persona.id},
        "scenario": resolved.scenario.model_dump(mode="python"),
        "profile": profile,
        "axes": axes_ctx,
        "sentence_cap": effective_sentence_cap(active),
        "end_marker": resolved.scenario.end_marker,
    }


def _line_in(exc: BaseException, template_name: str) -> int | None:
    """The innermost line of ``template_name`` in an exception's traceback (Jinja maps frames)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == template_name or frame.filename.endswith("/" + template_name):
            line = frame.lineno
    return line


def _undefined_message(exc: jinja2.UndefinedError, template_name: str) -> str:
    line = _line_in(exc, template_name)
    where = f"{template_name}:{line}" if line else template_name
    return f"{where} uses a field that is not set: {exc.message}"


def render_prompts(
    resolved: ResolvedPersona,
    templates: dict[str, str],
    overrides: dict[str, str] | None = None,
) -> RenderedPrompts:
    """Render the patient and clinician system prompts of a persona.

    Args:
        resolved: the persona with scenario, profile and axes.
        templates: template name → source (the library reads ``personas/templates/``).
        overrides: per-turn level overrides (e.g. ``{"confusion": "moderate"}``).

    Raises:
        PromptError: naming the persona file and the field when a slot is unfilled, a level is
            unknown or a template is missing.
    """
    env = _environment(tuple(sorted(templates.items())))
    context = _context(resolved, overrides)
    rendered: dict[str, str] = {}
    hashes: dict[str, str] = {}
    for side, name in (
        ("patient", resolved.scenario.patient_template),
        ("clinician", resolved.scenario.clinician_template),
    ):
        if name not in templates:
            raise PromptError(
                f"{resolved.source}: scenario {resolved.scenario.id!r} field {side}_template: "
                f"no template named {name!r} in personas/templates/"
            )
        try:
            text = env.get_template(name).render(context)
        except SecurityError as exc:  # before UndefinedError: the sandbox's refusals are both
            raise TemplateSecurityError(resolved.source, name, _line_in(exc, name), str(exc)
                                        ) from None
        except jinja2.UndefinedError as exc:
            raise PromptError(f"{resolved.source}: {_undefined_message(exc, name)}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise PromptError(f"{name}:{exc.lineno}: template syntax error: {exc.message}") from None
        except jinja2.TemplateError as exc:
            raise PromptError(f"{resolved.source}: template {name}: {exc}") from None
        rendered[side] = _tidy(text)
        hashes[side] = template_hash(templates[name])
    return RenderedPrompts(
        patient=rendered["patient"],
        clinician=rendered["clinician"],
        patient_template_hash=hashes["patient"],
        clinician_template_hash=hashes["clinician"],
        sentence_cap=context["sentence_cap"],
    )


def render_template(name: str, templates: dict[str, str], context: dict[str, Any]) -> str:
    """Render one library template (e.g. the twin-extraction prompt) with ``context``, through
    the same StrictUndefined environment as the persona prompts.

    Raises:
        PromptError: the template is missing, broken or reads a name ``context`` lacks.
    """
    if name not in templates:
        raise PromptError(f"no template named {name!r} in personas/templates/")
    try:
        text = _environment(tuple(sorted(templates.items()))).get_template(name).render(context)
    except jinja2.UndefinedError as exc:
        raise PromptError(_undefined_message(exc, name)) from None
    except jinja2.TemplateSyntaxError as exc:
        raise PromptError(f"{name}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise PromptError(f"template {name}: {exc}") from None
    return _tidy(text)


def _tidy(text: str) -> str:
    """Collapse runs of blank lines left by template blocks."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out)
