"""Stored text is inert on every page: a store whose every text field carries link, image, HTML,
LaTeX and directive payloads opens on every page without any of them taking effect.

The store is what an imported file (or an old store) can hold: run names, ids, template hashes,
axis and level ids, corpus names, annotators, failure reasons, turn texts. Every page listed in
app.py is opened through app.py, and every piece of Markdown any element carries (bodies,
labels of widgets, expanders and tabs, alerts, captions, progress text, help, radio options) is
checked for a construct the payload put there.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, SHIPPED_PERSONAS
from tests.app.test_smoke import listed_pages
from workbench.domain.transcript import Turn
from workbench.library import validate as validate_library
from workbench.store import Annotation, NewConversation, Store
from workbench.store.imports import ImportBatch, ImportedConversation
from workbench.store.records import RunRecord, TurnHit
from workbench.views.transcript_view import hit_line, inert_markdown

EVIL = "evil.invalid"
PAYLOAD = (f"[ln](http://{EVIL}/l) ![im](http://{EVIL}/i.png) <img src=\"http://{EVIL}/h.png\"> "
           f"<a href=\"http://{EVIL}/a\">a</a> $\\href{{http://{EVIL}/t}}{{t}}$ http://{EVIL}/auto "
           f"www.{EVIL} :red[RED] **BOLD** a` [br](http://{EVIL}/br) `b")
"""Link, image, HTML, LaTeX, autolinks (URL and www), a colour directive, emphasis, and a link
between backticks (live if a page puts the text into a code span)."""
ID_PAYLOAD = f"www.{EVIL}"
"""What an id that follows the id rule can still carry: a www autolink."""

# What the payload would put into Markdown if it took effect (escaped, each is broken up).
ACTIVE = [
    re.compile(re.escape(EVIL)),  # any link, image or autolink to the payload's host
    re.compile(r"<(img|a|script|iframe)\b", re.IGNORECASE),
    re.compile(r"(?<!\\)\$\\href"),
    re.compile(r"(?<!\\):red\[RED"),
    re.compile(r"(?<!\\)\*\*BOLD"),
]
# Elements whose text Streamlit shows as plain text, never as Markdown.
PLAIN = {"code", "text", "json", "arrow_data_frame", "dataframe", "plotly_chart", "exception",
         "vega_lite_chart", "arrow_vega_lite_chart", "deck_gl_json_chart", "empty", "divider",
         "balloons", "audio", "video", "image"}
MARKDOWN_FIELDS = {"body", "label", "text", "help", "caption", "title"}
"""Fields Streamlit renders as Markdown: bodies, labels of every widget and block, help."""
MARKDOWN_OPTIONS = {"radio", "button_group"}
"""Widgets whose options are Markdown too (a selectbox's or multiselect's are plain text)."""


def fill_payload_store(path: Path) -> dict[str, str]:
    """Every text field the pages show, carrying the payload."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with Store(path) as store:
        store.register_corpus(ID_PAYLOAD, description=PAYLOAD, licence=PAYLOAD,
                              source_path=PAYLOAD)
        common = {
            "run_id": ID_PAYLOAD, "persona_id": ID_PAYLOAD, "scenario": PAYLOAD, "profile": PAYLOAD,
            "levels": {PAYLOAD: PAYLOAD, "confusion": PAYLOAD}, "patient_model": PAYLOAD,
            "clinician": PAYLOAD, "patient_prompt": PAYLOAD, "clinician_prompt": PAYLOAD,
            "patient_template_hash": PAYLOAD, "clinician_template_hash": PAYLOAD,
            "metadata": {"note": PAYLOAD}, "seed": 1, "sample": 0,
        }
        turns = [Turn(index=i, role=("clinician", "patient")[i % 2], text=PAYLOAD,
                      state={"levels": {PAYLOAD: PAYLOAD}, "sentences": 1,
                             "level_changes": {PAYLOAD: [PAYLOAD, PAYLOAD]},
                             "ended_by": PAYLOAD, "speaker": PAYLOAD}) for i in range(4)]
        store.import_batch(ImportBatch(
            runs=[RunRecord(id=ID_PAYLOAD, name=PAYLOAD, created_at=now, status="failed",
                            config={"personas": [PAYLOAD], "hosts": [PAYLOAD]},
                            patient_model=PAYLOAD, clinician=PAYLOAD)],
            conversations=[
                ImportedConversation(conversation=NewConversation(
                    id=f"{ID_PAYLOAD}:{n}", status=status, created_at=now, **common),
                    failure_reason=PAYLOAD if status == "failed" else None, turns=turns)
                for n, status in enumerate(["done", "done", "failed"])
            ] + [ImportedConversation(conversation=NewConversation(
                id=f"{ID_PAYLOAD}:ref", source=f"reference:{ID_PAYLOAD}", status="done",
                created_at=now, scenario=PAYLOAD, metadata={"note": PAYLOAD}), turns=turns)],
        ))
        # What an older store (before ids were checked at import) may hold.
        (legacy,) = store.add_conversations([NewConversation(
            id=PAYLOAD, status="done", created_at=now,
            **{**common, "run_id": None, "persona_id": PAYLOAD})])
        store.append_turn(legacy, Turn(index=0, role="clinician", text=PAYLOAD))
        for conversation in (f"{ID_PAYLOAD}:0", legacy):
            for rubric, item, value in [("persona_fidelity", "realism", 2),
                                        ("persona_fidelity", "fidelity_note", PAYLOAD),
                                        (PAYLOAD, PAYLOAD, PAYLOAD)]:
                for annotator in (PAYLOAD, f"judge:{PAYLOAD}"):
                    store.put_annotation(Annotation(
                        conversation_id=conversation, rubric=rubric, item=item, value=value,
                        annotator=annotator, status="submitted"))
    return {"conversation": f"{ID_PAYLOAD}:0", "legacy": legacy, "run": ID_PAYLOAD}


