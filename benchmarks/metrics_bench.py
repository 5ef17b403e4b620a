"""Runtime of each diversity and realism metric on 10,000 patient turns.

Turns are real patient turns from ``../shared/reference/*/conversations.jsonl`` when present (else
generated text). Diversity metrics take all the turns; two-sample realism metrics split them into
two halves by conversation (5,000 a side). Embedding metrics (Vendi, Fréchet) run on random unit
vectors of the default model's size (384): their cost depends on the array shape, not the values,
and encoding is measured by ``embed_bench.py``. The baseline, measured in the same run, is the
time to tokenize the same turns; each figure is a median over repeats and a ratio to it.
No assertions.

    python benchmarks/metrics_bench.py [--turns 10000] [--repeats 3] [--slow-repeats 1]
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

from workbench.analysis import diversity, realism, tells
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the point metrics")
    parser.add_argument("--slow-repeats", type=int, default=1,
                        help="repeats of the metrics with resampled intervals")
    args = parser.parse_args()

    turns = real_turns(args.turns)
    source = "real patient turns from ../shared/reference"
    if turns is None:
        turns, source = generated_turns(args.turns), "generated turns (no ../shared/reference)"
    texts = list(turns.texts)
    first, second = realism.split_halves(turns, seed=0)
    vectors = np.random.default_rng(0).normal(size=(len(texts), DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    half = len(first)
    print(f"{len(texts):,} {source}; realism: halves of {len(first):,} and {len(second):,} turns")

    baseline = median_time(lambda: [diversity.tokenize(t) for t in texts], args.repeats)
    print(f"baseline (tokenize {len(texts):,} turns): {baseline * 1000:.1f} ms\n")
    quick = Resampling(n_resamples=1)
    cases: list[tuple[str, Callable[[], object], int]] = [
        ("distinct_1 (point)", lambda: diversity.distinct_n(texts, 1), args.repeats),
        ("distinct_2 (point)", lambda: diversity.distinct_n(texts, 2), args.repeats),
        ("self_bleu_3 (point, 500-text sample)", lambda: diversity.self_bleu(texts), args.repeats),
        ("mtld (point)", lambda: diversity.mtld(texts), args.repeats),
        ("vendi (point, 10k x 384)", lambda: diversity.vendi_score(vectors), args.repeats),
        ("frechet (point, 5k vs 5k x 384)",
         lambda: realism.frechet_distance(vectors[:half], vectors[half:]), args.repeats),
        ("tell rates (point, both sides)", lambda: tells.compare_tells(first, second, quick),
         args.repeats),
        ("diversity report, 100 half-samples (all five)",
         lambda: diversity.measure_diversity(texts, vectors), args.slow_repeats),
        ("c2st_auc + halves yardstick, 30 refits",
         lambda: realism.classifier_two_sample_test(first, second), args.slow_repeats),
        ("c2st_style_auc + halves yardstick, 30 refits",
         lambda: realism.classifier_two_sample_test(first, second, style_only=True),
         args.slow_repeats),
        ("frechet + yardstick, 50 replicates",
         lambda: realism.frechet_realism(vectors[:half], vectors[half:]), args.slow_repeats),
        ("turn-length W1 + KS + yardsticks, 200 replicates",
         lambda: tells.turn_length_realism(first, second), args.slow_repeats),
        ("tell rates + intervals, 1000 replicates", lambda: tells.compare_tells(first, second),
         args.slow_repeats),
    ]
    print(f"{'metric':52} {'median':>10} {'x baseline':>11}")
    for name, fn, repeats in cases:
        seconds = median_time(fn, repeats)
        print(f"{name:52} {seconds:9.3f}s {seconds / baseline:10.1f}x", flush=True)


if __name__ == "__main__":
    main()
