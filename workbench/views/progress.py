"""Progress of long jobs in words: counts, elapsed time and an estimate of the time left.

The estimate is the mean time per item done *in this job* times the items left, so work done
before (a resumed job, a cached embedding) does not make it look faster than it is.
:func:`bar_steps` and :func:`bar_counts` turn a library's progress callbacks into those words on
a page's progress bar (anything with Streamlit's ``progress(value, text=...)``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol

from workbench.views.transcript_view import inert_markdown

if TYPE_CHECKING:
    from workbench.analysis.steps import StepProgress


class Bar(Protocol):
    """A progress bar: ``st.progress(...)``'s return value."""

    def progress(self, value: float, text: str | None = None) -> Any:  # pragma: no cover
        ...


def duration(seconds: float) -> str:
    """``45 s``, ``3 min 5 s``, ``1 h 2 min``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def time_left(done_here: int, left: int, elapsed_s: float) -> float | None:
    """Seconds left at the pace of this job so far (None before its first item)."""
    if done_here <= 0 or elapsed_s <= 0:
        return None
    return elapsed_s / done_here * left


def progress_line(done: int, total: int, elapsed_s: float, noun: str = "items", *,
                  done_before: int = 0) -> str:
    """E.g. ``12 of 40 conversations · 30 s elapsed · about 1 min 10 s left``.

    Args:
        done: items finished, including those finished before this job started.
        total: all items.
        elapsed_s: seconds since this job started.
        noun: what is counted (plural).
        done_before: items already finished when the job started (not used for the pace).
    """
    parts = [f"{done:,} of {total:,} {noun}", f"{duration(elapsed_s)} elapsed"]
    if done >= total:
        parts.append("finished")
    else:
        left = time_left(done - done_before, total - done, elapsed_s)
        parts.append("estimating the time left…" if left is None else
                     f"about {duration(left)} left")
    return " · ".join(parts)


def fraction(done: int, total: int) -> float:
    """Share done, 0..1 (1 for an empty job)."""
    return min(1.0, done / total) if total else 1.0


def step_line(done: float, total: int, what: str, elapsed_s: float) -> str:
    """E.g. ``embedding new texts: 1,200 of 3,300 · step 3 of 7 · 40 s elapsed · about 1 min
    left`` for a job of ``total`` steps of which ``done`` (fractional) are finished."""
    left = elapsed_s / done * (total - done) if done > 0 and elapsed_s > 0 else None
    parts = [what, f"step {min(int(done) + 1, total)} of {total}",
             f"{duration(elapsed_s)} elapsed",
             "estimating the time left…" if left is None else f"about {duration(left)} left"]
    return " · ".join(parts)


def bar_steps(bar: Bar, clock: Callable[[], float] = time.monotonic) -> StepProgress:
    """A step callback (``on_progress(steps_done, steps, what)``) that moves ``bar``: the share
    done and :func:`step_line` (escaped: ``what`` may name a corpus or an axis), timed from now."""
    started = clock()

    def tell(done: float, total: int, what: str) -> None:
        bar.progress(fraction(round(done * 100), total * 100), text=inert_markdown(
            step_line(done, total, what, clock() - started)))

    return tell


def bar_counts(bar: Bar, noun: str,
               clock: Callable[[], float] = time.monotonic) -> Callable[[int, int], None]:
    """A count callback (``on_progress(done, total)``) that moves ``bar`` with
    :func:`progress_line` (``noun``: what is counted, plural), timed from now."""
    started = clock()

    def tell(done: int, total: int) -> None:
        bar.progress(fraction(done, total),
                     text=progress_line(done, total, clock() - started, noun))

    return tell


def remember(cache: MutableMapping[Hashable, Any], key: Hashable, value: Any,
             most: int = 8) -> Any:
    """Keep a long job's ``value`` under ``key`` in a session's ``cache``, dropping the oldest
    results beyond ``most`` (a session's memory stays bounded); returns ``value``."""
    while len(cache) >= most:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return value


def once_per_session(ui: Any, cache: str, name: str, args: Hashable,
                     compute: Callable[[StepProgress], Any], *,
                     stop: dict[str, Any] | None = None, most: int = 6) -> Any:
    """``compute(on_progress)`` once per ``(name, args)`` in this browser session, behind a
    progress bar with counts and an estimate, and a Stop button; later calls return the kept
    result (at most ``most`` per ``cache``).

    ``st.cache_data`` cannot replay a progress bar, hence a session's own store. A click on Stop
    reruns the page, which interrupts the job; ``stop`` are the session-state changes it makes so
    the page does not start the job again.

    Args:
        ui: the ``streamlit`` module (the page passes it: only pages import Streamlit).
        cache: the session-state key of this page's results.
    """
    kept = ui.session_state.setdefault(cache, {})
    if (name, args) not in kept:
        holder = ui.empty()  # the Stop button and the bar go once the job is done
        box = holder.container()
        box.button("Stop", key=f"{cache}_{name}_stop", icon=":material/stop_circle:",
                   on_click=ui.session_state.update, kwargs=stop or {})
        remember(kept, (name, args), compute(bar_steps(box.progress(0.0, "Starting…"))), most)
        holder.empty()
    return kept[(name, args)]
