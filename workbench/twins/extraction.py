"""Extracting a twin's facts: the prompt (a library template), and reading the model's reply.

Model output is untrusted. :func:`parse_extraction` accepts exactly one JSON object (optionally in
a Markdown code fence) and raises :class:`ExtractionError`, naming what is wrong, for anything
else: no object, an unfinished one, text around it. :func:`profile_from_facts` keeps only the
profile's fields, turns "unknown"-like answers into empty facts and never fills a gap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from workbench.domain.profile import EDProfile, TwinSource
from workbench.domain.prompts import render_template
from workbench.domain.transcript import Transcript

EXTRACTION_TEMPLATE = "twin_extraction.j2"
"""The extraction prompt, under ``personas/templates/``."""
NOT_FACTS = frozenset({"kind", "id", "twin"})
"""Profile fields that are bookkeeping, not facts a patient discloses."""
FACT_FIELDS: tuple[str, ...] = tuple(n for n in EDProfile.model_fields if n not in NOT_FACTS)
"""The ED profile fields a twin's extraction fills, in schema order."""
INT_FIELDS = frozenset({"age", "pain"})
UNKNOWN_ANSWERS = frozenset({"", "unknown", "not stated", "not mentioned", "not given",
                             "not specified", "not disclosed", "n/a", "na", "null", "none stated",
                             "not known", "unclear", "?"})
"""Answers that mean "the patient did not say" (a plain "none" is a fact: no allergies...)."""
PREVIEW_CHARS = 120
_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n(.*)\n\s*```$", re.DOTALL)


class ExtractionError(ValueError):
    """A model's extraction reply cannot become a profile; the message says why."""


def extraction_prompt(templates: Mapping[str, str], transcript: Transcript, corpus: str,
                      conversation: str) -> str:
    """The extraction prompt for one real conversation.

    Raises:
        PromptError: the library's template is missing or broken.
    """
    turns = [{"speaker": t.role, "text": t.text} for t in transcript.turns]
    fields = [{"name": n, "type": "integer" if n in INT_FIELDS else "text",
               "description": EDProfile.model_fields[n].description or ""} for n in FACT_FIELDS]
    example = {n: None for n in FACT_FIELDS[:3]} | {"chief_complaint": "cough for a week"}
    return render_template(EXTRACTION_TEMPLATE, dict(templates), {
        "corpus": corpus, "conversation": conversation, "fields": fields,
        "transcript_json": json.dumps(turns, ensure_ascii=False, indent=1),
        "example_json": json.dumps(example),
    })


def preview(text: str) -> str:
    """The start of an untrusted reply on one line, quoted, for an error message."""
    flat = " ".join(text.split())
    return repr(flat[:PREVIEW_CHARS] + ("…" if len(flat) > PREVIEW_CHARS else ""))


def parse_extraction(reply: str) -> dict[str, Any]:
    """The JSON object of an extraction reply.

    Raises:
        ExtractionError: the reply is empty, holds no JSON object, an unfinished or malformed
            one, or text outside it.
    """
    text = reply.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text:
        raise ExtractionError("the model's reply is empty")
    start = text.find("{")
    if start == -1:
        raise ExtractionError(f"the model's reply holds no JSON object: {preview(text)}")
    try:
        facts, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise ExtractionError(f"the model's JSON is unfinished or malformed ({exc.msg} at "
                              f"character {exc.pos}): {preview(text[start:])}") from None
    outside = (text[:start] + " " + text[end:]).strip()
    if outside:
        raise ExtractionError("the model's reply has text outside its JSON object "
                              f"({preview(outside)}); the prompt asks for the object alone")
    return facts  # type: ignore[no-any-return]  # raw_decode at "{" gives a dict


def profile_from_facts(facts: Mapping[str, Any], profile_id: str,
                       source: TwinSource) -> tuple[EDProfile, list[str]]:
    """A twin profile from extracted facts, and notes on what was dropped.

    Unknown keys are ignored; null and "unknown"-like answers become empty facts; a list of
    texts is joined with "; "; a number outside its range or of the wrong type is dropped.

    Raises:
        ExtractionError: the facts still do not validate (naming the fields).
    """
    notes: list[str] = []
    extra = sorted(str(k) for k in facts if k not in FACT_FIELDS)
    if extra:
        notes.append(f"ignored field(s) the profile does not have: {', '.join(extra)}")
    data: dict[str, Any] = {"kind": "ed", "id": profile_id, "twin": source}
    for name in FACT_FIELDS:
        value, problem = _fact(name, facts.get(name))
        data[name] = value
        if problem:
            notes.append(f"{name}: {problem}; left empty")
    try:
        return EDProfile.model_validate(data), notes
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}"
                             for e in exc.errors())
        raise ExtractionError(f"the extracted facts do not fit the profile: {problems}") from None


def _fact(name: str, value: Any) -> tuple[Any, str | None]:
    """A field's value from the model (empty when unknown) and why it was dropped, if it was."""
    empty: Any = None if name in INT_FIELDS else ""
    if value is None:
        return empty, None
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        value = "; ".join(str(v).strip() for v in value if str(v).strip())
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return empty, f"expected {'an integer' if name in INT_FIELDS else 'text'}, got {preview(json.dumps(value))}"
    if isinstance(value, str) and value.strip().lower().rstrip(".") in UNKNOWN_ANSWERS:
        return empty, None
    if name not in INT_FIELDS:
        return str(value).strip(), None
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not re.fullmatch(r"\d{1,3}", text):
        return None, f"expected an integer, got {preview(text)}"
    number = int(text)
    top = 120 if name == "age" else 10
    if number > top:
        return None, f"{number} is outside 0–{top}"
    return number, None
