"""Extraction replies for the Ollama-API test server: fixture text per real conversation.

A request whose prompt is the twin-extraction prompt (it names the conversation as
``conversation "<id>"``) gets the fixture written for that id; any other request gets the
server's ordinary scripted patient reply. As a subprocess (for the browser test)::

    python -m tests.support.twin_extraction FIXTURES.json   # {"<conversation id>": "<reply>"}

prints the server's URL as its first line and serves until killed.
"""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
from collections.abc import Mapping
from typing import Any

from .ollama_server import OllamaTestServer, ReplyFn
from .replies import patient_reply

_CONVERSATION = re.compile(r'conversation "([^"]+)"\)')


def extraction_replies(fixtures: Mapping[str, str]) -> ReplyFn:
    """A ``reply_fn``: the fixture of the conversation an extraction prompt names, else a
    scripted patient reply (seeded like the server's own)."""
    def reply(body: dict[str, Any]) -> str:
        messages = body.get("messages") or []
        text = "\n".join(str(m.get("content") or "") for m in messages)
        match = _CONVERSATION.search(text)
        if match and "BEGIN CONVERSATION DATA" in text:
            return fixtures.get(match.group(1), "I cannot read this conversation.")
        system = "\n".join(str(m.get("content") or "") for m in messages
                           if m.get("role") == "system")
        turn = sum(1 for m in messages if m.get("role") == "assistant")
        return patient_reply(system, (body.get("options") or {}).get("seed"), turn)

    return reply


def main() -> None:
    """Serve with the fixtures of the JSON file given as the first argument."""
    with open(sys.argv[1], encoding="utf-8") as handle:
        fixtures = json.load(handle)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    with OllamaTestServer(reply_fn=extraction_replies(fixtures), latency=0.01) as server:
        print(server.url, flush=True)
        while not done.wait(0.5):
            pass


if __name__ == "__main__":
    main()
