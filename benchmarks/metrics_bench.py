"""Runtime of the realism and diversity metrics on 2,000 and 10,000 patient turns a side.

Turns are real patient turns from ``../shared/reference/*/conversations.jsonl`` when there are
enough (else generated text). For each size N, two sides of N turns each (disjoint conversations)
are measured: the realism two-sample tests (content and style, each with its reference-halves
yardstick and its bootstrap refits; the cap is raised to N so that N turns a side are used), the
turn-length and tell figures, and diversity of one side of N turns. Embedding metrics (Vendi,
Fréchet) run on random unit vectors of the default model's size (384): their cost depends on the
array shape, and encoding is measured by ``embed_bench.py``. The baseline, measured in the same
run for each size, is the time to tokenise the same text (both sides); each figure is a median
over repeats and a ratio to it. No assertions.

    python benchmarks/metrics_bench.py [--sizes 2000 10000] [--repeats 3] [--slow-repeats 1]
                                       [--resamples 20]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.analysis import c2st, diversity, realism, tells
from workbench.analysis.bootstrap import Resampling
from workbench.analysis.realism import PatientTurns
from workbench.io.reference import DEFAULT_SPEAKERS

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
DIM = 384


def real_turns(limit: int) -> PatientTurns | None:
    """Up to ``limit`` patient turns of the shared reference corpora, with conversation ids."""
    pairs: list[tuple[str, str]] = []
    for path in sorted(REFERENCE.glob("*/conversations.jsonl")):
        for line in path.open():
            conversation = json.loads(line)
            for u in conversation["utterances"]:
                if DEFAULT_SPEAKERS.get(u["speaker"]) == "patient" and u["text"].strip():
                    pairs.append((f"{path.parent.name}:{conversation['id']}", u["text"]))
    if len(pairs) < limit:
        return None
    return PatientTurns(tuple(t for _, t in pairs[:limit]), tuple(c for c, _ in pairs[:limit]),
                        "reference")


def generated_turns(limit: int) -> PatientTurns:
    """Patient-like turns from a seeded grammar, ten per conversation."""
    rng = random.Random(0)
    openers = ["Well,", "Um,", "I think", "Yeah,", "So", "Honestly,", "No,", "It's just"]
    things = ["the pain", "my chest", "this cough", "the headaches", "sleeping", "my back",
              "work", "my mum", "the tablets", "breathing"]
    tails = ["since Tuesday.", "most nights.", "when I walk.", "a bit.", "I don't know.",
             "it comes and goes.", "worse in the morning.", "for about a week."]
    texts = [f"{rng.choice(openers)} {rng.choice(things)} {rng.choice(tails)}"
             for _ in range(limit)]
    return PatientTurns(tuple(texts), tuple(f"g{i // 10}" for i in range(limit)), "generated")


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def two_sides(size: int) -> tuple[PatientTurns, PatientTurns, str]:
    """Two sides of ``size`` turns each, whole conversations apart (real when there are enough)."""
    turns = real_turns(2 * size + 2000)
    source = "real patient turns from ../shared/reference"
    if turns is None:
        turns, source = generated_turns(4 * size), "generated turns (too few real ones)"
    first, second = realism.split_halves(turns, seed=0)
    if min(len(first), len(second)) < size:
        turns, source = generated_turns(4 * size), "generated turns (too few real ones)"
        first, second = realism.split_halves(turns, seed=0)
    rng = np.random.default_rng(0)
    a, b = (side.subset(np.sort(rng.choice(len(side), size, replace=False)))
            for side in (first, second))
    return a, b, source


def bench_size(size: int, args: argparse.Namespace) -> None:
    a, b, source = two_sides(size)
    texts = [*a.texts, *b.texts]
    vectors = np.random.default_rng(0).normal(size=(2 * size, DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rs = Resampling(n_resamples=args.resamples)
    c2st.two_sample_auc(a, b, cap=50, top_k=0, resampling=Resampling(n_resamples=2))  # imports
    print(f"\n== {size:,} turns a side ({source})")
    baseline = median_time(lambda: [diversity.tokenize(t) for t in texts], args.repeats)
    print(f"baseline (tokenise {len(texts):,} turns): {baseline * 1000:.1f} ms")
    quick = Resampling(n_resamples=1)
    cases: list[tuple[str, Callable[[], object], int]] = [
        ("c2st_auc point (one cross-validation)",
         lambda: c2st.cross_validated_auc(c2st.documents(texts, "content"),
                                          np.r_[np.ones(size, int), np.zeros(size, int)],
                                          np.array([f"a:{c}" for c in a.conversations]
                                                   + [f"b:{c}" for c in b.conversations]),
                                          "content", 5, 0), args.repeats),
        (f"c2st_auc + halves yardstick, {args.resamples} refits",
         lambda: c2st.classifier_two_sample_test(a, b, cap=size, resampling=rs),
         args.slow_repeats),
        (f"c2st_style_auc + halves yardstick, {args.resamples} refits",
         lambda: c2st.classifier_two_sample_test(a, b, kind="style", cap=size, resampling=rs),
         args.slow_repeats),
        ("frechet + yardstick, 50 replicates",
         lambda: realism.frechet_realism(vectors[:size], vectors[size:]), args.slow_repeats),
        ("turn-length W1 + KS + yardsticks, 200 replicates",
         lambda: tells.turn_length_realism(a, b), args.slow_repeats),
        ("tell rates, both sides (point)", lambda: tells.compare_tells(a, b, quick),
         args.repeats),
        ("tell rates + intervals, 1000 replicates", lambda: tells.compare_tells(a, b),
         args.slow_repeats),
        ("distinct_2 (point, one side)", lambda: diversity.distinct_n(a.texts, 2), args.repeats),
        ("mtld (point, one side)", lambda: diversity.mtld(a.texts), args.repeats),
        ("self_bleu_3 (point, 500-text sample)", lambda: diversity.self_bleu(a.texts),
         args.repeats),
        ("vendi (point, one side x 384)", lambda: diversity.vendi_score(vectors[:size]),
         args.repeats),
        ("diversity, all five + 100 half-samples (one side)",
         lambda: diversity.measure_diversity(a.texts, vectors[:size]), args.slow_repeats),
    ]
    print(f"{'metric':52} {'median':>10} {'x baseline':>11}")
    for name, fn, repeats in cases:
        seconds = median_time(fn, repeats)
        print(f"{name:52} {seconds:9.3f}s {seconds / baseline:10.1f}x", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 10_000],
                        help="turns a side")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the point metrics")
    parser.add_argument("--slow-repeats", type=int, default=1,
                        help="repeats of the metrics with resampled intervals")
    parser.add_argument("--resamples", type=int, default=c2st.DEFAULT_RESAMPLES,
                        help="bootstrap refits of the two-sample tests")
    args = parser.parse_args()
    for size in args.sizes:
        bench_size(size, args)


if __name__ == "__main__":
    main()
