"""The Agreement page: figures equal those computed directly, disputed conversations link to
their transcripts, and LLM judges stay out of human agreement."""

from __future__ import annotations

import json
import math

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, FilledStore
from workbench.analysis.agreement import ReliabilityData, gwet_ac, krippendorff_alpha
from workbench.store import Annotation, Store

ED = ["verbose_llama", "verbose_qwen", "verbose_v2", "injection", "confused"]
REALISM = {"dr_a": [4, 3, 2, 4, 1], "dr_b": [4, 2, 2, 3, None], "judge:ollama/qwen2.5:0.5b":
           [1, 4, 4, 1, 2]}
PERSONALITY = {"dr_a": [3, 3, 1, 4, 2], "dr_b": [3, 3, 1, 4, 4]}


def seed(filled: FilledStore, status: str = "submitted") -> None:
    with Store(filled.path) as store:
        for item, table in (("realism", REALISM), ("axis_personality", PERSONALITY)):
            for annotator, values in table.items():
                for key, value in zip(ED, values):
                    if value is not None:
                        store.put_annotation(Annotation(
                            conversation_id=filled.ids[key], rubric="persona_fidelity",
                            item=item, value=value, annotator=annotator, status=status))


def open_agreement() -> AppTest:
    """The page run through the app, whose navigation its links to Transcripts need."""
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("../pages/agreement.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def humans(table: dict[str, list[int | None]]) -> ReliabilityData:
    return ReliabilityData.from_matrix([v for k, v in table.items() if not k.startswith("judge:")])


def test_alpha_and_ac1_equal_direct_values(app_env, filled_store) -> None:
    seed(filled_store)
    app_env(filled_store.path)
    at = open_agreement()
    axes, items, pairs = (df.value.to_dict("records") for df in at.dataframe[:3])
    (realism,) = items
    expected = krippendorff_alpha(humans(REALISM), "ordinal", categories=[1, 2, 3, 4])
    assert not math.isnan(expected)
    assert realism["alpha"] == pytest.approx(expected)
    assert realism["annotators"] == 2 and realism["units"] == 4  # the judge is left out
    ac1 = gwet_ac(humans(REALISM), categories=[1, 2, 3, 4])
    assert realism["AC1 (95% CI)"].startswith(f"{ac1:.3f}")
    (personality,) = axes
    assert personality["axis"] == "Personality"
    assert personality["alpha"] == pytest.approx(
        krippendorff_alpha(humans(PERSONALITY), "ordinal", categories=[1, 2, 3, 4]))
    assert {(p["item"], p["annotator 1"], p["annotator 2"]) for p in pairs} == {
        ("realism", "dr_a", "dr_b"), ("axis_personality", "dr_a", "dr_b")}
    # The judge is compared with the humans in a table of its own.
    assert [r["item"] for r in at.dataframe[3].value.to_dict("records")] == ["realism"]


def test_most_disputed_conversations_link_to_their_transcripts(app_env, filled_store) -> None:
    seed(filled_store)
    app_env(filled_store.path)
    at = open_agreement()
    links = at.get("page_link")
    # "confused" has personality 2 vs 4 and one realism rating only: the most disputed.
    assert links[0].proto.query_string == f"conversation={filled_store.ids['confused']}"
    assert "transcripts" in links[0].proto.page
    assert len(links) == len(ED)


def test_drafts_do_not_count(app_env, filled_store) -> None:
    seed(filled_store, status="draft")
    app_env(filled_store.path)
    at = open_agreement()
    assert at.info and "No submitted annotations" in at.info[0].value


def test_agreement_is_plotted_per_item_with_intervals_beside_its_table(app_env,
                                                                      filled_store) -> None:
    seed(filled_store)
    app_env(filled_store.path)
    at = open_agreement()
    assert [t.label for t in at.tabs][:2] == ["Chart", "Table"]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    alpha, ac1 = spec["data"]
    tables = {row["axis" if "axis" in row else "item"]: row
              for df in (at.dataframe[0].value, at.dataframe[1].value)
              for row in df.to_dict("records")}
    assert sorted(alpha["y"]) == sorted(tables)
    for label, x in zip(alpha["y"], alpha["x"]):
        assert math.isclose(x, tables[label]["alpha"])
    assert "error_x" in alpha and "Krippendorff" in alpha["hovertemplate"] + alpha["name"]
    assert ac1["name"] == "Gwet's AC1"