@pytest.fixture(scope="module")
def payload_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The payload store, built once for the module (the pages only read it)."""
    path = tmp_path_factory.mktemp("payload") / "store.db"
    fill_payload_store(path)
    return path


def _strings(message: Message, fields: set[str], inside: bool = False) -> Iterator[str]:
    """Every string of a protobuf message held in (or under) a field named in ``fields``."""
    for descriptor, value in message.ListFields():
        wanted = inside or descriptor.name in fields
        if isinstance(value, str | bytes | Message | int | float):
            values = [value]
        else:  # a repeated field (or a map)
            values = list(value.values()) if hasattr(value, "values") else list(value)
        for one in values:
            if isinstance(one, Message):
                yield from _strings(one, fields, wanted)
            elif isinstance(one, str) and wanted:
                yield one


def markdown_of(at: AppTest) -> Iterator[tuple[str, str]]:
    """(element type, Markdown text) for every element and block on the page."""
    stack = [at._tree]
    while stack:
        node = stack.pop()
        stack.extend(getattr(node, "children", {}).values())
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if proto is None or kind in PLAIN:
            continue
        fields = MARKDOWN_FIELDS | ({"options"} if kind in MARKDOWN_OPTIONS else set())
        for text in _strings(proto, fields):
            yield kind, text


CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
OWN_LINK = re.compile(r"\]\((?:/|\?|[a-z_]+\?)[^)\s]*\)")


def live(markdown: str) -> str:
    """The Markdown without what is inert by construction: code spans (literal text) and the
    destinations of the app's own links (``](/page?...)``, ``](compare?a=...)``)."""
    return OWN_LINK.sub("]()", CODE_SPAN.sub("", markdown))


def active_payload(at: AppTest) -> list[tuple[str, str]]:
    """Markdown in which the payload took effect."""
    return [(kind, text) for kind, text in markdown_of(at)
            if any(pattern.search(live(text)) for pattern in ACTIVE)]


def test_the_checker_sees_a_raw_payload() -> None:
    """The check finds each construct when unescaped, and none once escaped."""
    for part in PAYLOAD.split(" "):
        assert any(p.search(part) for p in ACTIVE) or part in {"a</a>", "a`", "`b"}, part
    assert not any(p.search(live(inert_markdown(PAYLOAD))) for p in ACTIVE)
    assert any(p.search(live(f"`{PAYLOAD}`")) for p in ACTIVE)  # breaks out of a code span
    assert not any(p.search(live(f"`{EVIL}` [x](/transcripts?c={EVIL})")) for p in ACTIVE)


