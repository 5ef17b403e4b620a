"""`workbench metrics realism` on imported corpora against an independent implementation of
docs/METRICS.md ("Realism: classifier two-sample test"), and against the figures of the shared
reference corpora.

The plain implementation below is written from the document alone: it uses scikit-learn and
numpy directly and nothing of ``workbench``.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.io.conftest import shared_corpus
from workbench.cli import app

runner = CliRunner()
FUNCTION_WORD_RE = re.compile(r"^- function words: (.+)$", re.MULTILINE)
METRICS_MD = Path(__file__).resolve().parents[2] / "docs" / "METRICS.md"


def plain_c2st(a: list[tuple[str, str]], b: list[tuple[str, str]], style: bool) -> float:
    """The C2ST exactly as written in METRICS.md, on (conversation id, turn text) pairs."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold

    function_words = set(FUNCTION_WORD_RE.search(METRICS_MD.read_text()).group(1).split())
    marks = re.compile(r"\{\{[^{}]*\}\}?|\[[^\[\]]*\]|<[^<>]*>")

    def prepare(text: str) -> str:
        text = marks.sub(" ", text).lower()
        if not style:
            return " ".join(re.sub(r"\W", " ", text).split())
        tokens = re.findall(r"\w+(?:'\w+)*|[^\w\s]", text.replace("’", "'"))
        return " ".join("<w>" if re.match(r"\w", t) and t not in function_words else t
                        for t in tokens)

    rng = np.random.default_rng(0)
    n = min(len(a), len(b), 2000)
    sample_a = [a[i] for i in np.sort(rng.choice(len(a), n, replace=False))]
    sample_b = [b[i] for i in np.sort(rng.choice(len(b), n, replace=False))]
    docs = [prepare(t) for _, t in sample_a + sample_b]
    y = np.array([1] * n + [0] * n)
    groups = [f"a:{c}" for c, _ in sample_a] + [f"b:{c}" for c, _ in sample_b]
    aucs = []
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0)
    for train, test in folds.split(docs, y, groups):
        vectorizer = (TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False,
                                      ngram_range=(1, 3)) if style
                      else TfidfVectorizer(ngram_range=(1, 2)))
        model = LogisticRegression(max_iter=1000).fit(
            vectorizer.fit_transform([docs[i] for i in train]), y[train])
        scores = model.decision_function(vectorizer.transform([docs[i] for i in test]))
        aucs.append(roc_auc_score(y[test], scores))
    return float(np.mean(aucs))


def made_corpus(seed: int, typed: bool, conversations: int = 40) -> list[dict]:
    """Patient conversations from one seeded grammar: ``typed`` ones are chat-like (capitals,
    more varied punctuation, a few anonymisation marks, fewer fillers), the others transcribed
    speech (an occasional full stop, more fillers); the topics overlap, the subjects' mix
    differs a little."""
    rng = random.Random(seed)
    subjects = ["the pain", "my back", "the cough", "sleeping", "my chest", "work", "smoking",
                "the tablets", "my knee", "the headaches", "my mum", "walking"]
    weights = [3 if typed == (k % 2 == 0) else 2 for k in range(len(subjects))]
    verbs = ["has been bad", "is getting worse", "comes and goes", "started last week",
             "bothers me", "is fine", "keeps me up", "is better now"]
    tails = ["at night", "most days", "after meals", "when I walk", "since Monday", "a bit"]
    fillers = ["um", "uh", "yeah", "like", "you know", "I mean"]
    filler_rate = 0.3 if typed else 0.5
    records = []
    for c in range(conversations):
        utterances = []
        for _ in range(rng.randint(5, 12)):
            words = (f"{rng.choices(subjects, weights)[0]} {rng.choice(verbs)} "
                     f"{rng.choice(tails)}")
            if rng.random() < filler_rate:
                words = f"{rng.choice(fillers)} {words}"
            if typed:
                text = f"{words[0].upper()}{words[1:]}{rng.choice(['.', '.', '!', '', '?'])}"
                if rng.random() < 0.1:
                    text += " Ask {{NAME}} about it."
            else:  # a transcriber's occasional full stop
                text = words + ("." if rng.random() < 0.5 else "")
            utterances += [{"speaker": "doctor", "text": "And then?"},
                           {"speaker": "patient", "text": text}]
        records.append({"id": f"{seed}-{c}", "utterances": utterances})
    return records


