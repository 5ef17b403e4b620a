"""Progress in words: counts, elapsed, and an estimate at this job's own pace."""

from __future__ import annotations

from workbench.views.progress import duration, fraction, progress_line, time_left


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
