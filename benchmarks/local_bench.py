"""The embedded model through the workbench against raw llama.cpp, on the same prompts.

Each conversation is one ``ed_consult`` persona answering the ``scripted/ed_intake`` questions
(the clinician is a script, so every model call is a patient reply and both sides see the same
prompts): ``--turns`` turns, seed 1, the patient's token limit from its sentence cap.

* **workbench** — ``plan_run`` + ``execute_run`` with ``local/smollm2`` as the patient model and
  the run's concurrency set to the conversations in flight (1 or 4): the run engine, the store,
  the backend's worker thread and its contexts.
* **raw** — the same system prompts, questions, seeds and token limits through
  ``llama_cpp.Llama.create_chat_completion`` directly: one ``Llama`` per conversation in flight
  (its own KV cache, as the backend keeps one context per conversation side), turns taken in
  round robin, one call at a time.

For 1 and 4 conversations in flight it prints generated tokens/s, seconds per conversation and the
ratio workbench ÷ raw of tokens/s (goal ≥ 0.9), and each side's peak RSS. Each measurement runs in
a fresh process (so peak RSS is its own); the sides alternate, ``--repeat`` times, medians shown.
No assertions: this prints figures.

    python benchmarks/local_bench.py                       # 4 conversations × 6 turns; minutes
    python benchmarks/local_bench.py --conversations 1 --turns 2 --repeat 1   # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

MODEL = "local/smollm2"
SCRIPT = "ed_intake"
SEED = 1


def _plan(conversations: int, turns: int, in_flight: int, store_path: Path):
    """Plan the workbench run; return its id and each conversation's prompts and limits."""
    from workbench.library import Library
    from workbench.simulate import RunConfig, plan_run, select_personas
    from workbench.simulate.conversation import ConversationPlan
    from workbench.store import Store

    library = Library()
    personas = select_personas(library, ["ed_*"])[:conversations]
    config = RunConfig(personas=personas, patient_model=MODEL, clinician=f"scripted/{SCRIPT}",
                       max_turns=turns, concurrency=in_flight, seed=SEED)
    with Store(store_path) as store:
        run = plan_run(store, library, config)
        planned = []
        for conv in store.conversations_of_run(run.id):
            plan = ConversationPlan.model_validate(conv.metadata["plan"])
            limit = plan.patient_options(config.options).num_predict
            planned.append((conv.patient_prompt or "", limit, conv.seed))
    questions = library.load_script(SCRIPT).questions
    return run.id, planned, list(questions)


def run_workbench(conversations: int, turns: int, in_flight: int) -> dict[str, float]:
    """The run engine on the embedded model; generated tokens and seconds."""
    from workbench.simulate import execute_run
    from workbench.store import Store

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.db"
        run_id, _, _ = _plan(conversations, turns, in_flight, path)
        started = time.perf_counter()
        summary = asyncio.run(execute_run(path, run_id))
        seconds = time.perf_counter() - started
        with Store(path) as store:
            tokens = sum(t.completion_tokens or 0
                         for c in store.conversations_of_run(run_id, with_turns=True)
                         for t in c.turns if t.role == "patient")
    assert summary.status == "done", summary.message
    return {"tokens": tokens, "seconds": seconds}


def run_raw(conversations: int, turns: int, in_flight: int) -> dict[str, float]:
    """The same prompts through llama_cpp directly; generated tokens and seconds."""
    import llama_cpp

    from workbench.backends.local import embedded_model_path

    with tempfile.TemporaryDirectory() as folder:
        _, planned, questions = _plan(conversations, turns, in_flight, Path(folder) / "s.db")
    started = time.perf_counter()
    models = [llama_cpp.Llama(str(embedded_model_path()), n_ctx=4096, verbose=False,
                              flash_attn=True, n_threads=len(_cores()),
                              n_threads_batch=len(_cores())) for _ in range(in_flight)]
    tokens = 0
    for first in range(0, len(planned), in_flight):
        batch = planned[first:first + in_flight]
        dialogues = [[{"role": "system", "content": prompt}] for prompt, _, _ in batch]
        for question in questions[: turns // 2]:  # the script asks, the patient answers
            for k, (_, limit, seed) in enumerate(batch):
                dialogues[k].append({"role": "user", "content": question})
                out = models[k].create_chat_completion(
                    dialogues[k], max_tokens=limit or 256, seed=seed, temperature=0.8,
                    top_k=40, top_p=0.9, min_p=0.0, repeat_penalty=1.1)
                tokens += out["usage"]["completion_tokens"]
                dialogues[k].append({"role": "assistant",
                                     "content": out["choices"][0]["message"]["content"] or ""})
    return {"tokens": tokens, "seconds": time.perf_counter() - started}


def _cores() -> set[int]:
    import os

    return os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else {0}


def measure(side: str, conversations: int, turns: int, in_flight: int) -> dict[str, float]:
    """One measurement in a fresh process (its peak RSS is its own)."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", side, "--conversations", str(conversations),
         "--turns", str(turns), "--in-flight", str(in_flight)],
        cwd=PROJECT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=4)
    parser.add_argument("--turns", type=int, default=6, help="turns per conversation (both sides)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", choices=["workbench", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--in-flight", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = run_workbench if args.child == "workbench" else run_raw
        result = run(args.conversations, args.turns, args.in_flight)
        result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    print(f"{args.conversations} conversations × {args.turns} turns, patient {MODEL}, "
          f"clinician scripted/{SCRIPT}, seed {SEED}; medians of {args.repeat}")
    print(f"{'in flight':>9} {'side':>9} {'tokens':>7} {'tok/s':>7} {'s/conv':>7} {'peak MB':>8}")
    for in_flight in (1, 4):
        results: dict[str, list[dict[str, float]]] = {"raw": [], "workbench": []}
        for _ in range(args.repeat):
            for side in ("raw", "workbench"):
                results[side].append(measure(side, args.conversations, args.turns, in_flight))
        rates = {}
        for side, runs in results.items():
            rate = statistics.median(r["tokens"] / r["seconds"] for r in runs)
            per_conv = statistics.median(r["seconds"] for r in runs) / args.conversations
            rss = max(r["rss_mb"] for r in runs)
            tokens = statistics.median(r["tokens"] for r in runs)
            rates[side] = rate
            print(f"{in_flight:>9} {side:>9} {tokens:>7.0f} {rate:>7.1f} {per_conv:>7.1f} "
                  f"{rss:>8.0f}")
        print(f"{in_flight:>9} {'ratio':>9} workbench ÷ raw tokens/s = "
              f"{rates['workbench'] / rates['raw']:.2f} (goal ≥ 0.9)")


if __name__ == "__main__":
    main()
