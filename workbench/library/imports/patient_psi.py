"""PATIENT-Ψ cognitive models → CBT profile + cbt_session persona.

A PATIENT-Ψ cognitive model has no demographics; those required fields are filled with stated
placeholders and listed in the report. Core beliefs and emotions are matched to the closed
vocabularies; a belief or emotion with no counterpart is reported, never invented.
"""

from __future__ import annotations

import difflib
from typing import Any

from workbench.domain.ccd import ALL_CORE_BELIEFS, EMOTIONS
from workbench.library.imports import Draft, RecordReport, record_id, text

BELIEF_KEYS = ("helpless_belief", "unlovable_belief", "worthless_belief")
STYLES = ("plain", "upset", "verbose", "reserved", "tangent", "pleasing")
_SYNONYMS = {"a victim": "victimized", "a loser": "a failure", "unwanted": "undesirable/unwanted",
             "unacceptable": "worthless/unacceptable", "toxic": "bad/dangerous/toxic",
             "weak": "powerless", "vulnerable": "powerless", "rejected": "bound to be rejected",
             "abandoned": "bound to be abandoned", "alone": "bound to be alone"}


def match_belief(raw: str) -> str | None:
    """Our closed-vocabulary core belief for a PATIENT-Ψ belief such as ``I am a victim.``."""
    phrase = raw.strip().rstrip(".").lower().removeprefix("i am ").strip()
    for part in [phrase, *(p.strip() for p in phrase.replace(" or ", ",").split(","))]:
        if part in ALL_CORE_BELIEFS:
            return part
        if part in _SYNONYMS:
            return _SYNONYMS[part]
        hits = [b for b in ALL_CORE_BELIEFS if part and (part in b.split("/") or b in part)]
        if hits:
            return hits[0]
    close = difflib.get_close_matches(phrase, ALL_CORE_BELIEFS, n=1, cutoff=0.8)
    return close[0] if close else None


def match_emotion(raw: str) -> str | None:
    """Our emotion group for a word or phrase such as ``anxious, worried, fearful``."""
    words = {w.strip().lower() for w in raw.replace("/", ",").split(",") if w.strip()}
    for emotion in EMOTIONS:
        if words & set(emotion.split("/")):
            return emotion
    return None


def _list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [v for v in str(value or "").split(";") if v.strip()] if value else []


def convert(record: dict[str, Any], index: int, prefix: str) -> Draft:
    """One PATIENT-Ψ cognitive model as a draft profile and persona."""
    pid = record_id(prefix, index, record, "id")
    report = RecordReport(index=index, profile_id=pid, persona_id=f"{pid}-psi")
    beliefs: list[str] = []
    for key in BELIEF_KEYS:
        for raw in _list(record.get(key)):
            found = match_belief(raw)
            if found and found not in beliefs:
                beliefs.append(found)
                report.mapped[f"{key}: {raw}"] = f"profile.cognitive_model.core_beliefs ({found})"
            elif not found:
                report.no_home[f"{key}: {raw}"] = "no belief of the closed vocabulary of 19"
    emotions: list[str] = []
    for raw in _list(record.get("emotion")):
        found = match_emotion(raw)
        if found and found not in emotions and len(emotions) < 3:
            emotions.append(found)
            report.mapped[f"emotion: {raw}"] = f"situations.0.emotions ({found})"
        else:
            report.no_home[f"emotion: {raw}"] = ("no emotion of the closed list of 9" if not found
                                                 else "already mapped, or past the 3 allowed")

    def take(key: str, target: str, placeholder: str) -> str:
        value = text(record.get(key))
        if value:
            report.mapped[key] = target
            return value
        report.filled[target] = placeholder
        return placeholder

    intermediate = take("intermediate_belief", "profile.cognitive_model.intermediate_beliefs",
                        "not recorded")
    if text(record.get("intermediate_belief_depression")):
        intermediate += " " + text(record["intermediate_belief_depression"])
        report.mapped["intermediate_belief_depression"] = (
            "profile.cognitive_model.intermediate_beliefs (appended)")
    situation = {
        "situation": take("situation", "situations.0.situation", "not recorded"),
        "automatic_thoughts": take("auto_thought", "situations.0.automatic_thoughts",
                                   "not recorded"),
        "emotions": emotions,
        "behavior": take("behavior", "situations.0.behavior", "not recorded"),
    }
    profile: dict[str, Any] = {
        "kind": "cbt", "id": pid,
        "life_history": take("history", "profile.life_history", "not recorded"),
        "cognitive_model": {
            "core_beliefs": beliefs, "intermediate_beliefs": intermediate,
            "coping_strategies": take("coping_strategies",
                                      "profile.cognitive_model.coping_strategies", "not recorded"),
            "situations": [situation],
        },
    }
    for field, placeholder in (("name", f"Client {index + 1}"), ("age", 40),
                               ("gender", "unspecified"), ("occupation", "unspecified")):
        profile[field] = placeholder
        report.filled[f"profile.{field}"] = str(placeholder)
    profile["presenting_problem"] = situation["situation"]
    report.filled["profile.presenting_problem"] = "the situation's text"
    styles = [s.lower() for s in _list(record.get("type"))]
    style = next((s for s in styles if s in STYLES), "plain")
    if styles:
        report.mapped["type"] = f"levels.conversational_style ({style})"
        for extra in styles:
            if extra != style:
                report.no_home[f"type: {extra}"] = "a persona has one conversational style"
    else:
        report.filled["levels.conversational_style"] = "plain"
    known = {*BELIEF_KEYS, "emotion", "intermediate_belief", "intermediate_belief_depression",
             "situation", "auto_thought", "behavior", "history", "coping_strategies", "type", "id"}
    for key in record:
        if key not in known:
            report.no_home[key] = "not a PATIENT-Ψ field the library knows"
    return Draft(profile=profile, scenario="cbt_session",
                 levels={"conversational_style": style}, report=report)