def patient_pairs(records: list[dict]) -> list[tuple[str, str]]:
    return [(r["id"], u["text"]) for r in records for u in r["utterances"]
            if u["speaker"] in ("patient", "client") and u["text"].strip()]


def import_corpus(store: Path, path: Path, name: str) -> None:
    result = runner.invoke(app, ["import", "reference", str(path), "--name", name,
                                 "--store", str(store)])
    assert result.exit_code == 0, result.output


def cli_figures(store: Path, measured: str, reference: str) -> dict[str, dict]:
    result = runner.invoke(app, ["metrics", "realism", "--corpus", measured, "--reference",
                                 reference, "--no-embed", "--resamples", "2", "--json",
                                 "--store", str(store)])
    assert result.exit_code == 0, result.output
    return {r["metric"]: r for r in json.loads(result.output)["results"]}


def test_the_function_word_list_in_the_document_is_the_code_list() -> None:
    from workbench.analysis.diversity import FUNCTION_WORDS

    written = set(FUNCTION_WORD_RE.search(METRICS_MD.read_text()).group(1).split())
    assert written == FUNCTION_WORDS


def test_cli_on_made_corpora_agrees_with_the_plain_implementation(tmp_path: Path) -> None:
    typed, spoken = made_corpus(1, typed=True), made_corpus(2, typed=False)
    store = tmp_path / "store.db"
    for name, records in (("typed", typed), ("spoken", spoken)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        import_corpus(store, path, name)
    figures = cli_figures(store, "typed", "spoken")
    for metric, style in (("c2st_auc", False), ("c2st_style_auc", True)):
        plain = plain_c2st(patient_pairs(typed), patient_pairs(spoken), style)
        assert figures[metric]["value"] == pytest.approx(plain, abs=0.03), metric
    n = figures["c2st_auc"]["n_simulated"]
    assert n == figures["c2st_auc"]["n_reference"] == min(len(patient_pairs(typed)),
                                                          len(patient_pairs(spoken)))
    # Overlapping words and punctuation: neither figure is trivially 1.
    assert 0.55 < figures["c2st_auc"]["value"] < 0.9
    assert 0.55 < figures["c2st_style_auc"]["value"] < 0.95
    for figure in figures.values():
        assert {"value", "low", "high", "n_simulated", "n_reference"} <= set(figure)


@pytest.mark.shared
def test_shared_corpora_reproduce_the_published_figures(tmp_path: Path) -> None:
    """PriMock57 vs MIBot clients: content 0.949, style 0.983 (±0.03); each corpus's halves by
    conversation 0.5 (±0.05): the figures of the plain method on ../shared/reference."""
    store = tmp_path / "store.db"
    for name in ("primock57", "mibot"):
        import_corpus(store, shared_corpus(name), name)
    against_mibot = cli_figures(store, "primock57", "mibot")
    assert against_mibot["c2st_auc"]["value"] == pytest.approx(0.949, abs=0.03)
    assert against_mibot["c2st_style_auc"]["value"] == pytest.approx(0.983, abs=0.03)
    assert against_mibot["c2st_auc"]["n_simulated"] == against_mibot["c2st_auc"]["n_reference"]
    mibot_halves = against_mibot["c2st_auc"]["yardsticks"][0]
    assert mibot_halves["value"] == pytest.approx(0.5, abs=0.05)
    primock_halves = cli_figures(store, "mibot", "primock57")["c2st_auc"]["yardsticks"][0]
    assert primock_halves["value"] == pytest.approx(0.5, abs=0.05)
