"""Fixtures for the app tests: empty and filled temp stores, and the environment pages read.

The filled store is built through the public APIs only: runs planned with ``plan_run`` from the
shipped persona library (one run with a changed patient template, as a second prompt version),
turns produced by the engine's own ``Conversation`` loop from scripted texts (so every per-turn
state is the engine's), a failed conversation and an imported reference conversation. It is built
once per session; each test gets its own copy.

    def test_x(app_env, filled_store):
        app_env(filled_store.path)
        at = AppTest.from_file(page("transcripts")).run()
        filled_store.ids["injection"]  # a conversation whose patient says <img src=x ...>
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import shutil
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pytest

from workbench.backends import Reply, ScriptExhausted
from workbench.domain.transcript import Turn
from workbench.library import Library
from workbench.settings import PROJECT_ROOT
from workbench.simulate import RunConfig, plan_run, stored_plan
from workbench.simulate.conversation import Conversation
from workbench.store import NewConversation, Store

PAGES = PROJECT_ROOT / "pages"
APP = PROJECT_ROOT / "workbench" / "app.py"
SHIPPED_PERSONAS = PROJECT_ROOT / "personas"
INJECTION = "<img src=x onerror=alert(1)> <script>alert(1)</script> ![x](http://127.0.0.1:9/leak)"
SEARCH_WORD = "wheezing"
"""Said in the verbose patient's conversations only (three of them)."""

VERBOSE = "ed_pneumonia_01-verbose-B-high-normal"
DISTRUST = "ed_mi_01-distrust-B-high-normal"
CONFUSED = "ed_uti_02-plain-B-high-high"
CBT_PLEASING = "cbt_daniel-pleasing"
CBT_VERBOSE = "cbt_priya-verbose"

ED_DOCTOR = [
    "What brought you to the emergency department today?",
    "When did it start, and has it changed since?",
    "Does anything make it better or worse?",
    "Do you take any medicines regularly?",
    "Thank you. Has anyone at home been unwell?",
]
REASSURING_DOCTOR = [
    "Don't worry, you're safe here. Can you tell me your name?",
    "Take your time, there's no rush. What brought you in?",
    "It's okay, we're here with you. When did the pain start?",
    "You are in the hospital. Where does it hurt?",
]
THERAPIST = [
    "Thanks for coming in. What would you like to talk about today?",
    "What went through your mind when that happened?",
    "How did you feel in that moment?",
    "What did you do afterwards?",
    "That sounds hard. Does that happen often?",
]
PATIENT_TEXTS = {
    VERBOSE: [
        (
            "Well, it started on Sunday after I spent the whole afternoon in the garden. I had a "
            "cough that would not quit, and my daughter said I sounded terrible on the phone. "
            "Last night the chills came and I could not get warm even under two blankets."
        ),
        (
            f"It hurts on the right side when I breathe in deeply. There is some {SEARCH_WORD} at "
            "night too, which my husband noticed before I did. I have been bringing up yellow "
            "stuff."
        ),
        "Lying flat makes it worse, so I slept in the armchair. Honey and lemon helped a little.",
        "Only my blood pressure tablets, and the odd paracetamol for the fever.",
        "My grandson had a cold last week, but he is fine now.",
    ],
    DISTRUST: [
        "Chest pain. Why do you need to know all this?",
        f"Since this morning. {INJECTION}",
        "I don't see why that matters. It gets worse when I walk.",
        "Aspirin. My last doctor never listened either.",
        "No. Can we get on with it?",
    ],
    CONFUSED: [
        "Where is my daughter? She was here a minute ago.",
        "I was at the bus stop, or was that yesterday?",
        "It burns when I pee, and I keep needing to go.",
        "Down low in my belly, and my back aches.",
    ],
    CBT_PLEASING: [
        "Oh, it's nothing major really. Alisha asked me to come, and I want to do this right.",
        "I guess I thought she was building a case to leave. But I'm sure she isn't.",
        "Ashamed, mostly. And guilty. Sorry, I know that's a lot.",
        "I texted her three times from work to say sorry again.",
        "Now and then. I'm fine though, honestly.",
    ],
    CBT_VERBOSE: [
        (
            "Where do I even start? Work has been relentless, my mother calls every evening, and "
            "I keep lying awake going over everything I said in meetings."
        ),
        "That everyone could see I had no idea what I was doing, and that I would be found out.",
        "Anxious, and a bit sad, because I used to love this job.",
        "I stayed until ten redoing the slides, then could not sleep anyway.",
        "Most weeks, if I am honest.",
    ],
}


