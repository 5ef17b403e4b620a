"""The Compose twin flow and the Twins page in AppTest: extract, edit, save; then a twin run shown
side by side, with an injected payload kept inert."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support import OllamaTestServer
from tests.support.twin_extraction import extraction_replies
from tests.twins.conftest import CORPUS, FIXTURES, MODEL
from workbench.backends import get_backend
from workbench.library import Library
from workbench.settings import PROJECT_ROOT
from workbench.simulate import RunConfig, execute_run, plan_checked_run
from workbench.store import Store
from workbench.twins import make_twins

APP = str(PROJECT_ROOT / "workbench" / "app.py")
PAYLOAD = "<img src=x onerror=alert(1)> **bold**"


@pytest.fixture
def app(tmp_path: Path, store: Store, library: Library, monkeypatch: pytest.MonkeyPatch):
    def start(server: OllamaTestServer, page: str) -> AppTest:
        settings = tmp_path / "settings.json"
        settings.write_text(json.dumps({"default_patient_model": MODEL}))
        monkeypatch.setenv("WORKBENCH_STORE", str(store.path))
        monkeypatch.setenv("WORKBENCH_PERSONAS", str(library.root))
        monkeypatch.setenv("WORKBENCH_SETTINGS", str(settings))
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        at = AppTest.from_file(APP, default_timeout=120).run()
        at.switch_page(f"../pages/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    return start


def test_compose_extracts_edits_and_saves_a_twin(app, library: Library) -> None:
    fixtures = {**FIXTURES, "c1": json.dumps({"chief_complaint": f"cough {PAYLOAD}"})}
    with OllamaTestServer(reply_fn=extraction_replies(fixtures)) as server:
        at = app(server, "compose")
        at.segmented_control(key="compose_mode").set_value("Twin of a real conversation").run()
        assert at.selectbox(key="compose_twin_corpus").value == CORPUS
        at.button(key="compose_twin_extract").click().run()
        assert not at.exception, [e.value for e in at.exception]
        complaint = next(t for t in at.text_input if t.label == "Chief complaint")
        assert complaint.value == f"cough {PAYLOAD}"  # model text stays a widget value
        complaint.set_value("cough for a week")
        next(t for t in at.text_input if t.label == "Gender").set_value("male")
        at.button(key="FormSubmitter:compose_twin_form-Save twin").click().run()
    assert [s.value for s in at.success], [e.value for e in at.error]
    profile = library.profiles()["twin_clinic_c1"]
    assert profile.chief_complaint == "cough for a week" and profile.gender == "male"
    assert profile.twin is not None and profile.twin.extraction_model == MODEL
    assert profile.age is None  # never stated, never invented
    assert all(PAYLOAD not in m.value for m in at.markdown)


def test_twins_page_shows_the_run(app, store: Store, library: Library) -> None:
    with OllamaTestServer(reply_fn=extraction_replies(FIXTURES), inject=PAYLOAD) as server:
        backend = get_backend(MODEL, hosts=[server.url])
        server.configure(inject=None)
        outcomes = asyncio.run(make_twins(store, library, CORPUS, backend))
        server.configure(inject=PAYLOAD)  # the simulated patient's replies carry the payload
        config = RunConfig(personas=[o.persona_id for o in outcomes], patient_model=MODEL,
                           clinician=f"replay/{CORPUS}", hosts=[server.url])
        run = plan_checked_run(store, library, config)
        asyncio.run(execute_run(store.path, run.id))
        at = app(server, "twins")
    assert at.selectbox(key="twins_run").value == run.id
    figures = [row for df in at.dataframe for row in df.value.to_dict("records")]
    assert any(r.get("figure") == "Matched similarity" for r in figures)
    shown = "\n".join(t.value for t in at.text)
    assert "Clinician: Hello, what brings you in today?" in shown
    assert PAYLOAD in shown  # shown as text
    assert all("<img" not in m.value and "**bold**" not in m.value for m in at.markdown)
    links = [m.value for m in at.markdown if "Compare the two" in m.value]
    assert links and "compare?a=" in links[0]
    assert any("First mentions:" in m.value and "chief_complaint" in m.value for m in at.markdown)
