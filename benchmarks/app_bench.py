"""App pages at scale: each page's AppTest first-run time on a 100,000-conversation store.

Fills (or reuses, with ``--store PATH``) a store through ``benchmarks/store_bench.py``'s filler
(100,000 conversations x 20 turns), then, for every page listed in ``workbench/app.py``, starts
fresh Python processes that each open the app on that page with AppTest and time it:

* cold: the first ``run()`` of a fresh AppTest in a fresh process, so the page's own imports are
  included (AppTest and streamlit are imported before the clock starts);
* warm: a second fresh AppTest in the same process (a new browser session on a running server);
* baselines, measured in the same run: the same page on an empty store (what the 100,000
  conversations cost), and a bare page holding only ``st.title`` (what AppTest and streamlit
  cost by themselves: on a loaded machine this floor dominates).

Also timed, warm, on the big store: the Transcripts page opened on a conversation
(``?conversation=``), after a full-text search, with an axis filter, on its last page; and the
Compare page with a pair (``?a=&b=``); the Experiment matrix on the newest run, then another
figure in the same session (the run is read once). Every process reports the heavy modules it
loaded (torch, sentence-transformers, sklearn, umap, hdbscan): none should load on these pages.
No model server is needed (OLLAMA_HOST points at an unused loopback port).

    python benchmarks/app_bench.py                          # builds a temp store (~2-3 min)
    python benchmarks/app_bench.py --store /tmp/big.db      # builds it once, then reuses it
    python benchmarks/app_bench.py --conversations 2000     # smoke run

Goal: <= 1.5 s per page. Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "workbench" / "app.py"
HEAVY = ("torch", "sentence_transformers", "sklearn", "umap", "hdbscan")
GOAL_S = 1.5
BARE = "bare"
"""The ``--measure`` name of the bare baseline page."""


def listed_pages() -> list[tuple[str, str]]:
    """(path relative to app.py, title) of every ``st.Page`` in app.py."""
    pages = []
    for node in ast.walk(ast.parse(APP.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page":
            title = next(k.value.value for k in node.keywords if k.arg == "title")
            pages.append((node.args[0].value, title))
    return pages


def ensure_store(path: Path, conversations: int) -> None:
    """Fill ``path`` with ``store_bench``'s filler unless it already holds enough conversations."""
    from workbench.store import Store

    if path.exists():
        with Store(path) as store:
            have = store.stats().conversations
        if have >= conversations:
            print(f"reusing {path}: {have:,} conversations")
            return
        raise SystemExit(f"{path} holds {have:,} conversations, fewer than {conversations:,}; "
                         "remove it or pass another --store")
    spec = importlib.util.spec_from_file_location("store_bench", ROOT / "benchmarks" /
                                                  "store_bench.py")
    assert spec and spec.loader
    store_bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(store_bench)
    started = time.perf_counter()
    with Store(path) as store:
        store_bench.fill(store, conversations, random.Random(7))
        turns = store.stats().turns
    print(f"built {path}: {conversations:,} conversations, {turns:,} turns in "
          f"{time.perf_counter() - started:.0f} s")


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure(page: str, store: Path, params: dict[str, str], actions: list[dict[str, Any]],
            repeats: int) -> list[dict[str, Any]]:
    """Run ``--measure`` in ``repeats`` fresh processes; each returns one JSON result."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "WORKBENCH_STORE": str(store),
               "WORKBENCH_SETTINGS": str(Path(tmp) / "settings.json"),
               "OLLAMA_HOST": f"http://127.0.0.1:{unused_port()}",
               "WORKBENCH_ANNOTATOR": "bench", "PYTHONPATH": str(ROOT)}
        env.pop("WORKBENCH_ALLOW_REMOTE", None)
        for _ in range(repeats):
            out = subprocess.run(
                [sys.executable, __file__, "--measure", page, "--params", json.dumps(params),
                 "--actions", json.dumps(actions)],
                env=env, capture_output=True, text=True, check=True, cwd=tmp,
            ).stdout
            results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def measure_here(page: str, params: dict[str, str], actions: list[dict[str, Any]]) -> None:
    """In a fresh process: time a cold and a warm first run, then any actions; print JSON."""
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    # Run outside the project folder, its .streamlit/config.toml is not read: without a loopback
    # address the app refuses to show anything (workbench.serving), as it would when served.
    config.set_option("server.address", "127.0.0.1")

    def fresh() -> Any:
        if page == BARE:
            Path("bare.py").write_text("import streamlit as st\n\nst.title('Bare')\n")
            return AppTest.from_file(str(Path("bare.py").resolve()), default_timeout=120)
        at = AppTest.from_file(str(APP), default_timeout=120).switch_page(page)
        for key, value in params.items():
            at.query_params[key] = value
        return at

    started = time.perf_counter()
    at = fresh().run()
    cold = time.perf_counter() - started
    started = time.perf_counter()
    at = fresh().run()
    warm = time.perf_counter() - started
    timings = []
    for action in actions:
        widget = getattr(at, action["kind"])(key=action["key"])
        widget.set_value(action["value"])
        started = time.perf_counter()
        at.run()
        timings.append(time.perf_counter() - started)
    print(json.dumps({
        "cold": cold, "warm": warm, "actions": timings,
        "titles": [t.value for t in at.title],
        "exceptions": [e.value for e in at.exception],
        "heavy": sorted(m for m in HEAVY if m in sys.modules),
    }))


def median(results: list[dict[str, Any]], key: str, index: int | None = None) -> float:
    values = [r[key] if index is None else r[key][index] for r in results]
    return statistics.median(values)


def problems(results: list[dict[str, Any]], title: str) -> str:
    notes = set()
    for r in results:
        notes.update(f"EXCEPTION {e[:80]}" for e in r["exceptions"])
        notes.update(f"HEAVY IMPORT {m}" for m in r["heavy"])
        if not any(title.lower() in t.lower() for t in r["titles"]):
            notes.add(f"title {title!r} not shown")
    return "; ".join(sorted(notes))


def sample_ids(store: Path) -> tuple[str, str]:
    """A conversation on the big store and another of the same persona (for Compare)."""
    from workbench.views.comparison import same_persona_filter
    from workbench.store import Store

    with Store(store) as s:
        first = s.list_conversations(limit=1).items[0].id
        transcript = s.get_transcript(first)
        partner = s.list_conversations(same_persona_filter(transcript), limit=2).items[-1].id
    return first, partner


def newest_run(store: Path) -> str:
    """The newest run of the big store (the matrix lays out its conversations)."""
    from workbench.store import Store

    with Store(store) as db:
        return db.list_runs()[0].id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, help="big store to reuse (built if missing)")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per figure")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--actions", default="[]", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure_here(args.measure, json.loads(args.params), json.loads(args.actions))
        return

    with tempfile.TemporaryDirectory() as tmp:
        big = args.store or Path(tmp) / "big.db"
        ensure_store(big, args.conversations)
        empty = Path(tmp) / "empty.db"
        bare = measure(BARE, empty, {}, [], args.repeats)
        bare_cold, bare_warm = median(bare, "cold"), median(bare, "warm")
        print(f"\nfirst-run time per page, median of {args.repeats} fresh processes "
              f"(goal <= {GOAL_S} s); load average now {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} CPUs")
        print(f"{'page':<18}{'cold':>8}{'warm':>8}{'cold, empty':>13}{'big/empty':>11}"
              f"{'warm - bare':>13}  notes")
        print(f"{'(bare page)':<18}{bare_cold:>7.2f}s{bare_warm:>7.2f}s")
        for path, title in listed_pages():
            on_big = measure(path, big, {}, [], args.repeats)
            on_empty = measure(path, empty, {}, [], args.repeats)
            cold, warm, base = (median(on_big, "cold"), median(on_big, "warm"),
                                median(on_empty, "cold"))
            flag = "" if cold <= GOAL_S else "  cold over goal"
            print(f"{title:<18}{cold:>7.2f}s{warm:>7.2f}s{base:>12.2f}s{cold / base:>11.2f}"
                  f"{warm - bare_warm:>12.2f}s  {problems(on_big + on_empty, title)}{flag}")

        first, partner = sample_ids(big)
        print("\ninteractions on the big store (warm reruns, median):")
        search = [{"kind": "text_input", "key": "transcripts_search", "value": "chest pain"}]
        filters = [{"kind": "multiselect", "key": "transcripts_f_axis:personality",
                    "value": ["verbose"]}]
        last_page = [{"kind": "number_input", "key": "transcripts_page",
                      "value": -(-args.conversations // 50)}]
        matrix = [{"kind": "multiselect", "key": "matrix_runs", "value": [newest_run(big)]}]
        cases = [
            ("Transcripts: open ?conversation=", "../pages/transcripts.py",
             {"conversation": first}, []),
            ("Transcripts: search 'chest pain'", "../pages/transcripts.py", {}, search),
            ("Transcripts: personality=verbose", "../pages/transcripts.py", {}, filters),
            ("Transcripts: last page", "../pages/transcripts.py", {}, last_page),
            ("Compare: ?a=&b= (same persona)", "../pages/compare.py",
             {"a": first, "b": partner}, []),
            ("Experiment matrix: newest run", "../pages/matrix.py", {}, matrix),
            # The same session then asks for another figure: the run is not read again.
            ("Experiment matrix: then distinct-2", "../pages/matrix.py", {}, matrix + [
                {"kind": "selectbox", "key": "matrix_figure", "value": "distinct_2"}]),
        ]
        for label, path, params, actions in cases:
            results = measure(path, big, params, actions, args.repeats)
            figure = (median(results, "actions", len(actions) - 1) if actions
                      else median(results, "warm"))
            print(f"{label:<36}{figure:>7.2f}s  {problems(results, '')}")
        print(f"(bare page, warm: {bare_warm:.2f}s)")


if __name__ == "__main__":
    main()
