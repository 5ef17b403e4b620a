"""The Annotate and Blind A/B pages: what an annotator sees, and what the store keeps."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import VERBOSE, FilledStore, page, shown
from workbench.annotation.ab import AB_RUBRIC, find_pairs
from workbench.annotation.queue import order_queue
from workbench.store import ConversationFilter, Store


def shown_text(at: AppTest) -> str:
    """Every element of the page as its protobuf text (labels, options, help, bodies)."""
    out: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else []):
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def queue_seed(filled: FilledStore) -> tuple[int, str]:
    """The first queue seed whose first conversation is a simulated one (it has a persona, so
    the rubric's conversation ratings apply), and that conversation's id.

    Conversation ids are random per test session; with a fixed seed the first conversation is
    sometimes the imported real one, which has no persona and so no rating items."""
    with Store(filled.path) as store:
        summaries = store.list_conversations(ConversationFilter(status=["done"]), limit=5000).items
    persona_of = {s.id: s.persona_id for s in summaries}
    for seed in range(100):
        first = order_queue(summaries, "random", seed=seed)[0]
        if persona_of[first]:
            return seed, first
    raise AssertionError("no seed puts a simulated conversation first")


def first_in_queue(filled: FilledStore) -> str:
    return queue_seed(filled)[1]


def open_annotate(app_env, filled: FilledStore, *, blind: bool = True) -> AppTest:
    app_env(filled.path, annotator="dr_ana")
    at = AppTest.from_file(page("annotate"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    at.number_input(key="annotate_seed").set_value(queue_seed(filled)[0]).run()
    assert not at.exception, [e.value for e in at.exception]
    if not blind:
        at.toggle(key="annotate_blind").set_value(False).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def fill_required(at: AppTest, prefix: str) -> dict[str, int]:
    """Answer every rating of the conversation form with its top point; returns item → value."""
    chosen = {}
    for radio in at.radio:
        if radio.key and radio.key.startswith(prefix) and isinstance(radio.options[0], str) \
                and radio.options[0].split(" · ")[0].isdigit():
            radio.set_value(int(radio.options[-1].split(" · ")[0]))
            chosen[radio.key.removeprefix(prefix)] = int(radio.options[-1].split(" · ")[0])
    return chosen


def test_submitted_annotation_is_stored_with_annotator_and_item(app_env, filled_store) -> None:
    cid = first_in_queue(filled_store)
    at = open_annotate(app_env, filled_store)
    rubric = at.selectbox(key=f"annotate_rubric_{cid}").value
    chosen = fill_required(at, f"annotate_{cid}_{rubric}_c_")
    assert chosen, "the conversation form asks ratings"
    at.button(key="FormSubmitter:" + f"annotate_form_{cid}_{rubric}-Submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success] == ["Submitted; here is the next conversation."]
    with Store(filled_store.path) as store:
        stored = {a.item: a for a in store.annotations(cid, annotator="dr_ana")}
    assert {item: stored[item].value for item in chosen} == chosen
    assert {(a.rubric, a.status, a.turn_idx) for a in stored.values()} == {
        (rubric, "submitted", None)}
    text = shown_text(at)
    assert "1 of 8 conversations submitted" in text and "Conversation **2** of 8" in text


def test_submit_without_required_items_stores_nothing(app_env, filled_store) -> None:
    cid = first_in_queue(filled_store)
    at = open_annotate(app_env, filled_store)
    rubric = at.selectbox(key=f"annotate_rubric_{cid}").value
    at.button(key="FormSubmitter:" + f"annotate_form_{cid}_{rubric}-Submit").click().run()
    assert at.error and "needs an answer" in at.error[0].value
    with Store(filled_store.path) as store:
        assert store.annotations(annotator="dr_ana") == []


def test_blind_mode_hides_model_persona_and_levels(app_env, filled_store) -> None:
    hidden = {"llama3.2", "qwen2.5", "ed_intake", VERBOSE}
    with Store(filled_store.path) as store:
        for summary in store.list_conversations(ConversationFilter(status=["done"])).items:
            hidden |= {summary.persona_id or "llama3.2", summary.run_id or "llama3.2"}
            hidden |= {f"{axis}={level}" for axis, level in summary.levels.items()}
            hidden |= {f"{axis}: {level}" for axis, level in summary.levels.items()}
    at = open_annotate(app_env, filled_store)
    intended = 0
    for position in range(8):  # the whole queue
        text = shown_text(at)
        assert not [word for word in hidden if word in text], position
        assert "Other annotators" not in text
        intended += "Intended:" in text.replace("\\", "")  # help text is escaped Markdown
        if position < 7:
            at.button(key="annotate_next").click().run()
    assert not at.exception
    # ...but a fidelity item can be answered: it shows the intended level's description.
    assert intended > 0
    # Outside blind mode the facts table names the model and levels (so the check can fail).
    at = open_annotate(app_env, filled_store, blind=False)
    (box,) = [m.value for m in at.markdown if m.value.startswith("**conversation**")]
    facts = dict(shown(line).removeprefix("**").split("**: ", 1) for line in box.split("  \n"))
    assert {"patient model", "levels"} <= set(facts) or facts.get("source", "").startswith("ref")
    assert "Other annotators" in shown_text(at)


def test_draft_survives_a_rerun_and_a_new_session(app_env, filled_store) -> None:
    cid = first_in_queue(filled_store)
    at = open_annotate(app_env, filled_store)
    rubric = at.selectbox(key=f"annotate_rubric_{cid}").value
    key = next(r.key for r in at.radio if r.key.startswith(f"annotate_{cid}_{rubric}_c_"))
    at.radio(key=key).set_value(2)
    at.button(key="FormSubmitter:" + f"annotate_form_{cid}_{rubric}-Save draft").click().run()
    assert [s.value for s in at.success] == ["Draft saved; submit when done."]
    with Store(filled_store.path) as store:
        (draft,) = store.annotations(cid, annotator="dr_ana")
    assert (draft.value, draft.status) == (2, "draft")
    at.run()
    assert at.radio(key=key).value == 2
    fresh = AppTest.from_file(page("annotate"), default_timeout=60).run()
    fresh.number_input(key="annotate_seed").set_value(queue_seed(filled_store)[0]).run()
    assert fresh.radio(key=key).value == 2
    assert "draft" in shown_text(fresh)


def test_ab_choice_is_stored_and_win_rate_shown(app_env, filled_store) -> None:
    app_env(filled_store.path, annotator="dr_ana")
    with Store(filled_store.path) as store:
        pairs = find_pairs(store, seed=0)
    assert len(pairs) == 3  # the verbose persona: llama, qwen, llama with template v2
    pair = pairs[0]
    at = AppTest.from_file(page("ab"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    text = shown_text(at)
    assert "llama3.2" not in text and "qwen2.5" not in text  # sides are unlabelled
    at.radio(key=f"ab_choice_{pair.a}_{pair.b}").set_value("a")
    at.text_area(key=f"ab_reason_{pair.a}_{pair.b}").set_value("B sounds like a chatbot")
    at.button(key=f"FormSubmitter:ab_form_{pair.a}_{pair.b}-Submit choice").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with Store(filled_store.path) as store:
        (stored,) = store.annotations(annotator="dr_ana")
    assert stored.rubric == AB_RUBRIC and stored.status == "submitted"
    assert stored.value["choice"] == "a" and stored.value["a"] == pair.a
    assert stored.value["reason"] == "B sounds like a chatbot"
    rows = at.dataframe[0].value.to_dict("records")
    won = next(r for r in rows if r["configuration"] == pair.a_config)
    lost = next(r for r in rows if r["configuration"] == pair.b_config)
    assert (won["wins"], won["win rate"], lost["losses"], lost["win rate"]) == (1, 1.0, 1, 0.0)
    assert "1 of 3 pairs judged" in shown_text(at)


def test_asks_for_a_name_when_the_settings_have_none(app_env, filled_store) -> None:
    app_env(filled_store.path)
    at = AppTest.from_file(page("annotate"), default_timeout=60).run()
    assert at.info and "Enter your name" in at.info[0].value and not at.radio
    at.text_input(key="annotate_name").set_value("ben").run()
    assert not at.exception and at.radio
    assert "ben: 0 of 8 conversations submitted" in shown_text(at)


def test_digit_keys_answer_the_form_item_by_item_and_submit_stores_them(
        app_env, filled_store) -> None:
    cid = first_in_queue(filled_store)
    at = open_annotate(app_env, filled_store)
    rubric = at.selectbox(key=f"annotate_rubric_{cid}").value
    pointer = at.selectbox(key=f"annotate_keys_{cid}_{rubric}")
    first = pointer.value
    assert first == 0 and len(pointer.options) >= 2, pointer.options
    first_widget = next(r for r in at.radio if r.key.startswith(f"annotate_{cid}_{rubric}_"))
    assert first_widget.value is None
    # The sidebar shows one button per answer of the first item; pressing "2" answers it.
    keys = [b for b in at.sidebar.button if b.key.startswith("annotate_key_")]
    assert [b.key for b in keys][:2] == ["annotate_key_1", "annotate_key_2"], [b.key for b in keys]
    at.button(key="annotate_key_2").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key=first_widget.key).value == 2
    assert at.selectbox(key=f"annotate_keys_{cid}_{rubric}").value == 1  # on to the next item
    second_widget = [r for r in at.radio if r.key.startswith(f"annotate_{cid}_{rubric}_")][1]
    at.button(key="annotate_key_1").click().run()
    assert at.radio(key=second_widget.key).value == 1
    assert at.radio(key=first_widget.key).value == 2  # the first answer is still there
    # The rest by keys alone: the first answer of each remaining item, then submit.
    for _ in range(len(pointer.options) - 2):
        first_key = next(b for b in at.sidebar.button if b.key.startswith("annotate_key_"))
        first_key.click().run()
    at.button(key="FormSubmitter:" + f"annotate_form_{cid}_{rubric}-Submit").click().run()
    assert [s.value for s in at.success] == ["Submitted; here is the next conversation."]
    with Store(filled_store.path) as store:
        stored = {a.item: a.value for a in store.annotations(cid, annotator="dr_ana")}
    assert stored[first_widget.key.removeprefix(f"annotate_{cid}_{rubric}_c_")] == 2
    assert stored[second_widget.key.removeprefix(f"annotate_{cid}_{rubric}_c_")] == 1
    assert len(stored) == len(pointer.options)
