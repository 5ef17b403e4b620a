"""The replayed clinician (spec ``replay/<corpus>``): a real conversation's clinician turns,
verbatim, in order, one per turn, against the conversation's twin.

Like the scripted backend it is stateless, so one instance serves every conversation of a run:
which real conversation a twin replays is written into that conversation's clinician system
prompt when the run is planned (:func:`replay_prompt`), and turn *i* is the *i*-th clinician turn
found there, where *i* counts the assistant messages so far. The conversation therefore
resumes exactly (the prompt is stored with it) and ends when the real one did: after the
patient's reply to the last clinician turn (``ScriptExhausted`` beyond it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from .base import Messages, Reply
from .errors import BackendError, ScriptExhausted
from .scripted import ScriptedBackend

REPLAY_TAG = "REPLAY "
"""Start of the line of a replay prompt that holds the turns as JSON."""


def replay_prompt(corpus: str, conversation: str, turns: Sequence[str]) -> str:
    """The clinician "system prompt" of a replayed conversation: what it replays, and the turns."""
    data = {"corpus": corpus, "conversation": conversation, "turns": list(turns)}
    return (f"Replayed clinician: the {len(turns)} clinician turns of real conversation "
            f"{conversation!r} of corpus {corpus!r}, played verbatim in order.\n"
            f"{REPLAY_TAG}{json.dumps(data, ensure_ascii=False)}")


def replay_source(prompt: str) -> dict[str, object] | None:
    """The corpus, conversation and turns a replay prompt holds, or None for any other text."""
    for line in prompt.splitlines():
        if line.startswith(REPLAY_TAG):
            try:
                data = json.loads(line[len(REPLAY_TAG):])
            except json.JSONDecodeError:
                return None
            turns = data.get("turns") if isinstance(data, dict) else None
            if isinstance(turns, list) and all(isinstance(t, str) for t in turns):
                return data  # type: ignore[no-any-return]
    return None


class ReplayBackend(ScriptedBackend):
    """Plays the clinician turns written in each conversation's clinician prompt.

    Args:
        corpus: The reference corpus whose conversations are replayed (``replay/<corpus>``).
    """

    kind = "replay"

    def __init__(self, corpus: str) -> None:  # no fixed questions: they come per conversation
        self.model = corpus
        self.questions = ()

    def _turns(self, messages: Messages) -> list[str]:
        system = next((str(m.get("content") or "") for m in messages
                       if m.get("role") == "system"), "")
        source = replay_source(system)
        if source is None:
            raise BackendError(
                f"replay/{self.model} found no replayed conversation in the clinician prompt: "
                "a replay clinician runs twins planned with it (`workbench twins run`).",
                model=self.model)
        if source.get("corpus") != self.model:
            raise BackendError(
                f"replay/{self.model} was given a conversation of corpus "
                f"{source.get('corpus')!r}; replay that corpus instead.", model=self.model)
        return list(source["turns"])  # type: ignore[call-overload]

    async def chat(self, messages: Messages, options: object = None) -> Reply:
        """The next real clinician turn.

        Raises:
            ScriptExhausted: Every clinician turn has been played.
            BackendError: The prompt names no replayed conversation of this corpus.
        """
        started = time.perf_counter()
        turns = self._turns(messages)
        asked = sum(1 for m in messages if m.get("role") == "assistant")
        if asked >= len(turns):
            raise ScriptExhausted(self.name, asked)
        return Reply(text=turns[asked], latency_s=time.perf_counter() - started,
                     model=self.name, host=None, finish_reason="stop")

    def remaining(self, messages: Messages) -> int:
        """Clinician turns still to play in this conversation."""
        asked = sum(1 for m in messages if m.get("role") == "assistant")
        return max(0, len(self._turns(messages)) - asked)
