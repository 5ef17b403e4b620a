"""Facts disclosed: which of a twin's profile facts each patient reply mentions, and when.

A fact's **key terms** are the content words of its value (letters only, four or more, not a
function word), each cut to its first five letters so that "coughing" matches "cough"; a number
fact (age, pain) has its digits as its one term. A reply **mentions** a fact when it holds at
least ``min(2, number of key terms)`` of them. A fact is **disclosed** at the first exchange whose
patient reply mentions it. See docs/METRICS.md, "Matched realism (twins)".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from workbench.analysis.diversity import FUNCTION_WORDS
from workbench.domain.profile import EDProfile

NOT_DISCLOSED = frozenset({"kind", "id", "twin", "diagnosis", "disposition"})
"""Fields that are no facts a patient tells (the patient has not been told the last two)."""
PREFIX = 5
"""Letters a key term keeps."""
_WORD = re.compile(r"[a-z]+|\d+")


class FactDisclosure(BaseModel):
    """When each side first mentioned one fact (None: never)."""

    model_config = ConfigDict(frozen=True)

    field: str
    """Profile field."""
    real_turn: int | None
    """Exchange index of the real patient's first mention."""
    simulated_turn: int | None
    """Exchange index of the simulated patient's first mention."""


def _terms(text: str) -> set[str]:
    return {w[:PREFIX] for w in _WORD.findall(text.lower())
            if w.isdigit() or (len(w) >= 4 and w not in FUNCTION_WORDS)}


def fact_terms(profile: EDProfile) -> dict[str, set[str]]:
    """Key terms of every fact the profile holds (empty facts and non-facts left out)."""
    found: dict[str, set[str]] = {}
    for name, value in profile:
        if name in NOT_DISCLOSED or value is None or value == "":
            continue
        terms = {str(value)} if isinstance(value, int) else _terms(str(value))
        if terms:
            found[name] = terms
    return found


def mentions(reply: str, terms: dict[str, set[str]]) -> list[str]:
    """The facts a reply mentions, in profile order."""
    said = _terms(reply)
    return [name for name, wanted in terms.items() if len(wanted & said) >= min(2, len(wanted))]


def first_mentions(replies: Sequence[str], terms: dict[str, set[str]]) -> dict[str, int]:
    """Fact → exchange index of its first mention, for the facts that are mentioned."""
    first: dict[str, int] = {}
    for index, reply in enumerate(replies):
        for name in mentions(reply, terms):
            first.setdefault(name, index)
    return first


def disclosures(profile: EDProfile, real: Sequence[str],
                simulated: Sequence[str]) -> list[FactDisclosure]:
    """Each fact's first mention on both sides (replies aligned by exchange)."""
    terms = fact_terms(profile)
    real_first, sim_first = first_mentions(real, terms), first_mentions(simulated, terms)
    return [FactDisclosure(field=name, real_turn=real_first.get(name),
                           simulated_turn=sim_first.get(name)) for name in terms]
