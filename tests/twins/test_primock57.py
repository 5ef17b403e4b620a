"""Done-when on the shared PriMock57 corpus: five twins made by the test server (fixture replies),
replayed, compared, every figure computed."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest

from tests.io.conftest import shared_corpus
from tests.support import OllamaTestServer
from tests.support.twin_extraction import extraction_replies
from tests.twins.conftest import MODEL
from workbench.analysis.matched import compare_run
from workbench.backends import get_backend
from workbench.domain.exchanges import exchanges
from workbench.io import import_reference
from workbench.library import Library
from workbench.simulate import RunConfig, execute_run, plan_checked_run
from workbench.store import Store
from workbench.twins import make_twins

pytestmark = pytest.mark.shared
FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "primock57.json").read_text())


def test_five_primock57_twins_replayed_and_compared(tmp_path: Path, library: Library) -> None:
    pytest.importorskip("sentence_transformers")
    path = shared_corpus("primock57")
    with Store(tmp_path / "store.db") as store, \
            OllamaTestServer(reply_fn=extraction_replies(FIXTURES)) as server:
        import_reference(store, path, "primock57")
        outcomes = asyncio.run(make_twins(store, library, "primock57",
                                          get_backend(MODEL, hosts=[server.url]), limit=5))
        assert [o.error for o in outcomes] == [None] * 5
        assert [o.conversation for o in outcomes] == sorted(FIXTURES)
        config = RunConfig(personas=[o.persona_id for o in outcomes], patient_model=MODEL,
                           clinician="replay/primock57", hosts=[server.url])
        run = plan_checked_run(store, library, config)
        assert asyncio.run(execute_run(store.path, run.id)).status == "done"
        report, notes = compare_run(store, run.id)
    assert notes == [] and len(report.pairs) == 5
    for pair in report.pairs:  # one simulated reply per real exchange, aligned
        real = exchanges(store_transcript(tmp_path, pair.real_id).turns)
        assert [m.clinician for m in pair.exchanges] == [e.clinician for e in real]
        assert not math.isnan(pair.similarity.value) and not math.isnan(pair.baseline)
    # Every run-level figure is computed.
    assert -1 <= report.similarity.value <= 1 and report.similarity.interval is not None
    assert not math.isnan(report.baseline) and report.length_ratio.value > 0
    assert report.facts_total > 0 and report.facts_real > 0
    assert report.c2st is not None and 0 <= report.c2st.value <= 1
    assert [y.label for y in report.c2st.yardsticks] == [
        "real conversations halves (by conversation)"]
    assert len(report.tells) == 6


def store_transcript(tmp_path: Path, conversation_id: str):
    with Store(tmp_path / "store.db") as store:
        return store.get_transcript(conversation_id)
