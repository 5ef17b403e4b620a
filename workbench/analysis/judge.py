"""LLM judge: a model scores conversations on a rubric, stored as annotations by ``judge:<model>``.

The judge sees one conversation (its turns JSON-encoded between clear delimiters, so model text is
quoted data, not instructions) and the rubric's conversation-scoped rating and label items with
their scales, anchors and choices. The prompt is ``personas/templates/judge.j2``, so researchers
reword it without a code change. The judge answers with a JSON object ``{item_id: value}``; each
value is checked against its item, and an invalid or missing value is skipped and counted, never
guessed. Stored values are ``submitted``, so the Agreement page compares them with the humans::

    summary = asyncio.run(judge_run(store_path, run_id, "persona_fidelity", "ollama/llama3.2:3b"))
"""

from __future__ import annotations

import ast
import asyncio
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from workbench.backends import Backend, BackendError, ChatOptions, get_backend
from workbench.domain.axes import Axis
from workbench.domain.prompts import sandboxed_environment
from workbench.domain.rubric import LabelItem, RatingItem, Rubric
from workbench.domain.transcript import Transcript
from workbench.library.rubrics import load_rubric
from workbench.settings import load_settings
from workbench.store import Store
from workbench.store.records import Annotation, PersonaRecord

JUDGE_TEMPLATE = "judge.j2"
"""The judge prompt, under the persona library's ``templates/``."""
JUDGE_OPTIONS = ChatOptions(temperature=0.0, seed=0)
"""Near-greedy, seeded: the same judge gives the same scores where the server allows."""
ProgressFn = Callable[[int, int], None]
"""``progress(done, total)`` after each conversation."""


def judge_annotator(model_spec: str) -> str:
    """The annotator name of a judge model (``judge:<spec>``, as the Agreement page expects)."""
    return f"judge:{model_spec}"


def judged_items(
    rubric: Rubric,
    axes: Iterable[Axis] = (),
    levels: Mapping[str, str] | None = None,
    scenario: str | None = None,
) -> list[RatingItem | LabelItem]:
    """The items a judge is asked: the conversation-scoped ratings and labels of ``rubric``."""
    return [
        item
        for item in rubric.items_for(axes, levels, scenario)
        if item.scope == "conversation" and isinstance(item, RatingItem | LabelItem)
    ]


def judge_prompt(
    transcript: Transcript,
    rubric: Rubric,
    items: Sequence[RatingItem | LabelItem],
    template: str,
) -> str:
    """Render the judge template for one conversation and the items to rate.

    Raises:
        jinja2.TemplateError: the template is broken or uses an unknown variable.
    """
    turns = [{"index": t.index, "speaker": t.role, "text": t.text} for t in transcript.turns]
    example = {
        item.id: item.scale[0] if isinstance(item, RatingItem) else item.choice_ids[0]
        for item in items
    }
    env = sandboxed_environment(keep_trailing_newline=True)  # a shared library's template
    return env.from_string(template).render(
        rubric_label=rubric.label,
        rubric_description=rubric.description,
        transcript_json=json.dumps(turns, ensure_ascii=False, indent=1),
        items=items,
        example_json=json.dumps(example),
    )


