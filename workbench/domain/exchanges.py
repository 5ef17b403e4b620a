"""Exchanges: a conversation read as clinician turns, each with the patient's reply to it.

The unit of the matched comparison of twins and of the replayed clinician. Consecutive
utterances of one side (real transcripts often split a turn in two) are joined with a space;
patient utterances before the clinician's first turn belong to no exchange.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from workbench.domain.transcript import Turn


class Exchange(NamedTuple):
    """One clinician turn and the patient's reply to it ("" when the clinician spoke last)."""

    clinician: str
    patient: str


def exchanges(turns: Iterable[Turn]) -> list[Exchange]:
    """The exchanges of a conversation, in order (see the module docstring)."""
    clinician: list[str] = []
    patient: list[str] = []
    found: list[Exchange] = []
    for turn in turns:
        if turn.role == "clinician":
            if patient:  # the clinician speaks again after a reply: a new exchange begins
                found.append(Exchange(" ".join(clinician), " ".join(patient)))
                clinician, patient = [], []
            clinician.append(turn.text.strip())
        elif clinician:
            patient.append(turn.text.strip())
    if clinician:
        found.append(Exchange(" ".join(clinician), " ".join(patient)))
    return found
