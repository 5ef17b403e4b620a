"""The scripted backend (spec ``scripted/<script>``): a fixed list of questions, in order.

It holds the clinician constant while patients vary (a standardized intake), and serves tests.
Reply *i* is question *i*, where *i* is the number of assistant messages already in the
conversation, so the backend is stateless: one instance can serve many conversations at once.

When the questions run out, ``chat`` raises ``ScriptExhausted`` (a ``BackendError`` that is not
transient): the conversation loop ends the conversation there. An exception rather than a flag
on ``Reply`` means a loop that forgets to check cannot send an empty clinician turn.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from .base import Backend, ChatOptions, Messages, Reply
from .errors import BackendError, ScriptExhausted


class ScriptedBackend(Backend):
    """Asks ``questions`` one per turn, then raises ``ScriptExhausted``.

    Args:
        name: The script's id (``scripted/<name>``).
        questions: The questions in order; must not be empty.
    """

    kind = "scripted"

    def __init__(self, name: str, questions: Sequence[str]):
        if not questions:
            raise BackendError(f"Script {name!r} has no questions: list them under "
                               f"`questions:` in personas/scripts/{name}.yaml.", model=name)
        self.model = name
        self.questions = tuple(questions)

    async def chat(self, messages: Messages, options: ChatOptions | None = None) -> Reply:
        """The next question, by the count of assistant messages in ``messages``.

        Raises:
            ScriptExhausted: Every question has been asked.
        """
        started = time.perf_counter()
        asked = sum(1 for m in messages if m.get("role") == "assistant")
        if asked >= len(self.questions):
            raise ScriptExhausted(self.model, asked)
        return Reply(text=self.questions[asked], latency_s=time.perf_counter() - started,
                     model=self.model, host=None, finish_reason="stop")

    def remaining(self, messages: Messages) -> int:
        """Questions still to ask in this conversation (0 when the next chat would raise)."""
        asked = sum(1 for m in messages if m.get("role") == "assistant")
        return max(0, len(self.questions) - asked)