def first_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in a reply (code fences and chatter around it ignored), or None.

    Small models often write the object Python-style (``{'empathy': 3}``, ``True``, a trailing
    comma): when no strict JSON object is found, the first brace-balanced span that is a Python
    dict literal counts (``ast.literal_eval``: literals only, nothing is executed).
    """
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError):  # a looping model nests without end
            pass
        else:
            if isinstance(value, dict):
                return value
        start = text.find("{", start + 1)
    for span in _brace_spans(text):
        try:
            value = ast.literal_eval(span)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, dict):
            return value
    return None


def _brace_spans(text: str, longest: int = 20_000, starts: int = 50) -> Iterator[str]:
    """Spans from each of the first ``starts`` ``{`` to the ``}`` that balances it (at most
    ``longest`` characters): bounded work whatever a model wrote."""
    start = text.find("{")
    while start != -1 and starts > 0:
        starts -= 1
        depth = 0
        for end in range(start, min(len(text), start + longest)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                yield text[start:end + 1]
                break
        start = text.find("{", start + 1)


def parse_verdict(
    text: str, items: Sequence[RatingItem | LabelItem]
) -> tuple[dict[str, Any], list[str]]:
    """The valid value of each item in a judge's reply, and the ids of the items without one.

    A rating may come as a whole number or its digits as a string (``"3"``); anything else
    (out of the scale, a fraction, a label not among the choices, a missing key) is invalid.
    """
    found = first_json_object(text) or {}
    values: dict[str, Any] = {}
    invalid: list[str] = []
    for item in items:
        value = found.get(item.id)
        if isinstance(item, RatingItem) and isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if value is None or item.check_value(value) is not None:
            invalid.append(item.id)
        else:
            values[item.id] = value
    return values, invalid


async def judge_conversation(
    transcript: Transcript,
    rubric: Rubric,
    backend: Backend,
    *,
    axes: Iterable[Axis] = (),
    levels: Mapping[str, str] | None = None,
    model_spec: str | None = None,
    template: str | None = None,
    options: ChatOptions = JUDGE_OPTIONS,
) -> list[Annotation]:
    """Have ``backend`` rate one conversation; the valid values as submitted annotations.

    Items the reply leaves out or answers invalidly get no annotation (their count is the
    number of ``judged_items`` minus the number returned). Nothing is stored here.

    Args:
        transcript: the conversation, with its turns.
        rubric: the rubric to rate on.
        backend: the judge model.
        axes: the persona's axes (for the rubric's per-axis items).
        levels: the persona's intended levels, named in the per-axis items' guidance.
        model_spec: the judge's spec, naming the annotator (default: the backend's name).
        template: the prompt template text (default: the library's ``judge.j2``).
        options: generation options.

    Raises:
        BackendError: the model call failed.
    """
    items = judged_items(rubric, axes, levels, transcript.scenario)
    if not items:
        return []
    prompt = judge_prompt(transcript, rubric, items, template or load_judge_template())
    reply = await backend.chat([{"role": "user", "content": prompt}], options)
    values, _ = parse_verdict(reply.text, items)
    annotator = judge_annotator(model_spec or backend.name)
    return [
        Annotation(conversation_id=transcript.id, rubric=rubric.id, item=item_id, value=value,
                   annotator=annotator, status="submitted")
        for item_id, value in values.items()
    ]


def load_judge_template(root: Path | str | None = None) -> str:
    """The judge prompt template of the persona library at ``root`` (default: the setting).

    Raises:
        FileNotFoundError: the library has no ``templates/judge.j2``.
    """
    base = Path(root) if root is not None else load_settings().personas_dir
    return (base / "templates" / JUDGE_TEMPLATE).read_text(encoding="utf-8")


class JudgeSummary(BaseModel):
    """What a judge run did."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    run_id: str
    """The judged run."""
    rubric: str
    """Rubric id."""
    annotator: str
    """``judge:<model spec>``."""
    judged: int
    """Conversations that got at least one valid value now."""
    skipped: int
    """Conversations this judge had already scored on this rubric (left as they were)."""
    unscored: int
    """Conversations asked whose reply had no valid value (tried again on the next run)."""
    failed: int
    """Conversations whose model call failed transiently (tried again on the next run)."""
    values: int
    """Values stored."""
    invalid_items: int
    """Item values missing or invalid in the replies (skipped, never guessed)."""


def _forget_if_ok(tasks: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
    """A done callback that drops a task from ``tasks`` unless it failed (it stays, to be
    raised)."""
    def forget(task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            tasks.discard(task)

    return forget


async def judge_run(
    store_path: Path | str,
    run_id: str,
    rubric_id: str,
    model_spec: str,
    *,
    hosts: Sequence[str] | None = None,
    allow_remote: bool = False,
    concurrency: int = 4,
    personas_root: Path | str | None = None,
    progress: ProgressFn | None = None,
) -> JudgeSummary:
    """Judge every done conversation of a run that this judge has not scored on the rubric.

    Each conversation's values are stored together as soon as its reply is in, so an
    interrupted judge run resumes where it stopped.

    Args:
        store_path: the store.
        run_id: the run to judge.
        rubric_id: rubric of the persona library.
        model_spec: judge backend spec, e.g. ``ollama/llama3.2:3b``.
        hosts: Ollama servers (default: ``OLLAMA_HOST``).
        allow_remote: allow hosts that are not this machine.
        concurrency: model calls in flight.
        personas_root: persona library holding the rubric and the template (default: setting).
        progress: called with (done, total) after each conversation.

    Raises:
        LibraryLookupError, LibraryError: unknown or invalid rubric.
        UnknownRun: no such run.
        BackendError: bad spec, unreachable server, model not installed, remote host refused.
    """
    rubric = load_rubric(rubric_id, personas_root)
    template = load_judge_template(personas_root)
    annotator = judge_annotator(model_spec)
    backend = get_backend(model_spec, hosts=hosts, allow_remote=allow_remote)
    counts = {"judged": 0, "unscored": 0, "failed": 0, "values": 0, "invalid_items": 0,
              "skipped": 0}
    gate = asyncio.Semaphore(max(1, concurrency))
    # Conversations stream from the store a page at a time, admitted as model slots free: a
    # run of any size is judged in about the memory of a few pages.
    admit = asyncio.Semaphore(2 * max(1, concurrency))
    tasks: set[asyncio.Task[None]] = set()
    personas: dict[str, PersonaRecord | None] = {}
    seen = 0

    async def judge_and_store(store: Store, transcript: Transcript, total: int) -> None:
        nonlocal seen
        try:
            record = personas.get(transcript.persona_hash) if transcript.persona_hash else None
            axes = list(record.resolved().axes.values()) if record is not None else []
            n_items = len(judged_items(rubric, axes, transcript.levels, transcript.scenario))
            async with gate:
                try:
                    found = await judge_conversation(
                        transcript, rubric, backend, axes=axes, levels=transcript.levels,
                        model_spec=model_spec, template=template)
                except BackendError as exc:
                    if not exc.transient:
                        raise
                    found = None
            if found is None:
                counts["failed"] += 1
            else:
                counts["invalid_items"] += n_items - len(found)
                if found:
                    store.put_annotations(found)
                    counts["judged"] += 1
                    counts["values"] += len(found)
                else:
                    counts["unscored"] += 1
        finally:
            admit.release()
        seen += 1
        if progress is not None:
            progress(seen, total)

    def unscored(store: Store) -> Iterator[Transcript]:
        """The run's done conversations this judge has not scored, a page at a time."""
        nonlocal seen
        last = -1
        while batch := store.conversation_batch(run_id, ["done"], after_seq=last, limit=64):
            last = batch[-1][0]
            for _, transcript in batch:
                if any(a.rubric == rubric.id and a.turn_idx is None
                       for a in store.annotations(transcript.id, annotator=annotator)):
                    counts["skipped"] += 1  # scored by this judge already
                    seen += 1
                else:
                    yield transcript

    try:
        with Store(store_path, create=False) as store:
            total = store.count_conversations_of_run(run_id, ["done"])
            checked = False
            for transcript in unscored(store):
                if not checked:  # unreachable server or missing model: one clear error first
                    await backend.check()
                    checked = True
                key = transcript.persona_hash
                if key and key not in personas:
                    personas[key] = store.get_persona(key)
                await admit.acquire()
                if any(t.done() for t in tasks):  # only a failed task stays in the set
                    admit.release()
                    break
                task = asyncio.create_task(judge_and_store(store, transcript, total))
                tasks.add(task)
                task.add_done_callback(_forget_if_ok(tasks))
            await asyncio.gather(*tasks)  # raises the first failure
    finally:
        for task in tasks:
            task.cancel()
        await backend.aclose()
    return JudgeSummary(run_id=run_id, rubric=rubric.id, annotator=annotator, **counts)
