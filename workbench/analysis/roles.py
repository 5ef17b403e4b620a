"""Role adherence of patient turns: does the model stay the patient, speaking as the patient?

A weak model playing a patient breaks role in recognisable ways: it speaks as the clinician
("What brings you in today?", "Doctor: ..."), narrates the patient in the third person ("The
patient sighs and says..."), writes stage directions (*sighs*, (pauses), [laughs]) and ignores the
persona's sentence cap. Each failure is one named check in :data:`CHECKS`, a cheap offline
predicate on one turn (regular expressions and the stored cap, no model). A run's figure is the
share of its patient turns that show the failure (``docs/METRICS.md``, "Role adherence").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from workbench.analysis.bootstrap import Estimate, Resampling, estimate, wilson_interval
from workbench.analysis.steps import StepProgress
from workbench.domain.state import count_sentences
from workbench.domain.transcript import Transcript, Turn
from workbench.store import Store

_CLINICIAN_ROLES = r"(?:dr\.?(?:\s+[a-z]+)?|doctor|clinician|therapist|counsell?or|nurse|physician|gp)"
_CLINICIAN_VOICE = re.compile(
    # A speaker label of the clinician's side opening a line or following a sentence: the model
    # writes the other part too.
    rf"(?:^\s*|(?<=[.!?*)\]])\s+)\**{_CLINICIAN_ROLES}\**\s*:"
    # The clinician introducing themselves or acting as one.
    r"|\bi(?:'m| am) (?:dr\b|doctor\b|your (?:doctor|therapist|nurse|physician|clinician|gp)\b)"
    r"|\bi(?:'m| am) (?:a|an|the)(?: [a-z]+)? (?:doctor|physician|therapist|clinician|medical "
    r"student)\b"
    r"|\bas your (?:doctor|therapist|nurse|physician|clinician|gp)\b"
    r"|\bmy patients?\b|\bi have (?:a lot of |many |so many |some )?(?:other )?patients\b"
    r"|\bi(?:'ll| will| am going to|'m going to) (?:prescribe|examine you|refer you|order (?:a|some)"
    r" (?:test|scan|x-ray|blood))"
    r"|\blet me (?:examine you|take a look at you|listen to your (?:chest|heart|lungs))"
    # The clinician's stock questions and closings.
    r"|\bwhat brings you (?:in|here)\b"
    r"|\bhow (?:can|may) i (?:help|assist) you\b"
    r"|\bthank you for coming in\b"
    r"|\bwhat seems to be the (?:problem|trouble)\b",
    re.IGNORECASE | re.MULTILINE,
)
_NARRATION_VERBS = (
    "sighs|nods|shrugs|pauses|hesitates|smiles|frowns|winces|laughs|chuckles|cries|sobs|"
    "replies|responds|explains|continues|admits|answers|mumbles|whispers|looks|glances|shifts|"
    "fidgets|leans|stares|says"
)
_THIRD_PERSON = re.compile(
    r"\bthe (?:patient|client)\b(?! (?:in|next|before|after) )"
    rf"|(?:^|[.!?]\s+|,\s+)(?:he|she|they) (?:{_NARRATION_VERBS})\b"
    r"|\b(?:his|her) (?:voice|eyes|gaze|face|hands) (?:trail|trails|is|are|was|were|drop|drops|"
    r"fill|fills|shake|shakes|crack|cracks|tremble|trembles)\b",
    re.IGNORECASE | re.MULTILINE,
)
STAGE_WORDS = (
    "sighs", "sigh", "sighing", "pauses", "pause", "pausing", "laughs", "laugh", "laughing",
    "chuckles", "chuckle", "smiles", "smile", "smiling", "nods", "nod", "nodding", "shrugs",
    "shrug", "cries", "crying", "sobs", "sobbing", "coughs", "cough", "coughing", "winces",
    "wincing", "frowns", "frowning", "hesitates", "hesitant", "hesitantly", "looks", "looking",
    "glances", "fidgets", "fidgeting", "whispers", "whispering", "groans", "groaning", "clears",
    "takes", "taking", "shakes", "shaking", "rubs", "rubbing", "leans", "leaning", "silence",
    "long", "nervously", "quietly", "softly", "tearfully", "sadly", "anxiously", "smirks",
)
"""Words that open a stage direction (*sighs*, (pauses), [laughs nervously])."""
_STAGE = re.compile(
    r"\*\s*(?P<a>[a-z]+)[^*\n]{0,60}\*(?!\*)"
    r"|\(\s*(?P<b>[a-z]+)[^()\n]{0,60}\)"
    r"|\[\s*(?P<c>[a-z]+)[^\[\]\n]{0,60}\]",
    re.IGNORECASE,
)


def speaks_as_clinician(text: str) -> bool:
    """A clinician's label, self-introduction, act or stock question in a patient turn."""
    return bool(_CLINICIAN_VOICE.search(text.replace("’", "'")))


def narrates_in_third_person(text: str) -> bool:
    """"The patient ...", "she sighs", "her voice trails off": the patient told as a story."""
    return bool(_THIRD_PERSON.search(text))


def has_stage_direction(text: str) -> bool:
    """An action in asterisks, parentheses or brackets that opens with a stage word."""
    for match in _STAGE.finditer(text):
        word = (match["a"] or match["b"] or match["c"] or "").lower()
        if word in STAGE_WORDS:
            return True
    return False


