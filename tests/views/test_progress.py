"""Progress in words: counts, elapsed, and an estimate at this job's own pace."""

from __future__ import annotations

from tests.app.conftest import shown
from workbench.views.progress import (
    bar_counts,
    bar_steps,
    duration,
    fraction,
    progress_line,
    remember,
    time_left,
)


def test_estimate_uses_only_this_jobs_pace() -> None:
    # 10 of 40 were done before; 10 more in 20 s → 2 s each → 20 left → 40 s.
    assert time_left(10, 20, 20.0) == 40.0
    assert progress_line(20, 40, 20.0, "conversations", done_before=10) == (
        "20 of 40 conversations · 20 s elapsed · about 40 s left")


def test_before_the_first_item_and_when_finished() -> None:
    assert time_left(0, 5, 3.0) is None
    assert progress_line(3, 9, 1.0, "texts", done_before=3).endswith(
        "estimating the time left…")
    assert progress_line(9, 9, 75.0, "texts") == "9 of 9 texts · 1 min 15 s elapsed · finished"


def test_durations_and_fractions() -> None:
    assert [duration(s) for s in (0.4, 59, 61, 3725)] == ["0 s", "59 s", "1 min 1 s",
                                                          "1 h 2 min"]
    assert fraction(0, 0) == 1.0 and fraction(3, 4) == 0.75 and fraction(5, 4) == 1.0


class Bar:
    """What a page's ``st.progress`` bar receives."""

    def __init__(self) -> None:
        self.shown: list[tuple[float, str | None]] = []

    def progress(self, value: float, text: str | None = None) -> None:
        self.shown.append((value, text))


def test_a_step_callback_moves_a_page_bar_with_escaped_words() -> None:
    clock = iter([100.0, 110.0, 130.0]).__next__  # started, then two updates
    bar = Bar()
    tell = bar_steps(bar, clock)
    tell(1, 4, "projecting 3,300 points with UMAP")
    tell(2.5, 4, "recovering *mood* from TF-IDF: 3 of 20 cross-validations")
    value, text = bar.shown[0]
    assert value == 0.25 and text is not None
    assert shown(text) == ("projecting 3,300 points with UMAP · step 2 of 4 · 10 s elapsed · "
                           "about 30 s left")
    value, text = bar.shown[1]
    assert value == 0.625 and text is not None
    assert "\\*mood\\*" in text  # inert: the words are not Markdown
    assert "step 3 of 4" in text and "about 18 s left" in shown(text)


def test_a_count_callback_moves_a_page_bar() -> None:
    clock = iter([0.0, 20.0]).__next__
    bar = Bar()
    bar_counts(bar, "new texts embedded", clock)(1_200, 3_300)
    assert bar.shown == [(1_200 / 3_300, "1,200 of 3,300 new texts embedded · 20 s elapsed · "
                                         "about 35 s left")]


def test_a_sessions_results_stay_bounded_oldest_out() -> None:
    cache: dict[object, object] = {}
    for n in range(5):
        assert remember(cache, ("map", n), n * 10, most=3) == n * 10
    assert cache == {("map", 2): 20, ("map", 3): 30, ("map", 4): 40}


def _page_with_a_long_job() -> None:
    import streamlit as st

    from workbench.views.progress import once_per_session

    def compute(tell):
        st.session_state["runs"] = st.session_state.get("runs", 0) + 1
        for step in range(3):
            tell(step, 3, f"part {step + 1}")
        return sum(st.session_state["args"])

    st.session_state.setdefault("args", (1, 2))
    value = once_per_session(st, "demo_computed", "sum", st.session_state["args"], compute,
                             stop={"stopped": True}, most=2)
    st.write(f"value={value}")


def test_a_long_job_runs_once_per_arguments_and_leaves_no_bar_behind() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_page_with_a_long_job, default_timeout=30).run()
    assert not at.exception and [m.value for m in at.markdown] == ["value=3"]
    assert not at.get("progress") and not at.button  # bar and Stop gone once done
    at.run()
    assert at.session_state["runs"] == 1  # kept: not computed again
    for args in [(5, 5), (7, 7), (1, 2)]:  # at most two results kept per page
        at.session_state["args"] = args
        at.run()
    assert at.session_state["runs"] == 4 and [m.value for m in at.markdown] == ["value=3"]
    assert list(at.session_state["demo_computed"]) == [("sum", (7, 7)), ("sum", (1, 2))]
