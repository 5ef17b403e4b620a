"""The PATIENT-Ψ-style trainer: a person chats as the clinician with a simulated patient, then
(for CBT clients) fills the cognitive model and sees it scored against the ground truth."""

from workbench.trainer.scoring import (
    FREE_TEXT_FIELDS,
    RUBRIC,
    CCDAttempt,
    CCDScore,
    FieldScore,
    jaccard,
    load_attempt,
    save_attempt,
    score_attempt,
    score_rows,
    token_f1,
)
from workbench.trainer.session import (
    TRAINER_MAX_TURNS,
    SessionState,
    finish_session,
    reply_stream,
    session_state,
    sessions_of,
    start_session,
    trainee_spec,
)

__all__ = [
    "FREE_TEXT_FIELDS",
    "RUBRIC",
    "TRAINER_MAX_TURNS",
    "CCDAttempt",
    "CCDScore",
    "FieldScore",
    "SessionState",
    "finish_session",
    "jaccard",
    "load_attempt",
    "reply_stream",
    "save_attempt",
    "score_attempt",
    "score_rows",
    "session_state",
    "sessions_of",
    "start_session",
    "token_f1",
    "trainee_spec",
]