def over_cap(text: str, cap: int | None) -> bool:
    """More sentences than the persona's cap in force (never, without a cap)."""
    return cap is not None and count_sentences(text) > cap


@dataclass(frozen=True)
class RoleCheck:
    """One role failure: a name, what it means, and the predicate (text, sentence cap)."""

    name: str
    description: str
    present: Callable[[str, int | None], bool]


CHECKS: tuple[RoleCheck, ...] = (
    RoleCheck("clinician_voice", "Speaks as the clinician (a clinician's label, "
              "self-introduction, act or stock question)", lambda t, _: speaks_as_clinician(t)),
    RoleCheck("third_person", "Narrates the patient in the third person",
              lambda t, _: narrates_in_third_person(t)),
    RoleCheck("stage_direction", "A stage direction: *sighs*, (pauses), [laughs]",
              lambda t, _: has_stage_direction(t)),
    RoleCheck("over_cap", "More sentences than the persona's sentence cap", over_cap),
)
"""Every role check, in display order."""
LABELS = {check.name: check.name.replace("_", " ") for check in CHECKS}


def turn_cap(turn: Turn) -> int | None:
    """The sentence cap stored with a patient turn (None when it had none)."""
    cap = (turn.state or {}).get("sentence_cap")
    return cap if isinstance(cap, int) and not isinstance(cap, bool) else None


def role_flags(turn: Turn) -> list[str]:
    """The names of the checks a patient turn fails (none for clinician turns)."""
    if turn.role != "patient":
        return []
    cap = turn_cap(turn)
    return [check.name for check in CHECKS if check.present(turn.text, cap)]


class RoleAdherence(BaseModel):
    """Role failures in the patient turns of one group of conversations (e.g. one run)."""

    model_config = ConfigDict(frozen=True)

    group: str
    """What was measured, e.g. a run id."""
    n_turns: int
    """Patient turns with text."""
    n_conversations: int
    """Conversations holding them."""
    counts: dict[str, int]
    """Check name → patient turns failing it."""
    rates: list[Estimate]
    """Check name → share of patient turns failing it, with an interval."""


def role_adherence(group: str, transcripts: Iterable[Transcript],
                   resampling: Resampling | None = None) -> RoleAdherence:
    """Count each role failure over the patient turns of ``transcripts``.

    The interval of a share is a percentile bootstrap over conversations (a model that narrates
    does it in every turn, so turns are not independent); a Wilson interval over conversations
    when no turn or every turn fails, where a bootstrap collapses to a point.
    """
    rs = resampling or Resampling()
    turns = [(t.id, x) for t in transcripts for x in t.turns
             if x.role == "patient" and x.text.strip()]
    flags = np.array([[check.present(x.text, turn_cap(x)) for check in CHECKS]
                      for _, x in turns], dtype=float).reshape(len(turns), len(CHECKS))
    groups = [cid for cid, _ in turns]
    n_conv = len(set(groups))
    rates = []
    for k, check in enumerate(CHECKS):
        hits = int(flags[:, k].sum())
        definition = f"{check.description}: share of patient turns."
        column = flags[:, k]
        if 0 < hits < len(turns) and n_conv >= 2:
            rates.append(estimate(check.name, lambda idx, c=column: float(c[idx].mean()),
                                  len(turns), definition=definition, resampling=rs,
                                  groups=groups, unit_label="conversations", bounds=(0, 1)))
        else:
            value = hits / len(turns) if turns else float("nan")
            rates.append(Estimate(name=check.name, value=value, n=len(turns),
                                  definition=definition,
                                  interval=wilson_interval(round(value * n_conv) if turns else 0,
                                                           n_conv, rs.confidence)))
    return RoleAdherence(group=group, n_turns=len(turns), n_conversations=n_conv,
                         counts={c.name: int(flags[:, k].sum()) for k, c in enumerate(CHECKS)},
                         rates=rates)


def runs_role_adherence(store: Store, run_ids: Sequence[str],
                        on_progress: StepProgress | None = None) -> list[RoleAdherence]:
    """Role adherence of each run's patient turns, one result per run (any status).

    Args:
        on_progress: told before each run (one step per run).

    Raises:
        UnknownRun: a run id is not in the store.
    """
    results = []
    for step, run_id in enumerate(run_ids):
        if on_progress is not None:
            on_progress(step, len(run_ids), f"checking the patient turns of run {run_id}")
        results.append(role_adherence(run_id, store.conversations_of_run(run_id,
                                                                          with_turns=True)))
    return results


def role_rows(results: Sequence[RoleAdherence]) -> list[dict[str, object]]:
    """One table row per group: turns, and each check as ``count (share [interval])``."""
    rows: list[dict[str, object]] = []
    for result in results:
        row: dict[str, object] = {"run": result.group, "patient turns": result.n_turns,
                                  "conversations": result.n_conversations}
        for rate in result.rates:
            if not result.n_turns:
                row[LABELS[rate.name]] = "—"
                continue
            cell = f"{result.counts[rate.name]} ({rate.value:.0%}"
            if rate.interval is not None:
                cell += f" [{rate.interval.low:.0%}, {rate.interval.high:.0%}]"
            row[LABELS[rate.name]] = cell + ")"
        rows.append(row)
    return rows
