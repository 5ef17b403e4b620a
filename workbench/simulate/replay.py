"""Planning twins against the replayed clinician (``replay/<corpus>``).

Each twin persona names its real conversation (``profile.twin``); planning reads that
conversation's exchanges from the store and writes its clinician turns into the conversation's
clinician prompt (see :mod:`workbench.backends.replay`), with a turn limit that ends the twin's
conversation where the real one ended. Executing and resuming then need neither the library nor
the reference corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from workbench.backends.replay import replay_prompt
from workbench.domain.exchanges import exchanges
from workbench.domain.prompts import ResolvedPersona
from workbench.simulate.plan import PlanError

if TYPE_CHECKING:
    from workbench.library import Library
    from workbench.store import Store


class ReplayPlan(NamedTuple):
    """The clinician side of one twin's conversation."""

    prompt: str
    """The clinician prompt holding the real clinician turns."""
    max_turns: int
    """Turn limit: one patient reply per real clinician turn, plus one never reached."""


def check_twins(library: Library, corpus: str, persona_ids: Sequence[str]) -> None:
    """Every chosen persona is a twin of a conversation of ``corpus``.

    Raises:
        PlanError: naming the personas that are not.
    """
    personas, profiles = library.personas(), library.profiles()
    misfits = [pid for pid in persona_ids
               if (twin := getattr(profiles.get(personas[pid].profile), "twin", None)) is None
               or twin.corpus != corpus]
    if misfits:
        problem = (f"replays the real conversations of corpus {corpus!r}, but {len(misfits)} "
                   f"chosen persona(s) are not twins of that corpus ({', '.join(misfits[:5])}"
                   f"{', ...' if len(misfits) > 5 else ''}). Make twins with "
                   f"`workbench twins make --corpus {corpus}` and choose them (e.g. 'twin_*').")
        raise PlanError(problem, field="clinician", value=f"replay/{corpus}",
                        command_line=f"replay/{corpus} {problem}")


def replay_plan(store: Store, resolved: ResolvedPersona, corpus: str,
                max_turns: int | None) -> ReplayPlan:
    """The replayed clinician of one twin persona.

    Raises:
        PlanError: the persona is no twin of ``corpus``, or its conversation is not in the store
            or has no clinician turn.
    """
    from workbench.store.errors import UnknownConversation

    twin = getattr(resolved.profile, "twin", None)
    if twin is None or twin.corpus != corpus:
        raise PlanError(f"persona {resolved.persona.id!r} is not a twin of corpus {corpus!r}; "
                        f"replay/{corpus} replays only its twins.", field="personas")
    try:
        real = store.get_transcript(twin.conversation_id)
    except UnknownConversation:
        raise PlanError(
            f"twin {resolved.persona.id!r} replays conversation {twin.conversation!r} of corpus "
            f"{corpus!r}, which store {store} does not hold; import the corpus first "
            f"(`workbench import reference FILE --name {corpus}`).", field="clinician") from None
    turns = [e.clinician for e in exchanges(real.turns)]
    if not turns:
        raise PlanError(f"conversation {twin.conversation_id!r} has no clinician turn to replay.",
                        field="clinician")
    # One reply per clinician turn; the extra turn is never taken (the replay ends the
    # conversation after the last reply, as "script") but keeps the limit from claiming it.
    limit = 2 * len(turns) + 1
    return ReplayPlan(replay_prompt(corpus, twin.conversation, turns),
                      min(limit, max_turns) if max_turns else limit)
