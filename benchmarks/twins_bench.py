"""Matched comparison of 1,000 twin pairs, beside the time to embed their text.

Real conversations are the shared PriMock57/MTS-Dialog/MIBot conversations when
``../shared/reference`` is present (each used as often as needed), else generated ones; each twin's
simulated conversation replays the real clinician turns with generated patient replies (the
Ollama-API test server's deterministic reply text), and its profile holds three facts from the
real replies. Two figures, each measured once in the same run on a fresh temp store:

- **embed**: embedding every distinct reply of both sides with all-MiniLM-L6-v2, the model
  already loaded (the cost a first comparison pays, cached afterwards; the load is printed
  apart);
- **compare**: ``compare_pairs`` on the pairs with the embeddings cached: alignment, similarity
  and baseline, length ratios, facts disclosed, the matched C2ST with its halves yardstick
  (20 refits) and the tells.

The ratio compare / embed says what the matched comparison adds beyond embedding. No assertions.

    python benchmarks/twins_bench.py [--pairs 1000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.replies import patient_reply  # noqa: E402
from workbench.analysis.embeddings import embed_texts, load_encoder  # noqa: E402
from workbench.analysis.matched import TwinPair, compare_pairs  # noqa: E402
from workbench.domain.exchanges import exchanges  # noqa: E402
from workbench.domain.profile import EDProfile, TwinSource  # noqa: E402
from workbench.domain.transcript import Transcript, Turn  # noqa: E402
from workbench.io.reference import DEFAULT_SPEAKERS  # noqa: E402
from workbench.store import Store  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
EMPTY = {n: "" for n, f in EDProfile.model_fields.items() if f.annotation is str and n != "id"}


def real_conversations() -> list[list[tuple[str, str]]]:
    """(role, text) turns of the shared corpora, or generated ones when they are absent."""
    found = []
    for path in sorted(REFERENCE.glob("*/conversations.jsonl")):
        for line in path.open():
            turns = [(DEFAULT_SPEAKERS.get(u["speaker"], "patient"), u["text"])
                     for u in json.loads(line)["utterances"]]
            found.append(turns)
    if found:
        return found
    return [[(role, patient_reply(f"real {k}", k, i)) for i in range(24)
             for role in ("clinician", "patient")] for k in range(50)]


def twin_pairs(n: int) -> list[TwinPair]:
    """``n`` twin pairs: a real conversation and a replay with generated patient replies."""
    pool, pairs = real_conversations(), []
    for k in range(n):
        turns = [Turn(index=i, role=r, text=t) for i, (r, t) in enumerate(pool[k % len(pool)])]
        real = Transcript(id=f"real:{k}", source="reference:bench", turns=turns)
        simulated = []
        for i, ex in enumerate(exchanges(turns)):
            simulated.append(Turn(index=len(simulated), role="clinician", text=ex.clinician))
            simulated.append(Turn(index=len(simulated), role="patient",
                                  text=patient_reply(f"twin {k}", k, i)))
        said = [ex.patient for ex in exchanges(turns) if ex.patient]
        facts = {"chief_complaint": said[0], "medical_history": said[len(said) // 2],
                 "medications": said[-1]} if said else {}
        profile = EDProfile(**(EMPTY | facts), id=f"twin_{k}",
                            twin=TwinSource(corpus="bench", conversation=str(k)))
        pairs.append(TwinPair(Transcript(id=f"sim:{k}", turns=simulated), real, profile))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    args = parser.parse_args()
    pairs = twin_pairs(args.pairs)
    texts = sorted({t for p in pairs for ex in (*exchanges(p.real.turns),
                                                  *exchanges(p.simulated.turns))
                    for t in [ex.patient] if t})
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
        started = time.perf_counter()
        encoder = load_encoder()
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        embed_texts(store, texts, encoder=encoder)
        embed_s = time.perf_counter() - started
        started = time.perf_counter()
        report = compare_pairs(pairs, lambda t: embed_texts(store, t).vectors, name="bench")
        compare_s = time.perf_counter() - started
    print(f"{len(pairs)} twin pairs, {report.n_exchanges} answered exchanges, "
          f"{len(texts)} distinct replies")
    print(f"load all-MiniLM-L6-v2 (not counted)   {load_s:9.2f} s")
    print(f"embed (first time, model loaded)      {embed_s:9.2f} s")
    print(f"compare (embeddings cached)           {compare_s:9.2f} s")
    print(f"ratio compare / embed                 {compare_s / embed_s:9.2f}")
    print(f"matched similarity {report.similarity.value:.3f} vs shuffled baseline "
          f"{report.baseline:.3f}; C2ST "
          f"{'–' if report.c2st is None else f'{report.c2st.value:.3f}'}")


if __name__ == "__main__":
    main()
