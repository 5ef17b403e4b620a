"""The Experiment matrix page: choose runs, lay them out, read the table, open a cell."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, FilledStore, page
from workbench.store import Store


def open_matrix() -> AppTest:
    """Through app.py, as in the real app (the cell's links need the navigation)."""
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("../pages/matrix.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_matrix_lays_out_runs_and_opens_a_cell(app_env, filled_store: FilledStore) -> None:
    app_env(filled_store.path)
    at = open_matrix()
    assert "Choose one or more runs" in at.info[0].value
    with Store(filled_store.path) as store:
        runs = [r.id for r in store.list_runs()]
        done = {c.id for c in store.list_conversations().items if c.status == "done"
                and c.run_id}
    at.multiselect(key="matrix_runs").set_value(runs).run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table.columns)[0] == "model" and len(table) == 2  # llama and qwen
    assert all("(n=" in str(v) or v == "–" for v in table.iloc[:, 1:].to_numpy().ravel())
    at.selectbox(key="matrix_figure").set_value("distinct_2").run()
    assert any("Sample size:" in c.value for c in at.caption)
    opened: set[str] = set()
    for index in range(len(at.selectbox(key="matrix_cell").options)):
        at.selectbox(key="matrix_cell").select_index(index).run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("each opens in Transcripts" in m.value for m in at.markdown)
        opened |= {link.proto.query_string.removeprefix("conversation=")
                   for link in at.get("page_link")}
    assert opened == done  # every finished conversation is in exactly the cells listed


def test_matrix_without_runs_says_what_to_do(app_env, empty_store) -> None:
    app_env(empty_store)
    at = AppTest.from_file(page("matrix"), default_timeout=60).run()
    assert not at.exception and "No runs yet" in at.info[0].value


def _conversations_in_cells(at: AppTest) -> int:
    cells = at.dataframe[0].value.iloc[:, 1:].to_numpy().ravel()
    return sum(int(str(v).split("(n=")[1].rstrip(")")) for v in cells if "(n=" in str(v))


def test_a_run_read_once_is_read_again_when_it_grows(app_env, filled_store: FilledStore) -> None:
    # The page keeps the runs' conversations between reruns (a large run takes seconds to read);
    # a conversation finished since must still be counted.
    from workbench.domain.transcript import Turn
    from workbench.store import NewConversation

    app_env(filled_store.path)
    at = open_matrix()
    with Store(filled_store.path) as store:
        runs = [r.id for r in store.list_runs()]
    at.multiselect(key="matrix_runs").set_value(runs).run()
    before = _conversations_in_cells(at)
    at.selectbox(key="matrix_rows").set_value("run").run()  # a rerun: same count, kept
    assert _conversations_in_cells(at) == before > 0
    with Store(filled_store.path) as store:
        run = store.get_run(runs[0])
        cid = store.add_conversation(NewConversation(run_id=run.id, patient_model="llama3.2",
                                                     levels={}))
        store.append_turn(cid, Turn(index=0, role="patient", text="It started on Sunday."))
        store.set_conversation_status(cid, "done")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _conversations_in_cells(at) == before + 1
