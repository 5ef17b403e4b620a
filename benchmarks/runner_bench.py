"""Run engine: capacity (slots kept busy) and overhead (against a bare client loop).

Every conversation makes exactly 16 model calls: the clinician is a 16-question script (no model
calls, no closing marker) and the patient a model on the Ollama-API test server, which runs in
a separate process so its CPU does not count against the engine's event loop (2 cores here).

* (a) **capacity** — replies take 1 s, 16 parallel slots, 64 conversations × 16 calls, engine
  concurrency 16. Ideal = calls × 1 s ÷ 16. Efficiency = ideal ÷ actual, measured from the first
  model call to the last turn committed, from planning to the last commit (in this process), and
  for a whole ``workbench run`` process (interpreter start, imports, planning, preflight, run).
* (b) **overhead** — replies take 50 ms, 16 slots, 200 conversations × 16 calls. Baseline: the
  same calls (same system prompts, questions, seeds, growing dialogue) made by a bare loop over the
  official ``ollama.AsyncClient`` with a semaphore of 16 — no store, no prompt rendering, no
  state. Ratio = engine ÷ bare (goal ≤ 1.3); both are bound by the client library's own CPU
  cost (a few ms a call).

Each measurement is repeated (``--repeat``, default 3; bare and engine alternate) and the median
printed. No assertions: this prints figures.

    python benchmarks/runner_bench.py                # about 6 minutes
    python benchmarks/runner_bench.py --quick        # smaller and faster, for a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # tests.support (the server) is not an installed package

from workbench.library import Library
from workbench.simulate import RunConfig, execute_run, plan_run, select_personas
from workbench.store import Store

MODEL = "llama3.2:1b"
CALLS = 16
QUESTIONS = [f"Question {i + 1}: can you tell me more about how you have been feeling?"
             for i in range(CALLS)]


class Server:
    """The Ollama-API test server in a subprocess, reconfigured over HTTP."""

    def __init__(self, latency: float, parallel: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.ollama_server", "--port", "0",
             "--latency", str(latency), "--parallel", str(parallel), "--models", MODEL],
            cwd=PROJECT, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def _call(self, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())

    def configure(self, **changes: object) -> None:
        self._call("/_control/config", {**changes, "reset_stats": True})

    def stats(self) -> dict[str, object]:
        return self._call("/_control/stats")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def make_library(workdir: Path) -> Path:
    """The shipped library plus a 16-question script without a closing marker."""
    root = workdir / "personas"
    shutil.copytree(PROJECT / "personas", root)
    lines = "\n".join(f'  - "{q}"' for q in QUESTIONS)
    (root / "scripts" / "bench16.yaml").write_text(
        f"id: bench16\nlabel: Benchmark script\nscenario: ed_consult\nquestions:\n{lines}\n")
    return root


def config_for(library: Library, personas: int, samples: int, url: str) -> RunConfig:
    ids = select_personas(library, ["ed_*"])[:personas]
    return RunConfig(personas=ids, patient_model=f"ollama/{MODEL}", clinician="scripted/bench16",
                     samples=samples, max_turns=4 * CALLS, concurrency=16, hosts=[url])


async def engine_once(store_path: Path, library: Library, config: RunConfig
                      ) -> tuple[float, float, float, float]:
    """Plan and execute; return seconds: plan + run, execute_run, first call → last commit, and
    the CPU time execute_run took (all threads of this process, the writer's included)."""
    started = time.perf_counter()
    with Store(store_path) as store:
        run_id = plan_run(store, library, config).id
    executing, cpu = time.perf_counter(), time.process_time()
    summary = await execute_run(store_path, run_id)
    ended, cpu = time.perf_counter(), time.process_time() - cpu
    assert summary.status == "done" and summary.generating_s is not None, summary
    return ended - started, ended - executing, summary.generating_s, cpu


async def bare_once(url: str, systems: list[tuple[str, int]]) -> tuple[float, float]:
    """The same chat calls through ``ollama.AsyncClient``: a semaphore and a message list.

    Returns wall seconds and CPU seconds."""
    import ollama

    client = ollama.AsyncClient(url)
    slots = asyncio.Semaphore(16)

    async def conversation(system: str, seed: int) -> None:
        messages = [{"role": "system", "content": system}]
        for question in QUESTIONS:
            messages.append({"role": "user", "content": question})
            async with slots:
                reply = await client.chat(model=MODEL, messages=messages, stream=False,
                                          options={"seed": seed})
            messages.append({"role": "assistant", "content": reply.message.content or ""})

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(conversation(s, seed) for s, seed in systems))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await client._client.aclose()
    return elapsed, cpu


