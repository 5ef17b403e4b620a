"""Embedding throughput of the workbench against raw ``SentenceTransformer.encode``.

Both embed the same texts with the same loaded model and batch size; the workbench also hashes
every text, looks it up in the store, sorts by length, encodes batch by batch and writes the
vectors to the store. Then the workbench embeds the same texts again, now all cached.

Goals: throughput ratio (workbench / raw) >= 0.9 on a cold cache; cached re-run >= 50x faster
than the cold run. Raw and workbench runs alternate (and take turns going first), so a machine
that is busy with something else slows both alike; the figures are medians over the repeats.

    python benchmarks/embed_bench.py [--texts 5000] [--repeats 3] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.analysis.embeddings import DEFAULT_MODEL, embed_texts, load_encoder
from workbench.store import Store

OPENERS = [
    "Well,",
    "Honestly",
    "I think",
    "Um,",
    "So",
    "It started when",
    "My wife says",
    "The thing is,",
    "I don't know,",
    "Yes,",
]
COMPLAINTS = [
    "the pain in my chest",
    "this cough",
    "the headaches",
    "my breathing",
    "the dizziness",
    "feeling low",
    "not sleeping",
    "my stomach",
    "the swelling in my ankles",
    "worrying all the time",
]
DETAILS = [
    "came on last night",
    "has been going on for about three weeks",
    "gets worse when I climb the stairs",
    "is better after I rest",
    "woke me up at four in the morning",
    "started after the new tablets",
    "comes and goes",
    "is like a tight band",
    "makes it hard to concentrate at work",
    "scares me, to be honest",
]


def patient_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct patient-like turns of 1 to 6 sentences (about 40 to 500 characters)."""
    rng = random.Random(seed)
    texts = []
    for i in range(n):
        sentences = [
            f"{rng.choice(OPENERS)} {rng.choice(COMPLAINTS)} {rng.choice(DETAILS)}."
            for _ in range(rng.choice([1, 1, 2, 2, 3, 4, 6]))
        ]
        texts.append(" ".join(sentences) + f" ({i})")
    return texts


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cached-repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch CPU threads (0: torch's default); on a busy machine 1 is often faster",
    )
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    texts = patient_texts(args.texts)
    mean_chars = statistics.mean(len(t) for t in texts)
    print(
        f"{len(texts)} distinct texts, mean {mean_chars:.0f} characters; model {DEFAULT_MODEL}; "
        f"batch size {args.batch_size}; torch threads {args.threads or 'default'}"
    )
    load_s, model = timed(load_encoder)
    print(f"model load (bundled, offline): {load_s:.2f} s")
    model.encode(texts[:64], batch_size=args.batch_size)  # warm-up

    raw_s, wb_s, cached_s = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            path = Path(tmp) / f"bench-{r}.db"

            def run_raw() -> np.ndarray:
                seconds, vectors = timed(lambda: model.encode(texts, batch_size=args.batch_size))
                raw_s.append(seconds)
                return np.asarray(vectors)

            def run_workbench(path: Path = path) -> np.ndarray:
                with Store(path) as store:
                    seconds, result = timed(
                        lambda: embed_texts(store, texts, encoder=model, batch_size=args.batch_size)
                    )
                wb_s.append(seconds)
                assert result.n_encoded == len(texts)
                return result.vectors

            # Alternate which goes first, so neither always runs on a warmer (or busier) machine.
            if r % 2 == 0:
                raw, ours = run_raw(), run_workbench()
            else:
                ours, raw = run_workbench(), run_raw()
            diff = float(np.abs(ours - raw).max())
            print(
                f"  repeat {r + 1} ({'raw' if r % 2 == 0 else 'workbench'} first): "
                f"raw {raw_s[-1]:.1f} s, workbench {wb_s[-1]:.1f} s (max |difference| {diff:.1e})",
                flush=True,
            )
        with Store(Path(tmp) / "bench-0.db") as store:
            for _ in range(args.cached_repeats):
                seconds, result = timed(lambda: embed_texts(store, texts, encoder=model))
                assert result.n_encoded == 0
                cached_s.append(seconds)

    raw_med, wb_med, cached_med = (statistics.median(x) for x in (raw_s, wb_s, cached_s))
    ratio = raw_med / wb_med
    speedup = wb_med / cached_med
    print(
        f"raw SentenceTransformer.encode: median {raw_med:.2f} s, {len(texts) / raw_med:.0f} "
        "texts/s"
    )
    print(
        f"workbench embed_texts (cold):   median {wb_med:.2f} s, {len(texts) / wb_med:.0f} texts/s"
    )
    print(
        f"workbench embed_texts (cached): median {cached_med * 1000:.0f} ms, "
        f"{len(texts) / cached_med:.0f} texts/s"
    )
    print(
        f"throughput ratio workbench/raw: {ratio:.3f}  (goal >= 0.9: "
        f"{'met' if ratio >= 0.9 else 'NOT met'})"
    )
    print(
        f"cached re-run speed-up:        {speedup:.0f}x  (goal >= 50x: "
        f"{'met' if speedup >= 50 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