@pytest.mark.parametrize("listed", listed_pages(), ids=lambda p: p.title)
def test_no_page_lets_the_payload_act(listed, payload_store, app_env) -> None:
    app_env(payload_store, annotator=PAYLOAD)
    at = AppTest.from_file(str(APP), default_timeout=90).run()
    at.switch_page(listed.path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert active_payload(at) == []


@pytest.mark.parametrize(("page", "params"), [
    ("../pages/transcripts.py", {"conversation": "{conversation}"}),
    ("../pages/transcripts.py", {"conversation": "{legacy}"}),
    ("../pages/compare.py", {"a": "{conversation}", "b": "{legacy}"}),
])
def test_opened_conversations_stay_inert(page, params, payload_store, app_env) -> None:
    ids = {"conversation": f"{ID_PAYLOAD}:0", "legacy": PAYLOAD}
    app_env(payload_store, annotator=PAYLOAD)
    at = AppTest.from_file(str(APP), default_timeout=90).run()
    for key, value in params.items():
        at.query_params[key] = value.format(**ids)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert active_payload(at) == []


def test_search_hits_stay_inert(payload_store, app_env) -> None:
    """Search snippets show model-written URLs as text, never as links."""
    app_env(payload_store, annotator=PAYLOAD)
    at = AppTest.from_file(str(APP), default_timeout=90).run()
    at.switch_page("../pages/transcripts.py").run()
    for words in ("evil", "invalid", "href", "img"):
        at.text_input(key="transcripts_search").set_value(words).run()
        assert not at.exception, [e.value for e in at.exception]
        hits = [m.value for m in at.markdown if "turn" in m.value]
        assert hits, words  # the search found the payload's turns
        assert active_payload(at) == []


def _payload_library(root: Path) -> Path:
    """The shipped library with every label, description, question and anchor a payload."""
    shutil.copytree(SHIPPED_PERSONAS, root)

    def poison(data: object) -> object:
        if isinstance(data, dict):
            return {k: (PAYLOAD if k in TEXT_KEYS and isinstance(v, str) else
                        v if k == "axis_items" else poison(v))  # templates: filled by axes
                    for k, v in data.items()}
        return [poison(v) for v in data] if isinstance(data, list) else data

    for folder in ("axes", "scenarios", "rubrics", "scripts"):
        for path in (root / folder).glob("*.yaml"):
            path.write_text(yaml.safe_dump(poison(yaml.safe_load(path.read_text())),
                                           allow_unicode=True, sort_keys=False))
    return root


TEXT_KEYS = {"label", "description", "question", "help", "1", "2", "3", "4", "5", "6"}


@pytest.mark.parametrize("listed", [p for p in listed_pages() if p.title in {
    "Personas", "Compose", "Runs", "Trainer", "Annotate", "Agreement"}], ids=lambda p: p.title)
def test_a_shared_librarys_text_stays_inert(listed, payload_store, app_env, tmp_path,
                                            monkeypatch) -> None:
    library = _payload_library(tmp_path / "personas")
    assert not validate_library([library], root=library)  # still a valid library: only its words are hostile
    app_env(payload_store, annotator=PAYLOAD)
    monkeypatch.setenv("WORKBENCH_PERSONAS", str(library))
    at = AppTest.from_file(str(APP), default_timeout=90).run()
    at.switch_page(listed.path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert active_payload(at) == []


@pytest.mark.parametrize("url", [
    f"http://{EVIL}/x", f"https://{EVIL}", f"www.{EVIL}/p", f"user@{EVIL}", f"<http://{EVIL}>",
    f"[x](http://{EVIL})", f"![i](http://{EVIL}/i.png)", f"ftp://{EVIL}/f",
])
def test_search_snippets_never_autolink(url: str) -> None:
    """A model-written URL in a snippet stays text, inside a hit or around it."""
    for snippet in (f"see «{url}» now", f"«see» {url} «now»", f"«{url[:8]}»{url[8:]}"):
        line = hit_line(TurnHit(conversation_id="c-1", idx=1, role="patient", snippet=snippet,
                                rank=0.0))
        assert not any(p.search(live(line)) for p in ACTIVE), line
