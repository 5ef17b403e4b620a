"""Shaping stored conversations for reading: inert text, highlighted hits, turn captions, facts.

Model output is untrusted. Everything here returns either plain text, for elements that never
interpret it (``st.text``, ``st.code``, dataframes), or Markdown in which every character that
came from a model or a user has been neutralised: HTML is entity-escaped and every other ASCII
punctuation mark is backslash-escaped, so no tag, link, image (``![x](http://...)``), emphasis,
LaTeX or Streamlit directive (``:red[...]``, ``:material/...:``) in a reply can take effect.
"""

from __future__ import annotations

import html
import math
import re
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from workbench.domain.sessions import session_of
from workbench.analysis.roles import LABELS as ROLE_LABELS
from workbench.analysis.roles import role_flags
from workbench.domain.transcript import Role, Transcript, Turn
from workbench.store.records import ConversationFilter, PersonaRecord, TurnHit

PAGE_SIZE = 50
"""Conversations per page of the browser."""

HIT_MARK = re.compile(r"«([^«»]*)»")
"""How the store marks a full-text hit inside a snippet."""

# html.escape turns & < > into entities first; the entities' own '&' and ';' must stay intact.
_ESCAPED = {c: "\\" + c for c in string.punctuation if c not in "&;"}
_ESCAPED.update({"\r": "", "\n": "  \n"})  # keep the reply's line breaks as hard breaks

_FACET_LABELS = {
    "scenario": "Scenario",
    "profile": "Profile",
    "patient_model": "Patient model",
    "clinician": "Clinician",
    "run_id": "Run",
    "status": "Status",
    "source": "Source",
}
_FILTER_FIELDS = {"scenario", "profile", "patient_model", "clinician", "run_id", "status", "source"}

AVATARS: dict[Role, str] = {"patient": ":material/personal_injury:",
                            "clinician": ":material/stethoscope:"}
HUMAN_AVATAR = ":material/school:"
ROLE_COLOURS: dict[Role, str] = {"patient": "orange", "clinician": "blue"}
"""Streamlit colour of each role's name in every chat view."""


def speaker_label(name: str, role: Role) -> str:
    """``:orange[**patient**]``: a speaker's name in the role's colour, inert."""
    return f":{ROLE_COLOURS[role]}[**{inert_markdown(name)}**]"


def inert_markdown(text: str) -> str:
    """Markdown that shows ``text`` literally: no HTML, link, image, emphasis or directive.

    The mapping is per character, so escaping chunks of a stream one by one gives the same result
    as escaping the whole text (see ``inert_stream``).
    """
    return "".join(_ESCAPED.get(c, c) for c in html.escape(text, quote=False))


def inert_table(rows: Sequence[Mapping[str, object]]) -> list[dict[str, str]]:
    """Rows for ``st.table``, every header and cell inert: ``st.table`` renders Markdown in them.

    Unlike ``st.dataframe``, whose columns cut long values at a fixed width, ``st.table`` wraps
    them at spaces and hyphens, so the levels are read whole.
    """
    return [{inert_markdown(str(k)): inert_markdown(str(v)) for k, v in row.items()}
            for row in rows]


def facts_markdown(facts: Sequence[Mapping[str, str]]) -> str:
    """``field/value`` rows as lines of inert Markdown, ``**field**: value`` each.

    For a narrow column: a paragraph breaks a long file path or id anywhere when it must (a
    table cannot shrink below its longest unbroken word, and ``st.dataframe`` cuts), and the
    text stays as it is, so a copied path or id still works.
    """
    return "  \n".join(f"**{inert_markdown(row['field'])}**: {inert_markdown(row['value'])}"
                        for row in facts)


def inert_stream(chunks: Iterable[str]) -> Iterator[str]:
    """Escape a stream of model text chunk by chunk, for ``st.write_stream``."""
    for chunk in chunks:
        yield inert_markdown(chunk)


def highlight_snippet(snippet: str, style: str = "orange-background") -> str:
    """Markdown of a search snippet with its «hits» highlighted and everything else inert.

    Args:
        snippet: A ``TurnHit.snippet``: plain text with hits marked «like this».
        style: A Streamlit colour directive wrapped around each hit.
    """
    out, last = [], 0
    for match in HIT_MARK.finditer(snippet):
        out.append(inert_markdown(snippet[last:match.start()]))
        out.append(f":{style}[{inert_markdown(match.group(1))}]")
        last = match.end()
    out.append(inert_markdown(snippet[last:]))
    return "".join(out).replace("  \n", " ")  # one line per hit


def hit_line(hit: TurnHit) -> str:
    """Markdown for one search hit: where it is, who spoke, and the highlighted snippet."""
    where = inert_markdown(f"{hit.conversation_id} · turn {hit.idx} · {hit.role}: ")
    return where + highlight_snippet(hit.snippet)


def facet_label(key: str) -> str:
    """A human label for a ``Store.facets()`` key (``axis:<id>`` becomes the axis id)."""
    if key.startswith("axis:"):
        return key.removeprefix("axis:").replace("_", " ").capitalize()
    return _FACET_LABELS.get(key, key.replace("_", " ").capitalize())


def browse_filter(
    chosen: dict[str, list[str]],
    *,
    min_turns: int | None = None,
    max_turns: int | None = None,
    text: str | None = None,
) -> ConversationFilter:
    """The store filter for the values chosen per facet key (empty lists mean any value)."""
    levels = {k.removeprefix("axis:"): v for k, v in chosen.items() if k.startswith("axis:") and v}
    columns = {k: v for k, v in chosen.items() if k in _FILTER_FIELDS and v}
    return ConversationFilter(
        levels=levels,
        min_turns=min_turns,
        max_turns=max_turns,
        text=text.strip() if text and text.strip() else None,
        **columns,
    )


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    """Pages needed for ``total`` rows (at least one, so a page number input has a range)."""
    return max(1, math.ceil(total / size))


