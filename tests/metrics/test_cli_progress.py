"""The CLI's progress bars: the step in words with its counts, the share done and the time
left, on a terminal (and nothing when stderr is not one)."""

from __future__ import annotations

import io
import sys

from workbench.cli.progress import CountBar, StepBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_step_bar_shows_the_step_share_and_estimate(monkeypatch) -> None:
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    bar = StepBar("realism")
    bar.update(2.5, 5, "embedding new texts: 1,200 of 2,400")
    bar.close()
    out = screen.getvalue()
    assert "realism:  50%" in out and "embedding new texts: 1,200 of 2,400" in out
    assert "<" in out  # elapsed<remaining


def test_count_bar_counts(monkeypatch) -> None:
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    bar = CountBar("judging r-1", "conv")
    bar.update(3, 8)
    bar.close()
    assert "3/8" in screen.getvalue()


def test_bars_stay_silent_off_a_terminal(monkeypatch) -> None:
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    bar = StepBar("diversity")
    bar.update(1, 2, "measuring group a")
    bar.close()
    assert pipe.getvalue() == ""
