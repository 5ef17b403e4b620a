"""LLM tells, turn-length distances and the conversation-length gap."""

from __future__ import annotations

import pytest

from workbench.analysis.bootstrap import Resampling
from workbench.analysis.realism import PatientTurns
from workbench.analysis.tells import (
    LONG_TURN_WORDS,
    TELLS,
    compare_tells,
    conversation_length_gap,
    tell_rates,
    turn_length_realism,
)

FEW = Resampling(n_resamples=200)
TELL = {tell.name: tell for tell in TELLS}


@pytest.mark.parametrize(
    ("name", "present", "absent"),
    [
        ("markdown", ["I have **chest pain**.", "It is *really* bad", "## Symptoms", "`dose`"],
         ["I have chest pain.", "2 * 3 = 6", "my_file", "rated it 5*"]),
        ("list", ["My symptoms:\n- cough\n- fever", "1. Cough\n2. Fever", "• tired"],
         ["I'm 45 - no, 46.", "It started 2. weeks ago", "fine"]),
        ("em_dash", ["It hurts — a lot", "it hurts – a lot", "my health—feeling better"],
         ["a well-known pain", "ages 40-45", "fine",
          "it hurts -- a lot", "I was -- I mean I am"]),  # typed or transcribed false starts
        ("assistant_phrase", ["I understand your concern.", "Certainly! It hurts.",
                              "Feel free to ask.", "I hope this helps", "I’d be happy to"],
         ["I don't understand the question", "It certainly hurts more", "I feel free now"]),
        ("turned_back_question", ["What about you?", "What would you suggest?",
                                  "Do you have any advice?", "And you?"],
         ["You asked how I am: fine.", "What about the pills?", "I have advice from my GP",
          "Hi. Good, thank you. How are you?"]),  # a greeting returned is real talk
        ("long_turn", [" ".join(["word"] * (LONG_TURN_WORDS + 1))],
         [" ".join(["word"] * LONG_TURN_WORDS) + " ... , !"]),
    ],
)  # fmt: skip
def test_each_tell_on_positive_and_negative_turns(name, present, absent):
    tell = TELL[name]
    assert [tell.present(t) for t in present] == [True] * len(present)
    assert [tell.present(t) for t in absent] == [False] * len(absent)


def test_tell_rates_without_conversations_use_wilson():
    """One turn in four has markdown: rate 0.25 with the Wilson interval [0.0456, 0.6994]."""
    turns = PatientTurns(("**bad** pain", "it hurts", "since monday", "yes"))
    rates = {r.name: r for r in tell_rates(turns, FEW)}
    assert rates["markdown"].value == 0.25 and rates["markdown"].n == 4
    assert rates["markdown"].interval.method == "Wilson score interval"
    assert rates["markdown"].interval.low == pytest.approx(0.0456, abs=1e-4)
    assert rates["em_dash"].value == 0.0 and rates["em_dash"].interval.low == 0.0


def test_tell_rates_with_conversations_resample_conversations():
    texts = ("**a**", "**b**", "plain", "plain", "plain", "**c**")
    turns = PatientTurns(texts, ("c1", "c1", "c2", "c2", "c3", "c3"))
    markdown = next(r for r in tell_rates(turns, FEW) if r.name == "markdown")
    assert markdown.value == pytest.approx(0.5)
    assert markdown.interval.method == "percentile bootstrap, 200 resamples of conversations"
    # conversations are (2/2, 0/2, 1/2): a resample's rate is one of few values in [0, 1]
    assert 0.0 <= markdown.interval.low < 0.5 < markdown.interval.high <= 1.0
    never = next(r for r in tell_rates(turns, FEW) if r.name == "list")
    assert (
        never.interval.method == "Wilson score interval"
    )  # zero hits: Wilson over 3 conversations
    assert never.interval.high == pytest.approx(0.5615, abs=1e-4)


def test_compare_tells_side_by_side():
    simulated = PatientTurns(("Certainly! **Fever** — and you?",) * 3)
    reference = PatientTurns(("yeah it's been sore", "um, two days"))
    rows = compare_tells(simulated, reference, FEW)
    assert [row.tell for row in rows] == [tell.name for tell in TELLS]
    by_name = {row.tell: row for row in rows}
    for name in ("markdown", "em_dash", "assistant_phrase", "turned_back_question"):
        assert by_name[name].simulated.value == 1.0 and by_name[name].reference.value == 0.0
        assert by_name[name].fires_on_real == "" and by_name[name].second_reference is None


def test_a_tell_common_in_real_text_says_so():
    """1 of 50 real turns (2%) with an em dash: at or above 1% the tell is marked, per corpus."""
    simulated = PatientTurns(("Fine — thanks",) * 4)
    typed = PatientTurns(("my health—feeling better",) + ("ok",) * 49, name="mibot")
    spoken = PatientTurns(("yeah -- I mean no",) * 50, name="annomi")
    rows = {r.tell: r for r in compare_tells(simulated, typed, FEW, second_reference=spoken)}
    assert rows["em_dash"].reference.value == pytest.approx(0.02)
    assert rows["em_dash"].second_reference.value == 0.0  # "--" is a false start, not a tell
    assert rows["em_dash"].fires_on_real == "fires on real text: mibot 2.0%"
    assert rows["markdown"].fires_on_real == ""


def test_turn_length_distances_with_yardsticks():
    """Reference turns of 10 words against simulated turns of 40: Wasserstein-1 is 30 words and
    KS is 1; the reference against itself is 0 on both."""
    reference = PatientTurns.from_conversations(
        [(f"c{i}", [" ".join(["word"] * 10)] * 4) for i in range(20)], name="real"
    )
    simulated = PatientTurns((" ".join(["word"] * 40),) * 50)
    wasserstein, ks = turn_length_realism(simulated, reference, resampling=FEW)
    assert wasserstein.metric == "turn_length_wasserstein" and wasserstein.value == 30.0
    assert ks.value == 1.0
    assert wasserstein.n_simulated == 40 and wasserstein.n_reference == 40  # halves of 80 turns
    assert [y.value for y in wasserstein.yardsticks] == [0.0]
    assert wasserstein.yardsticks[0].label == "real halves (by conversation)"


def test_conversation_length_gap_by_hand():
    """Simulated 10, 12, 14 → median 12; real 6, 8, 10, 30 → median 9; gap 3."""
    result = conversation_length_gap([10, 12, 14], [6, 8, 10, 30], resampling=FEW)
    assert result.value == 3.0
    assert result.interval.low <= 3.0 <= result.interval.high
    assert result.yardsticks[0].label == "reference halves"
    second = conversation_length_gap(
        [10, 12], [6, 8, 10, 30], second_reference=[9, 9], resampling=FEW
    )
    assert second.yardsticks[1].value == 0.0  # median 9 against median 9
