"""Role adherence: each check on hand-checked patient turns, and the per-run counts."""

from __future__ import annotations

import math

import pytest

from workbench.analysis.bootstrap import Resampling
from workbench.analysis.roles import CHECKS, role_adherence, role_flags, role_rows
from workbench.domain.transcript import Transcript, Turn

CHECK = {check.name: check for check in CHECKS}


@pytest.mark.parametrize(
    ("name", "present", "absent"),
    [
        ("clinician_voice",
         ["Doctor: How long have you had the cough?", "Dr. Smith: Let's begin.",
          "**Doctor:** Any fever?", "Hi, I'm Dr. Patel. What brings you in today?",
          "As your doctor, I recommend rest.", "I'll prescribe some antibiotics.",
          "How can I help you today?", "Let me examine you first.",
          "Thank you for coming in.", "What seems to be the problem?",
          "I'm a big doctor, I've taken care of many patients.", "I am the emergency physician.",
          "I have a lot of patients here today."],
         ["My doctor said it was nothing.", "I saw a nurse last week.",
          "The GP gave me pills: they didn't help.", "Can you help me, doctor?",
          "I came in because my chest hurts.", "Doctor, it hurts here.",
          "I'm a nurse myself, so I know.", "I'm seeing a doctor next week.",
          "The other patients in the waiting room were loud."]),
        ("third_person",
         ["The patient sighs and looks away.", "She nods. I guess so.",
          "I don't know. He shrugs.", "Her voice trails off.", "The client explains her week."],
         ["My sister said I should come.", "She told me to rest.", "He was worried about me.",
          "I told the patient in the next bed.", "My husband says I snore."]),
        ("stage_direction",
         ["*sighs* It's been hard.", "(pauses) I don't know.", "[laughs nervously] Sorry.",
          "It hurts. *looks down*", "(Taking a deep breath) Okay."],
         ["It's *really* bad.", "I take paracetamol (500 mg) twice a day.",
          "My GP (Dr. Lee) sent me.", "It was [I think] Tuesday.", "2 * 3 = 6"]),
    ],
)  # fmt: skip
def test_each_check_on_hand_checked_turns(name, present, absent):
    check = CHECK[name]
    assert [t for t in present if not check.present(t, None)] == []
    assert [t for t in absent if check.present(t, None)] == []


def test_over_cap_counts_sentences_against_the_turns_cap():
    over = CHECK["over_cap"].present
    assert over("One. Two. Three.", 2)
    assert not over("One. Two.", 2)
    assert not over("One. Two. Three. Four.", None)  # no cap, no failure


def _turn(index: int, role: str, text: str, cap: int | None = 2) -> Turn:
    state = {"sentence_cap": cap} if role == "patient" else {}
    return Turn(index=index, role=role, text=text, state=state)


def _conversation(cid: str, patient_texts: list[str]) -> Transcript:
    turns = []
    for i, text in enumerate(patient_texts):
        turns += [_turn(2 * i, "clinician", "What brings you in today?"),
                  _turn(2 * i + 1, "patient", text)]
    return Transcript(id=cid, turns=turns)


def test_role_flags_name_the_failures_of_a_patient_turn_only():
    assert role_flags(_turn(1, "patient", "*sighs* Doctor: Tell me more. One. Two.")) == [
        "clinician_voice", "stage_direction", "over_cap"]
    assert role_flags(_turn(0, "clinician", "*sighs* The patient nods.")) == []


def test_role_adherence_counts_turns_and_bounds_each_share():
    result = role_adherence("run-1", [
        _conversation("a", ["The patient sighs. It hurts.", "Fine."]),
        _conversation("b", ["It hurts here.", "Since Monday. It is bad. Very bad."]),
        _conversation("c", ["No.", "(pauses) Maybe."]),
    ], Resampling(n_resamples=200))
    assert (result.n_turns, result.n_conversations) == (6, 3)
    assert result.counts == {"clinician_voice": 0, "third_person": 1, "stage_direction": 1,
                             "over_cap": 1}
    rates = {r.name: r for r in result.rates}
    assert rates["third_person"].value == pytest.approx(1 / 6)
    assert rates["clinician_voice"].value == 0
    for rate in result.rates:
        assert rate.interval is not None
        assert 0 <= rate.interval.low <= rate.value <= rate.interval.high <= 1
    row = role_rows([result])[0]
    assert row["patient turns"] == 6 and row["third person"].startswith("1 (17%")


def test_role_adherence_of_no_turns_is_undefined_not_zero():
    result = role_adherence("empty", [Transcript(id="x", turns=[])])
    assert result.n_turns == 0 and all(math.isnan(r.value) for r in result.rates)
    assert role_rows([result])[0]["over cap"] == "—"