def cli_once(workdir: Path, library_root: Path, config: RunConfig) -> float:
    """Wall time of a whole ``workbench run`` process."""
    env = {**os.environ, "WORKBENCH_STORE": str(workdir / "cli.db"),
           "WORKBENCH_PERSONAS": str(library_root),
           "WORKBENCH_SETTINGS": str(workdir / "none.json")}
    args = [sys.executable, "-m", "workbench", "run", "--no-progress",
            "--patient-model", config.patient_model, "--clinician", config.clinician,
            "--samples", str(config.samples), "--max-turns", str(config.max_turns),
            "--concurrency", str(config.concurrency), "--host", config.hosts[0]]
    for pid in config.personas:
        args += ["-p", pid]
    started = time.perf_counter()
    subprocess.run(args, cwd=PROJECT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def capacity(server: Server, workdir: Path, library: Library, args: argparse.Namespace) -> None:
    server.configure(latency=args.slow)
    config = config_for(library, 16, args.capacity_conversations // 16, server.url)
    n_conv = len(config.personas) * config.samples
    calls = n_conv * CALLS
    ideal = calls * args.slow / 16
    whole, gen, peak = [], [], 0
    for i in range(args.repeat):
        total_s, _, generating_s, _ = asyncio.run(
            engine_once(workdir / f"capacity{i}.db", library, config))
        whole.append(total_s)
        gen.append(generating_s)
        peak = max(peak, int(server.stats()["max_concurrent"]))  # type: ignore[call-overload]
    cli = [cli_once(workdir, args.library_root, config) for _ in range(args.cli_repeat)]
    print(f"(a) capacity: {n_conv} conversations × {CALLS} calls = {calls} calls, replies "
          f"{args.slow:g} s, 16 slots; ideal {ideal:.1f} s; server peak {peak} in flight")
    print(f"    first call → last commit: {median(gen):7.2f} s  efficiency "
          f"{ideal / median(gen):.3f}   (runs: {', '.join(f'{g:.2f}' for g in gen)})")
    print(f"    planning → last commit:   {median(whole):7.2f} s  efficiency "
          f"{ideal / median(whole):.3f}")
    if cli:
        print(f"    whole `workbench run` process: {median(cli):7.2f} s  efficiency "
              f"{ideal / median(cli):.3f}   (runs: {', '.join(f'{c:.2f}' for c in cli)})")


def overhead(server: Server, workdir: Path, library: Library, args: argparse.Namespace) -> None:
    server.configure(latency=args.fast)
    samples = args.overhead_conversations // 10
    config = config_for(library, 10, samples, server.url)
    n_conv = len(config.personas) * samples
    engine, executes, bare, gens, engine_cpu, bare_cpu = [], [], [], [], [], []
    for i in range(args.repeat):
        store_path = workdir / f"overhead{i}.db"
        total_s, execute_s, generating_s, cpu_s = asyncio.run(
            engine_once(store_path, library, config))
        engine.append(total_s)
        executes.append(execute_s)
        gens.append(generating_s)
        engine_cpu.append(cpu_s)
        with Store(store_path) as store:
            run_id = store.list_runs()[0].id
            systems = [(c.patient_prompt or "", c.seed or 0)
                       for c in store.conversations_of_run(run_id)]
        bare_s, cpu_s = asyncio.run(bare_once(server.url, systems))
        bare.append(bare_s)
        bare_cpu.append(cpu_s)
    calls = n_conv * CALLS
    ideal = calls * args.fast / 16
    print(f"(b) overhead: {n_conv} conversations × {CALLS} calls = {calls} calls, replies "
          f"{args.fast * 1000:g} ms, 16 slots; ideal {ideal:.1f} s")
    print(f"    bare ollama.AsyncClient loop:        {median(bare):7.2f} s   "
          f"(runs: {', '.join(f'{b:.2f}' for b in bare)})")
    print(f"    engine, first call → last commit:    {median(gens):7.2f} s   ratio "
          f"{median(gens) / median(bare):.3f}")
    print(f"    engine, execute_run (load+preflight): {median(executes):6.2f} s   ratio "
          f"{median(executes) / median(bare):.3f}   (runs: "
          f"{', '.join(f'{e:.2f}' for e in executes)})")
    print(f"    engine incl. planning:               {median(engine):7.2f} s   ratio "
          f"{median(engine) / median(bare):.3f}")
    # Each engine run is followed by its bare run: the pair saw about the same machine load.
    paired = [e / b for e, b in zip(executes, bare)]
    print(f"    paired execute_run ÷ bare, median:   {median(paired):7.3f}     (pairs: "
          f"{', '.join(f'{r:.3f}' for r in paired)})")
    # CPU time is steadier than wall time when other work shares the machine.
    print(f"    CPU of this process: engine {median(engine_cpu):.2f} s, bare "
          f"{median(bare_cpu):.2f} s, ratio {median(engine_cpu) / median(bare_cpu):.3f}; "
          f"{1000 * (median(engine_cpu) - median(bare_cpu)) / calls:.2f} ms extra per call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per measurement")
    parser.add_argument("--cli-repeat", type=int, default=1,
                        help="whole-process runs for (a) (each takes the ideal time)")
    parser.add_argument("--slow", type=float, default=1.0, help="(a) seconds per reply")
    parser.add_argument("--fast", type=float, default=0.05, help="(b) seconds per reply")
    parser.add_argument("--capacity-conversations", type=int, default=64)
    parser.add_argument("--overhead-conversations", type=int, default=200)
    parser.add_argument("--only", choices=("capacity", "overhead"), default=None)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 0.25 s replies for (a), 60 conversations for (b), once")
    args = parser.parse_args()
    if args.quick:
        args.slow, args.overhead_conversations, args.repeat = 0.25, 60, 1
    server = Server(latency=args.slow, parallel=16)
    try:
        with tempfile.TemporaryDirectory(prefix="runner-bench-") as tmp:
            workdir = Path(tmp)
            args.library_root = make_library(workdir)
            library = Library(args.library_root)
            print(f"runner_bench: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
                  f"test server pid {server.proc.pid} at {server.url}")
            if args.only in (None, "capacity"):
                capacity(server, workdir, library, args)
            if args.only in (None, "overhead"):
                overhead(server, workdir, library, args)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
