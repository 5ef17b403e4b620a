"""Store at scale: ingest rate, filtered paging, full-text search and open time.

Fills a temporary store with N conversations x 20 turns of varied text (sentences built from word
banks, personas over four axes, several models, clinicians and runs), then prints:

* ingest: turns/s through ``Store.append_turns_bulk`` in calls of 40,000 turns (full-text
  index included: each call writes its turns and their FTS5 entries in rowid order in one
  transaction), against a baseline measured in the same run: the same rows ``executemany``-ed
  into a bare table with no index, no full-text index and no checks;
* (a) p50/p95 of ``list_conversations`` (two axis levels + a model, a page of 50, with the total),
  against a baseline: the same page and count through ``json_extract`` on unindexed levels;
* (b) p50/p95 of ``search_turns`` (limit 50), against a baseline: FTS5 ranking every match
  (no rank window); plus the same search within a filter;
* (c) opening a Store on the big file.

    python benchmarks/store_bench.py                       # 100,000 conversations (~2 min)
    python benchmarks/store_bench.py --conversations 2000  # smoke run

Goals: >= 100,000 turns/s ingest, p95 <= 50 ms for (a), p95 <= 100 ms for (b).

Every figure comes with its CPU time too: on a shared machine wall times stretch with the load
(printed at start and end), CPU times show what the work costs on an idle core.
``--store PATH`` keeps the filled store (or reuses it, skipping ingest) for repeated query runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from workbench.domain.transcript import Role, Turn
from workbench.store import ConversationFilter, NewConversation, Store
from workbench.store.fulltext import quoted_words
from workbench.store.search import RANK_WINDOW

AXES: dict[str, tuple[str, ...]] = {
    "personality": ("plain", "verbose", "pleasing", "impatient", "distrustful", "overanxious"),
    "language": ("A", "B", "C"),
    "recall": ("low", "high"),
    "confusion": ("normal", "moderate", "high"),
}
MODELS = (
    "ollama/llama3.2:3b",
    "ollama/qwen2.5:7b",
    "ollama/gemma2:9b",
    "ollama/mistral:7b",
    "openai/llama-3.1-8b@http://127.0.0.1:8000/v1",
)
CLINICIANS = ("ollama/llama3.1:8b", "scripted/standard_intake", "scripted/phq_gad_intake")
SCENARIOS = ("ed_consult", "cbt_session")
TURNS_PER_CONVERSATION = 20

BANK = {
    "symptom": "chest pain|shortness of breath|a cough|a fever|dizziness|nausea|a headache|"
    "back pain|stomach cramps|palpitations|a rash|swelling in my ankles|burning when I pee|"
    "numbness in my arm|blurred vision|chills|vomiting|tiredness|a sore throat|wheezing|"
    "trouble sleeping|no appetite|night sweats|a tight feeling in my chest|pins and needles",
    "duration": "two days|since yesterday|about a week|three hours|since Sunday|a fortnight|"
    "on and off for a month|since this morning|a few weeks|since the weekend|four days",
    "activity": "walking the dog|climbing the stairs|at work|cooking dinner|driving home|"
    "in the garden|lying in bed|watching television|on the bus|carrying the shopping|"
    "playing with my grandchildren|at the supermarket|in the shower",
    "trigger": "lie down|breathe in deeply|eat|walk fast|cough|bend over|get stressed|"
    "climb stairs|drink coffee|stand up too quickly|go outside in the cold",
    "relative": "mother|father|brother|sister|grandmother|uncle|aunt|son|daughter|husband|wife",
    "condition": "diabetes|high blood pressure|asthma|a heart attack|a stroke|arthritis|"
    "high cholesterol|kidney stones|depression|anxiety|COPD|migraines|an underactive thyroid|"
    "atrial fibrillation|pneumonia|a blood clot",
    "medication": "metformin|lisinopril|atorvastatin|an inhaler|aspirin|ibuprofen|paracetamol|"
    "sertraline|levothyroxine|warfarin|omeprazole|amlodipine|insulin|bisoprolol",
    "feeling": "worried|scared|exhausted|embarrassed|frustrated|hopeless|anxious|annoyed|"
    "overwhelmed|guilty|ashamed|lonely|restless|calm|confused",
    "worry": "my job|my kids|money|my marriage|being a burden|dying|the test results|"
    "losing my house|what people think|my exams|my mother's health|letting everyone down",
    "thought": "I am a failure|nobody really cares about me|I can't cope|it is all my fault|"
    "something terrible will happen|I should be stronger than this|I always mess things up|"
    "people will leave me|I'm not good enough",
    "filler": "Um,|Well,|Honestly,|I guess|You know,|To be honest,|I mean,|So,|Actually,|Hmm,",
}
PATIENT_TEMPLATES = (
    "I've had {symptom} for {duration}.",
    "It started {duration} when I was {activity}.",
    "The {symptom} gets worse when I {trigger}.",
    "My {relative} had {condition}, so I'm {feeling}.",
    "I take {medication} for my {condition}.",
    "{filler} I feel {feeling} about {worry}.",
    "I keep thinking {thought}.",
    "{filler} there's also {symptom}, mostly when I {trigger}.",
    "I stopped taking {medication} because it made me feel {feeling}.",
    "I don't remember exactly, maybe {duration}.",
    "It's {symptom} and I'm {feeling}.",
    "When I was {activity} I suddenly felt {symptom}.",
)
CLINICIAN_TEMPLATES = (
    "What brings you in today?",
    "When did the {symptom} start?",
    "Does anything make it worse, for example when you {trigger}?",
    "Does anyone in your family have {condition}?",
    "Are you taking anything like {medication}?",
    "On a scale from zero to ten, how bad is the {symptom}?",
    "How have you been feeling about {worry}?",
    "What goes through your mind when you feel {feeling}?",
    "That sounds hard. What did you do when you were {activity}?",
    "Have you noticed {symptom} as well?",
    "When you think {thought}, how much do you believe it?",
)


class TextBank:
    """Fresh sentences from templates and word banks, drawn from a pool so 2M turns stay fast."""

    def __init__(self, rng: random.Random, pool: int = 40_000) -> None:
        words = {slot: options.split("|") for slot, options in BANK.items()}

        def sentence(templates: tuple[str, ...]) -> str:
            template = rng.choice(templates)
            return template.format(**{slot: rng.choice(opts) for slot, opts in words.items()})

        self._rng = rng
        self.patient = [sentence(PATIENT_TEMPLATES) for _ in range(pool)]
        self.clinician = [sentence(CLINICIAN_TEMPLATES) for _ in range(pool // 2)]

    def turn_text(self, role: str, verbose: bool) -> str:
        pool = self.patient if role == "patient" else self.clinician
        n = self._rng.randint(2, 6) if verbose and role == "patient" else self._rng.randint(1, 3)
        return " ".join(self._rng.choices(pool, k=n))


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


class Timings:
    """Wall and CPU time of each call (CPU time is what the call costs on an idle machine)."""

    def __init__(self, calls: list[Callable[[], object]]) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        for call in calls:
            start, start_cpu = time.perf_counter(), time.thread_time()
            call()
            self.wall.append(time.perf_counter() - start)
            self.cpu.append(time.thread_time() - start_cpu)

    def __str__(self) -> str:
        w50, w95 = percentiles(self.wall)
        c50, c95 = percentiles(self.cpu)
        return f"p50 {w50:.1f} ms, p95 {w95:.1f} ms (CPU p50 {c50:.1f} ms, p95 {c95:.1f} ms)"

    @property
    def p50(self) -> float:
        return percentiles(self.wall)[0]


def fill(
    store: Store, n_conversations: int, rng: random.Random
) -> tuple[float, float, int, float]:
    """Create runs, conversations and turns.

    Returns:
        Wall and CPU seconds spent in ``append_turns_bulk``, turns stored, wall seconds in all.
    """
    bank = TextBank(rng)
    runs = [
        store.create_run(name=f"bench {i}", config={"samples": 5, "temperature": 0.7},
                         patient_model=MODELS[i % len(MODELS)], clinician=CLINICIANS[i % 3]).id
        for i in range(8)
    ]
    personas = [
        {axis: rng.choice(levels) for axis, levels in AXES.items()} for _ in range(400)
    ]
    prompts = [" ".join(rng.choices(bank.patient, k=14)) for _ in range(len(personas))]
    store_seconds, store_cpu, n_turns = 0.0, 0.0, 0
    wall = time.perf_counter()
    batch = 2_000  # conversations per call: 40,000 turns per append_turns_bulk
    for start in range(0, n_conversations, batch):
        count = min(batch, n_conversations - start)
        picks = [rng.randrange(len(personas)) for _ in range(count)]
        ids = store.add_conversations([
            NewConversation(
                run_id=rng.choice(runs),
                persona_id=f"persona_{p:03d}",
                scenario=SCENARIOS[p % 2],
                profile=f"profile_{p % 40:02d}",
                levels=personas[p],
                patient_model=rng.choice(MODELS),
                clinician=rng.choice(CLINICIANS),
                seed=rng.randrange(1 << 31),
                sample=rng.randrange(5),
                status="done" if rng.random() < 0.95 else "failed",
                patient_prompt=prompts[p],
                clinician_prompt="You are an emergency physician taking a history. " * 8,
                patient_template_hash="a1b2c3d4e5f60718",
                clinician_template_hash="0f1e2d3c4b5a6978",
            )
            for p in picks
        ])
        rows: list[tuple[str, Turn]] = []
        for conversation_id, p in zip(ids, picks):
            verbose = personas[p]["personality"] == "verbose"
            for index in range(TURNS_PER_CONVERSATION):
                role: Role = "clinician" if index % 2 == 0 else "patient"
                rows.append((conversation_id, Turn(
                    index=index, role=role, text=bank.turn_text(role, verbose),
                    state={"sentences": 2} if role == "patient" else {},
                    latency_s=round(rng.uniform(0.3, 4.0), 3), prompt_tokens=rng.randrange(200, 2000),
                    completion_tokens=rng.randrange(5, 200),
                )))
        started, started_cpu = time.perf_counter(), time.process_time()
        n_turns += store.append_turns_bulk(rows)
        store_seconds += time.perf_counter() - started
        store_cpu += time.process_time() - started_cpu
    return store_seconds, store_cpu, n_turns, time.perf_counter() - wall


def baseline_ingest(rows: list[tuple[object, ...]], directory: Path) -> tuple[float, float]:
    """Wall and CPU seconds to executemany the same rows into a bare table (no index, no FTS)."""
    conn = sqlite3.connect(directory / "baseline.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE turns (conversation_seq INTEGER, idx INTEGER, role TEXT, text TEXT, "
        "state TEXT, latency_s REAL, prompt_tokens INTEGER, completion_tokens INTEGER, "
        "created_at TEXT)"
    )
    start, start_cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(rows), 20_000):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows[i : i + 20_000])
        conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    conn.close()
    return elapsed, cpu


def sample_rows(path: Path, limit: int) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT conversation_seq, idx, role, text, state, latency_s, prompt_tokens, "
        "completion_tokens, created_at FROM turns LIMIT ?", (limit,)
    ).fetchall()
    conn.close()
    return rows


def random_filters(rng: random.Random, n: int) -> list[ConversationFilter]:
    filters = []
    for _ in range(n):
        axes = rng.sample(sorted(AXES), 2)
        levels = {axis: rng.sample(AXES[axis], rng.choice((1, 1, 2))) for axis in axes}
        filters.append(ConversationFilter(levels=levels, patient_model=[rng.choice(MODELS)]))
    return filters


def random_queries(rng: random.Random, n: int) -> list[str]:
    words = [w for slot in ("symptom", "condition", "medication", "feeling", "worry", "activity")
             for option in BANK[slot].split("|") for w in option.split() if len(w) > 3]
    phrases = [o for slot in ("symptom", "condition", "activity") for o in BANK[slot].split("|")
               if " " in o]
    queries = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.5:
            queries.append(rng.choice(words))
        elif kind < 0.7:
            queries.append(f"{rng.choice(words)} {rng.choice(words)}")
        elif kind < 0.9:
            queries.append(f'"{rng.choice(phrases)}"')
        else:
            queries.append(rng.choice(words)[:4] + "*")
    return queries


def naive_page(conn: sqlite3.Connection, f: ConversationFilter) -> None:
    """Baseline (a): levels through json_extract on every row, no level index."""
    where, params = ["patient_model IN (SELECT value FROM json_each(?))"], [
        json.dumps(f.patient_model)
    ]
    for axis, levels in f.levels.items():
        where.append(f"json_extract(levels, '$.{axis}') IN ({', '.join('?' * len(levels))})")
        params.extend(levels)
    sql = " AND ".join(where)
    conn.execute(f"SELECT count(*) FROM conversations NOT INDEXED WHERE {sql}", params).fetchone()
    conn.execute(
        f"SELECT id FROM conversations NOT INDEXED WHERE {sql} "
        "ORDER BY created_at DESC, seq DESC LIMIT 50", params
    ).fetchall()


def full_rank(conn: sqlite3.Connection, query: str) -> None:
    """Baseline (b): FTS5 ranking every matching turn, snippets in the same query."""
    sql = (
        "SELECT rowid, snippet(turns_fts, 0, '«', '»', '…', 16) FROM turns_fts "
        "WHERE turns_fts MATCH ? ORDER BY rank LIMIT 50"
    )
    try:
        conn.execute(sql, (query,)).fetchall()
    except sqlite3.OperationalError:  # not FTS5 syntax (an apostrophe): quote its words
        conn.execute(sql, (quoted_words(query),)).fetchall()


def reopen(path: Path) -> None:
    """Open and close a Store (what every Streamlit script run does)."""
    Store(path).close()


def ingest(path: Path, directory: Path, n_conversations: int, rng: random.Random) -> None:
    """Fill the store and print the ingest rate against a bare-table baseline."""
    with Store(path) as store:
        store_s, store_cpu, n_turns, wall_s = fill(store, n_conversations, rng)
        stats = store.stats()
    print(f"store: {n_conversations:,} conversations, {n_turns:,} turns, "
          f"{stats.file_bytes / 1e6:,.0f} MB")
    sample = sample_rows(path, min(n_turns, 400_000))
    base_s, base_cpu = baseline_ingest(sample, directory)
    rate, base_rate = n_turns / store_s, len(sample) / base_s
    print(f"ingest: {rate:,.0f} turns/s through append_turns_bulk, full-text index included "
          f"(rowid-ordered executemany into turns_fts in the same transaction); CPU-bound rate "
          f"{n_turns / store_cpu:,.0f} turns/s per CPU second")
    print(f"    baseline, bare executemany into an unindexed table: {base_rate:,.0f} turns/s "
          f"({len(sample) / base_cpu:,.0f} per CPU second); store/baseline {rate / base_rate:.2f}")
    print(f"    end to end incl. generating text, Turn objects and conversations: "
          f"{n_turns / wall_s:,.0f} turns/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="where to put the temp store")
    parser.add_argument(
        "--store", type=Path, default=None,
        help="keep the filled store at this path; if it exists, skip ingest and query it",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start "
          "(other processes share these CPUs; wall times stretch with the load)")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        directory = Path(tmp)
        path = args.store or directory / "bench.db"
        if path.exists():
            print(f"store: reusing {path} (no ingest)")
        else:
            ingest(path, directory, args.conversations, rng)
        with Store(path) as store:
            stats = store.stats()

        queries_rng = random.Random(args.seed + 1)  # same queries whether or not we ingested
        filters = random_filters(queries_rng, args.queries)
        queries = random_queries(queries_rng, args.queries)
        with Store(path) as store:
            store.list_conversations(filters[0])  # warm the page cache like a live app
            pages = Timings([partial(store.list_conversations, f) for f in filters])
            totals = [store.list_conversations(f, limit=1).total for f in filters[:5]]
            searches = Timings([partial(store.search_turns, q) for q in queries])
            filtered = Timings([
                partial(store.search_turns, q, filters=f) for q, f in zip(queries, filters)
            ])
            facets = Timings([store.facets for _ in range(20)])
        conn = sqlite3.connect(path)
        naive = Timings([partial(naive_page, conn, f) for f in filters[:20]])
        full = Timings([partial(full_rank, conn, q) for q in queries[:50]])
        conn.close()
        opens = Timings([partial(reopen, path) for _ in range(50)])

        print(f"(a) filtered page of 50 with its total (two axes' levels + a model; totals "
              f"e.g. {totals}): {pages}")
        print(f"    baseline, json_extract on every row: {naive} (x{naive.p50 / pages.p50:.0f})")
        print(f"(b) full-text search, limit 50 ({len(queries)} words, pairs, phrases, prefixes; "
              f"BM25 among the newest {RANK_WINDOW:,} matches): {searches}")
        print(f"    baseline, FTS5 ranking every match: {full}")
        print(f"    search within a filter (two axes' levels + a model): {filtered}")
        print(f"    facets: {facets}")
        print(f"(c) open Store on the {stats.file_bytes / 1e6:,.0f} MB file: {opens}, "
              f"max {max(opens.wall) * 1000:.1f} ms")
    print(f"machine: load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
