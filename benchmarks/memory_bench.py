"""Peak memory (RSS) of `workbench run`: planning, then executing N conversations.

Each phase runs in its own fresh process, whose peak resident set size (``ru_maxrss``) is read
when it exits:

* **plan** — ``plan_run`` for N conversations (the ED personas × enough samples), exactly what
  ``workbench run -p`` does before it executes;
* **execute** — ``python -m workbench run RUN_ID`` on that planned run, against the Ollama-API
  test server (a separate process: 16 parallel slots, no latency), with a scripted clinician and
  ``--max-turns`` turns per conversation.

Both phases are measured at a small N and at the full N: memory that is flat in N shows as a
ratio near 1 (the goal is at most 300 MB at 100,000 conversations). With ``--compare-with``
pointing at another checkout of the workbench (e.g. a ``git worktree`` of an older commit), the
same phases are measured with that code too and printed beside this checkout's, in one run.

    python benchmarks/memory_bench.py                                # N = 100,000 (long)
    python benchmarks/memory_bench.py --conversations 2000 --small 200   # a smoke run
    git worktree add /tmp/wb-old <commit>
    python benchmarks/memory_bench.py --compare-with /tmp/wb-old

No assertions: this prints figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # tests.support (the server) is not an installed package

from benchmarks.runner_bench import MODEL, Server  # noqa: E402

# Runs the command given as arguments and reports its peak RSS (KiB on Linux) on stderr.
MEASURE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'PEAK_KIB {peak}', file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)
# Plans the run with the checkout on PYTHONPATH; prints the run id.
PLAN = (
    "import sys\n"
    "from workbench.library import Library\n"
    "from workbench.simulate import RunConfig, plan_run, select_personas\n"
    "from workbench.store import Store\n"
    "n, max_turns, url = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]\n"
    "library = Library()\n"
    "ids = select_personas(library, ['ed_*'])\n"
    "samples = -(-n // len(ids))\n"
    "config = RunConfig(personas=ids, patient_model='ollama/" + MODEL + "',\n"
    "                   clinician='scripted/ed_intake', samples=samples, max_turns=max_turns,\n"
    "                   concurrency=16, hosts=[url])\n"
    "with Store(sys.argv[4]) as store:\n"
    "    print(plan_run(store, library, config).id)\n"
)


class Phase(NamedTuple):
    peak_mb: float
    seconds: float
    output: str


def measured(command: list[str], env: dict[str, str], cwd: Path) -> Phase:
    """Run ``command`` in a fresh process in ``cwd`` (``python -m`` and ``-c`` import from the
    working folder first); its peak RSS, wall time and stdout."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], env=env, text=True,
                          capture_output=True, cwd=cwd)
    seconds = time.perf_counter() - started
    peak = next((line for line in done.stderr.splitlines() if line.startswith("PEAK_KIB")), None)
    if done.returncode != 0 or peak is None:
        raise SystemExit(f"{' '.join(command[1:4])} failed:\n{done.stderr[-3000:]}")
    return Phase(int(peak.split()[1]) / 1024, seconds, done.stdout)


def measure(source: Path, n: int, max_turns: int, url: str, workdir: Path) -> tuple[Phase, Phase]:
    """Plan and execute N conversations with the workbench at ``source``."""
    store = workdir / f"store-{abs(hash(source))}-{n}.db"
    env = {**os.environ, "PYTHONPATH": str(source), "WORKBENCH_STORE": str(store),
           "WORKBENCH_PERSONAS": str(source / "personas"), "OLLAMA_HOST": url,
           "WORKBENCH_SETTINGS": str(workdir / "no-settings.json"), "HF_HUB_OFFLINE": "1"}
    plan = measured([sys.executable, "-c", PLAN, str(n), str(max_turns), url, str(store)], env,
                    source)
    run_id = plan.output.strip().splitlines()[-1]
    execute = measured([sys.executable, "-m", "workbench", "run", run_id, "--no-progress",
                        "--store", str(store)], env, source)
    if " done: " not in execute.output:
        raise SystemExit(f"the run did not finish: {execute.output[-2000:]}")
    return plan, execute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000, help="the full N")
    parser.add_argument("--small", type=int, default=1_000, help="the small N (flatness)")
    parser.add_argument("--max-turns", type=int, default=4, help="turns per conversation")
    parser.add_argument("--compare-with", type=Path, default=None, metavar="CHECKOUT",
                        help="another checkout of the workbench to measure beside this one")
    args = parser.parse_args()
    sources = [("this checkout", PROJECT)]
    if args.compare_with is not None:
        sources.append((f"{args.compare_with}", args.compare_with.resolve()))
    server = Server(latency=0.0, parallel=16)
    try:
        with tempfile.TemporaryDirectory(prefix="memory-bench-") as tmp:
            print(f"Peak RSS of `workbench run` (MB), {args.max_turns} turns per conversation, "
                  f"scripted clinician, test server with 16 slots")
            print(f"{'code':<28} {'N':>9} {'plan MB':>9} {'execute MB':>11} "
                  f"{'plan s':>8} {'execute s':>10}")
            for label, source in sources:
                peaks = {}
                for n in (args.small, args.conversations):
                    plan, execute = measure(source, n, args.max_turns, server.url, Path(tmp))
                    peaks[n] = (plan.peak_mb, execute.peak_mb)
                    print(f"{label[-28:]:<28} {n:>9,} {plan.peak_mb:>9.0f} "
                          f"{execute.peak_mb:>11.0f} {plan.seconds:>8.1f} "
                          f"{execute.seconds:>10.1f}", flush=True)
                (p_small, e_small), (p_big, e_big) = peaks[args.small], peaks[args.conversations]
                print(f"{'':<28} {'ratio':>9} {p_big / p_small:>9.2f} {e_big / e_small:>11.2f}"
                      f"   (N {args.conversations:,} ÷ N {args.small:,}; flat = 1)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
