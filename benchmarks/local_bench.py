"""The embedded model through the workbench against raw llama.cpp, on the same prompts.

Each conversation is one ``ed_consult`` persona answering the ``scripted/ed_intake`` questions
(the clinician is a script, so every model call is a patient reply): ``--turns`` turns, seed 1,
the patient's token limit from its sentence cap.

* **workbench** — ``plan_run`` + ``execute_run`` with ``local/smollm2`` as the patient model and
  the run's concurrency set to the conversations in flight (1 or 4): the run engine, the store,
  the backend's worker thread and its contexts.
* **raw** — the very prompts of that run (its system prompts, questions and replies, replayed)
  through ``llama_cpp.Llama.create_chat_completion`` directly, generating as many tokens per reply
  as the workbench did (end of turn banned, so neither side stops early): one ``Llama`` per
  conversation in flight (its own KV cache), turns in round robin, one call at a time.

For 1 and 4 conversations in flight it prints tokens read and written, written tokens/s, all
tokens/s, seconds per conversation, each side's peak RSS, and the ratios workbench ÷ raw (goal
≥ 0.9). Each measurement runs in a fresh process (so peak RSS is its own), ``--repeat`` times,
medians shown. No assertions: this prints figures.

    python benchmarks/local_bench.py                       # 4 conversations × 6 turns; minutes
    python benchmarks/local_bench.py --conversations 1 --turns 2   # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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


def run_workbench(conversations: int, turns: int, in_flight: int, store: Path) -> dict[str, float]:
    """The run engine on the embedded model, into ``store``; tokens read, written and seconds."""
    from workbench.library import Library
    from workbench.simulate import RunConfig, execute_run, plan_run, select_personas
    from workbench.store import Store

    library = Library()
    personas = select_personas(library, ["ed_*"])[:conversations]
    config = RunConfig(personas=personas, patient_model=MODEL, clinician=f"scripted/{SCRIPT}",
                       max_turns=turns, concurrency=in_flight, seed=SEED)
    with Store(store) as db:
        run = plan_run(db, library, config)
    started = time.perf_counter()
    summary = asyncio.run(execute_run(store, run.id))
    seconds = time.perf_counter() - started
    assert summary.status == "done", summary.message
    with Store(store) as db:
        replies = [t for c in db.conversations_of_run(run.id, with_turns=True)
                   for t in c.turns if t.role == "patient"]
    return {"generated": sum(t.completion_tokens or 0 for t in replies),
            "read": sum(t.prompt_tokens or 0 for t in replies), "seconds": seconds}


def run_raw(in_flight: int, store: Path) -> dict[str, float]:
    """The workbench run's own prompts through llama_cpp directly, the same number of tokens
    generated per reply (end of turn banned, so neither side stops early)."""
    import llama_cpp

    from workbench.backends.local import embedded_model_path
    from workbench.store import Store

    with Store(store) as db:
        (run,) = db.list_runs()
        transcripts = db.conversations_of_run(run.id, with_turns=True)
    started = time.perf_counter()
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    models = [llama_cpp.Llama(str(embedded_model_path()), n_ctx=4096, flash_attn=True,
                              n_threads=threads, n_threads_batch=threads, verbose=False)
              for _ in range(in_flight)]
    banned = {models[0].token_eos(): -1e9}
    generated = read = 0
    for first in range(0, len(transcripts), in_flight):
        batch = transcripts[first:first + in_flight]
        dialogues = [[{"role": "system", "content": t.patient_prompt or ""}] for t in batch]
        for index in range(max(len(t.turns) for t in batch)):  # round robin, turn by turn
            for k, transcript in enumerate(batch):
                if index >= len(transcript.turns):
                    continue
                turn = transcript.turns[index]
                if turn.role == "patient" and turn.completion_tokens:
                    out = models[k].create_chat_completion(
                        dialogues[k], max_tokens=turn.completion_tokens, seed=transcript.seed,
                        temperature=0.8, top_k=40, top_p=0.9, min_p=0.0, repeat_penalty=1.1,
                        logit_bias=banned)
                    generated += out["usage"]["completion_tokens"]
                    read += out["usage"]["prompt_tokens"]
                # The workbench's text, so both sides read exactly the same prompts.
                role = "assistant" if turn.role == "patient" else "user"
                dialogues[k].append({"role": role, "content": turn.text})
    return {"generated": generated, "read": read, "seconds": time.perf_counter() - started}


def measure(side: str, conversations: int, turns: int, in_flight: int,
            store: Path) -> dict[str, float]:
    """One measurement in a fresh process (its peak RSS is its own)."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", side, "--conversations", str(conversations),
         "--turns", str(turns), "--in-flight", str(in_flight), "--store", str(store)],
        cwd=PROJECT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=4)
    parser.add_argument("--turns", type=int, default=6, help="turns per conversation (both sides)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", choices=["workbench", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--in-flight", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = (run_workbench(args.conversations, args.turns, args.in_flight, args.store)
                  if args.child == "workbench" else run_raw(args.in_flight, args.store))
        result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    print(f"{args.conversations} conversations × {args.turns} turns, patient {MODEL}, "
          f"clinician scripted/{SCRIPT}, seed {SEED}; medians of {args.repeat}")
    print(f"{'in flight':>9} {'side':>9} {'read':>6} {'written':>7} {'written/s':>9} "
          f"{'tokens/s':>8} {'s/conv':>7} {'peak MB':>8}")
    for in_flight in (1, 4):
        results: dict[str, list[dict[str, float]]] = {"workbench": [], "raw": []}
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as folder:
                store = Path(folder) / "store.db"
                for side in results:  # the workbench writes the transcripts raw replays
                    results[side].append(measure(side, args.conversations, args.turns,
                                                 in_flight, store))
        rates = {}
        for side, runs in results.items():
            written = statistics.median(r["generated"] / r["seconds"] for r in runs)
            both = statistics.median((r["generated"] + r["read"]) / r["seconds"] for r in runs)
            per_conv = statistics.median(r["seconds"] for r in runs) / args.conversations
            rates[side] = (written, per_conv)
            print(f"{in_flight:>9} {side:>9} {statistics.median(r['read'] for r in runs):>6.0f} "
                  f"{statistics.median(r['generated'] for r in runs):>7.0f} {written:>9.1f} "
                  f"{both:>8.1f} {per_conv:>7.1f} {max(r['rss_mb'] for r in runs):>8.0f}")
        print(f"{in_flight:>9} {'ratio':>9} workbench ÷ raw: written tokens/s "
              f"{rates['workbench'][0] / rates['raw'][0]:.2f}, conversations/s "
              f"{rates['raw'][1] / rates['workbench'][1]:.2f} (goal ≥ 0.9)")


if __name__ == "__main__":
    main()