def role_names(persona: PersonaRecord | None) -> dict[Role, str]:
    """What each side is called in the persona's scenario (``client`` / ``therapist``...)."""
    scenario = (persona.body.get("scenario") or {}) if persona else {}
    return {"patient": scenario.get("patient_role") or "patient",
            "clinician": scenario.get("clinician_role") or "clinician"}


class Bubble(NamedTuple):
    """One chat bubble: who speaks (name and avatar), what they said and the turn's caption."""

    name: str
    avatar: str
    text: str
    """The turn's text, plain: render it with ``st.text``, never as Markdown."""
    caption: str
    """Inert Markdown for ``st.caption``."""
    speaker: str = ""
    """The speaker's name, bold and in the role's colour (inert Markdown): shown at the top of
    the bubble, so patient and clinician differ by more than a small icon."""


def chat_bubbles(transcript: Transcript, persona: PersonaRecord | None = None) -> list[Bubble]:
    """The conversation's turns as chat bubbles, each with its state, latency and tokens."""
    names = role_names(persona)
    human = (transcript.clinician or "").startswith("human:")
    bubbles = []
    for turn in transcript.turns:
        avatar = HUMAN_AVATAR if human and turn.role == "clinician" else AVATARS[turn.role]
        caption = inert_markdown(turn_caption(turn, transcript.levels))
        bubbles.append(Bubble(names[turn.role], avatar, turn.text, caption,
                              speaker_label(names[turn.role], turn.role)))
    return bubbles


def turn_caption(turn: Turn, persona_levels: dict[str, str]) -> str:
    """One plain line: turn number, levels that are scheduled or moved, sentences against the cap,
    level changes, the clinician's act and the patient's feeling (arcs), role failures
    (``analysis.roles``), why the conversation ended, latency and tokens."""
    state: dict[str, Any] = turn.state or {}
    parts = [f"turn {turn.index}"]
    levels = state.get("levels") or {}
    moving = set(state.get("counts") or {}) | {a for a, lvl in levels.items()
                                               if persona_levels.get(a) != lvl}
    parts += [f"{axis}: {levels[axis]}" for axis in sorted(moving) if axis in levels]
    if "sentences" in state:
        cap = state.get("sentence_cap")
        over = " (over the cap)" if state.get("over_cap") else ""
        parts.append(f"{state['sentences']} sentences" + (f" / cap {cap}{over}" if cap else ""))
    for axis, change in (state.get("level_changes") or {}).items():
        parts.append(f"{axis}: {' → '.join(map(str, change))}")
    if isinstance(state.get("act"), dict):
        parts.append(f"act: {state['act'].get('act')} ({state['act'].get('by')})")
    if isinstance(state.get("affect"), dict):
        affect = state["affect"]
        chain = f", chain step {affect['chain_step']}" if "chain_step" in affect else ""
        parts.append(f"feels {affect.get('emotion')} {affect.get('intensity')}/3{chain}")
    # Over the cap is said above, with the counts; the other role failures only here.
    if breaks := [ROLE_LABELS[f] for f in role_flags(turn) if f != "over_cap"]:
        parts.append("out of role: " + ", ".join(breaks))
    if state.get("ended_by"):
        parts.append(f"ended by {state['ended_by']}")
    if turn.latency_s is not None:
        parts.append(f"{turn.latency_s:.2f} s")
    if turn.prompt_tokens is not None or turn.completion_tokens is not None:
        parts.append(f"tokens {_count(turn.prompt_tokens)} in / "
                     f"{_count(turn.completion_tokens)} out")
    return " · ".join(parts)


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def conversation_facts(
    transcript: Transcript, persona: PersonaRecord | None = None
) -> list[dict[str, str]]:
    """Field/value rows about a conversation and the persona behind it (plain text)."""
    levels = ", ".join(f"{a}={lvl}" for a, lvl in transcript.levels.items())
    rows = [
        ("conversation", transcript.id),
        ("status", transcript.status),
        ("failure reason", transcript.failure_reason),
        ("persona", transcript.persona_id),
        ("levels", levels),
        ("scenario", transcript.scenario),
        ("profile", transcript.profile),
        ("persona hash", transcript.persona_hash),
        ("persona file", persona.source_path if persona else None),
        ("patient model", transcript.patient_model),
        ("clinician", transcript.clinician),
        ("run", transcript.run_id),
        ("seed", transcript.seed),
        ("source", transcript.source),
        ("turns", len(transcript.turns)),
        ("patient template", transcript.patient_template_hash),
        ("clinician template", transcript.clinician_template_hash),
    ]
    session = session_of(transcript)
    if session is not None:
        rows.append(("session", f"{session.number} of {session.of} (series {session.series})"))
        rows += [(f"patient's memory of session {s.number}", s.text)
                 for s in session.patient_summaries]
        rows += [(f"clinician's notes of session {s.number}", s.text)
                 for s in session.clinician_notes]
    return [{"field": k, "value": str(v)} for k, v in rows if v not in (None, "")]


def conversation_label(summary: Any) -> str:
    """A one-line label for a conversation summary or transcript, for pickers."""
    parts = [summary.id, summary.persona_id or summary.source, summary.patient_model or ""]
    if summary.run_id:
        parts.append(summary.run_id)
    return " · ".join(p for p in parts if p)
