"""MindEval-style attribute profiles → CBT profile + cbt_session persona.

An attribute profile describes a person (demographics, presenting concern, history, how they
talk, free attributes) but no cognitive diagram. Attributes with a home are mapped; optional
``core_beliefs`` / ``situation`` / ``emotions`` attributes fill the diagram when present; any
required diagram part without a source is a stated placeholder, listed in the report.
"""

from __future__ import annotations

from typing import Any

from workbench.library.imports import Draft, RecordReport, record_id, text
from workbench.library.imports.patient_psi import STYLES, match_belief, match_emotion

FIELDS = {"name": "name", "gender": "gender", "occupation": "occupation",
          "presenting_concern": "presenting_problem", "backstory": "life_history"}
STYLE_WORDS = {"guarded": "reserved", "withdrawn": "reserved", "talkative": "verbose",
               "rambling": "tangent", "agreeable": "pleasing", "irritable": "upset",
               "hostile": "upset", "direct": "plain"}


def convert(record: dict[str, Any], index: int, prefix: str) -> Draft:
    """One attribute profile as a draft profile and persona."""
    attributes = record.get("attributes") if isinstance(record.get("attributes"), dict) else {}
    flat = {**attributes, **{k: v for k, v in record.items() if k != "attributes"}}
    pid = record_id(prefix, index, flat, "profile_id", "id")
    report = RecordReport(index=index, profile_id=pid, persona_id=f"{pid}-mindeval")
    profile: dict[str, Any] = {"kind": "cbt", "id": pid}
    for key, field in FIELDS.items():
        value = text(flat.get(key))
        profile[field] = value or ("not recorded" if field != "name" else f"Client {index + 1}")
        if value:
            report.mapped[key] = f"profile.{field}"
        else:
            report.filled[f"profile.{field}"] = profile[field]
    try:
        profile["age"] = int(flat["age"])
        report.mapped["age"] = "profile.age"
    except (KeyError, TypeError, ValueError):
        profile["age"] = 40
        report.filled["profile.age"] = "40"
    extra_history = [f"{k.replace('_', ' ')}: {text(flat[k])}"
                     for k in ("relationship_status", "living_situation") if text(flat.get(k))]
    if extra_history:
        profile["life_history"] = " ".join([profile["life_history"], *extra_history]).strip()
        for k in ("relationship_status", "living_situation"):
            if text(flat.get(k)):
                report.mapped[k] = "profile.life_history (appended)"
    beliefs = []
    for raw in flat.get("core_beliefs") or []:
        found = match_belief(str(raw))
        if found and found not in beliefs:
            beliefs.append(found)
            report.mapped[f"core_beliefs: {raw}"] = f"cognitive_model.core_beliefs ({found})"
        else:
            report.no_home[f"core_beliefs: {raw}"] = "no belief of the closed vocabulary of 19"
    if not beliefs:
        beliefs = ["helpless"]
        report.filled["cognitive_model.core_beliefs"] = "helpless (no source)"
    emotions = [e for e in (match_emotion(str(r)) for r in flat.get("emotions") or []) if e][:3]
    if emotions:
        report.mapped["emotions"] = f"situations.0.emotions ({', '.join(emotions)})"
    else:
        emotions = ["anxious/worried"]
        report.filled["situations.0.emotions"] = "anxious/worried (no source)"
    situation = text(flat.get("situation"))
    if situation:
        report.mapped["situation"] = "situations.0.situation"
    else:
        situation = profile["presenting_problem"]
        report.filled["situations.0.situation"] = "the presenting concern"
    for part in ("automatic_thoughts", "behavior", "intermediate_beliefs", "coping_strategies"):
        report.filled[f"cognitive_model.{part}"] = "not recorded"
    profile["cognitive_model"] = {
        "core_beliefs": beliefs, "intermediate_beliefs": "not recorded",
        "coping_strategies": "not recorded",
        "situations": [{"situation": situation, "automatic_thoughts": "not recorded",
                        "emotions": emotions, "behavior": "not recorded"}],
    }
    raw_style = text(flat.get("communication_style")).lower()
    style = raw_style if raw_style in STYLES else STYLE_WORDS.get(raw_style, "plain")
    if raw_style:
        report.mapped["communication_style"] = f"levels.conversational_style ({style})"
    known = set(FIELDS) | {"age", "relationship_status", "living_situation", "core_beliefs",
                           "emotions", "situation", "communication_style", "profile_id", "id"}
    for key in flat:
        if key not in known:
            report.no_home[key] = "no field of the library's CBT profile holds it"
    return Draft(profile=profile, scenario="cbt_session",
                 levels={"conversational_style": style}, report=report)