class FilledStore(NamedTuple):
    """A store file with conversations, and the ids of the notable ones."""

    path: Path
    ids: dict[str, str]
    """``verbose_llama``, ``verbose_qwen``, ``verbose_v2`` (changed patient template),
    ``injection``, ``confused``, ``cbt_pleasing``, ``cbt_verbose``, ``failed``, ``reference``."""


def _asker(texts: list[str], model: str) -> Callable[[list[dict[str, str]]], object]:
    remaining = iter(texts)
    latencies = itertools.cycle([0.8, 1.4, 2.1, 0.6])

    async def ask(messages: list[dict[str, str]]) -> Reply:
        text = next(remaining, None)
        if text is None:
            raise ScriptExhausted("fixture", len(texts))
        return Reply(text=text, latency_s=next(latencies), prompt_tokens=40 * len(messages),
                     completion_tokens=len(text.split()) + 3, model=model)

    return ask


def _converse(store: Store, conversation_id: str, clinician: list[str], patient: list[str]) -> None:
    """Produce a conversation's turns with the engine's loop and commit them."""
    transcript = store.get_transcript(conversation_id)
    plan = stored_plan(store, transcript)
    # The scenario's opening line is the clinician's first turn; each later one needs a reply.
    clinician = clinician[: len(patient) - (1 if plan.opening_line else 0)]
    loop = Conversation(
        plan, transcript.clinician_prompt or "",
        ask_patient=_asker(patient, transcript.patient_model or ""),
        ask_clinician=_asker(clinician, transcript.clinician or ""),
        emit=lambda turn: store.append_turn(conversation_id, turn),
    )
    asyncio.run(loop.run())
    store.set_conversation_status(conversation_id, "done")


def _plan(store: Store, library: Library, personas: list[str], model: str, clinician: str,
          name: str) -> dict[str, str]:
    run = plan_run(store, library, RunConfig(personas=personas, patient_model=model,
                                             clinician=clinician, max_turns=10), name=name)
    store.set_run_status(run.id, "done")
    return {c.persona_id or "": c.id for c in store.conversations_of_run(run.id)}


def fill_store(path: Path, library_root: Path) -> FilledStore:
    """Write the filled store described in the module docstring to ``path``."""
    library = Library(SHIPPED_PERSONAS)
    v2_library = Library(library_root)
    ids: dict[str, str] = {}
    with Store(path) as store:
        llama = _plan(store, library, [VERBOSE, DISTRUST, CONFUSED], "ollama/llama3.2:1b",
                      "scripted/ed_intake", "ED pilot on llama")
        qwen = _plan(store, library, [VERBOSE], "ollama/qwen2.5:0.5b", "ollama/qwen2.5:0.5b",
                     "ED pilot on qwen")
        v2 = _plan(store, v2_library, [VERBOSE], "ollama/llama3.2:1b", "scripted/ed_intake",
                   "ED prompt v2")
        cbt = _plan(store, library, [CBT_PLEASING, CBT_VERBOSE], "ollama/llama3.2:1b",
                    "ollama/qwen2.5:0.5b", "CBT pilot")
        ids.update(verbose_llama=llama[VERBOSE], verbose_qwen=qwen[VERBOSE],
                   verbose_v2=v2[VERBOSE], injection=llama[DISTRUST], confused=llama[CONFUSED],
                   cbt_pleasing=cbt[CBT_PLEASING], cbt_verbose=cbt[CBT_VERBOSE])
        scripts = {VERBOSE: ED_DOCTOR, DISTRUST: ED_DOCTOR, CONFUSED: REASSURING_DOCTOR,
                   CBT_PLEASING: THERAPIST, CBT_VERBOSE: THERAPIST}
        for key, persona in [("verbose_llama", VERBOSE), ("verbose_qwen", VERBOSE),
                             ("verbose_v2", VERBOSE), ("injection", DISTRUST),
                             ("confused", CONFUSED), ("cbt_pleasing", CBT_PLEASING),
                             ("cbt_verbose", CBT_VERBOSE)]:
            _converse(store, ids[key], scripts[persona], PATIENT_TEXTS[persona])

        failed = _plan(store, library, [DISTRUST], "ollama/llama3.2:1b", "ollama/qwen2.5:0.5b",
                       "ED run that failed")[DISTRUST]
        store.set_conversation_status(failed, "failed", "Model 'llama3.2:1b' is not available")
        ids["failed"] = failed

        store.register_corpus("clinic_sample", description="Hand-written test conversation")
        ids["reference"] = store.add_conversation(NewConversation(
            source="reference:clinic_sample", scenario="ed_consult", status="done",
            created_at=datetime(2024, 5, 1, tzinfo=UTC)))
        store.append_turns_bulk([
            (ids["reference"], Turn(index=0, role="clinician", text="What can I do for you?")),
            (ids["reference"], Turn(index=1, role="patient", text="I've had a sore throat.")),
        ])
    return FilledStore(path, ids)


def _changed_library(root: Path) -> Path:
    """The shipped library with one more rule in the ED patient template (prompt version 2)."""
    shutil.copytree(SHIPPED_PERSONAS, root)
    template = root / "templates" / "ed_patient.j2"
    template.write_text(template.read_text() + "\nNever use medical words the doctor has not "
                        "used first.\n")
    return root



@pytest.fixture(autouse=True)
def _no_embedded_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages offer only the models a test serves: the embedded model counts as not installed
    unless the test patches ``embedded_missing`` back (as the embedded-model tests do)."""
    monkeypatch.setattr("workbench.backends.local.embedded_missing",
                        lambda: "not installed (page tests)")

@pytest.fixture(scope="session")
def filled_store_template(tmp_path_factory: pytest.TempPathFactory) -> FilledStore:
    """The filled store, built once; tests use ``filled_store`` (a copy) instead."""
    base = tmp_path_factory.mktemp("filled")
    return fill_store(base / "filled.db", _changed_library(base / "personas_v2"))


@pytest.fixture
def filled_store(filled_store_template: FilledStore, tmp_path: Path) -> FilledStore:
    """A private copy of the filled store (tests may write to it)."""
    path = tmp_path / "filled.db"
    shutil.copyfile(filled_store_template.path, path)
    return FilledStore(path, dict(filled_store_template.ids))


@pytest.fixture
def empty_store(tmp_path: Path) -> Path:
    """Where an empty store goes (the file does not exist yet; pages create it)."""
    return tmp_path / "empty.db"


def unused_loopback_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., None]]:
    """Point the app at a store (and optionally an Ollama host and an annotator).

    By default no model server answers (an unused loopback port), the settings file is a
    temp path that does not exist, and the annotator is unset.
    """
    def configure(store: Path, *, ollama: str | None = None, annotator: str | None = None) -> None:
        monkeypatch.setenv("WORKBENCH_STORE", str(store))
        monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "no_settings.json"))
        monkeypatch.setenv("WORKBENCH_PERSONAS", str(SHIPPED_PERSONAS))
        monkeypatch.setenv("OLLAMA_HOST", ollama or f"http://127.0.0.1:{unused_loopback_port()}")
        monkeypatch.delenv("WORKBENCH_ALLOW_REMOTE", raising=False)
        if annotator is None:
            monkeypatch.delenv("WORKBENCH_ANNOTATOR", raising=False)
        else:
            monkeypatch.setenv("WORKBENCH_ANNOTATOR", annotator)

    yield configure


def shown(markdown: str) -> str:
    """What a reader sees of inert Markdown: backslash escapes and entities undone."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown, flags=re.DOTALL))


def page(name: str) -> str:
    """The path of a page script, for ``AppTest.from_file``."""
    return str(PAGES / f"{name}.py")
