"""The Ollama-API test server itself: wire format, scripted replies, faults, counters, CLI."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import ollama
import openai
import pytest

from tests.support import DEFAULT_MODELS, OllamaTestServer

ROOT = Path(__file__).resolve().parents[1]
MODEL = "llama3.2:1b"
PATIENT = [{"role": "system", "content": "You are Ada, 36, coughing."},
           {"role": "user", "content": "What brings you in?"}]
CLINICIAN_SYSTEM = "You are an ED doctor. When you have enough history, end with [END]."


@pytest.fixture
def server():
    with OllamaTestServer() as srv:
        yield srv


def clinician_turn(assistant_turns: int) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": CLINICIAN_SYSTEM}]
    for i in range(assistant_turns):
        messages += [{"role": "assistant", "content": f"q{i}"}, {"role": "user", "content": "a"}]
    return messages


# -- wire format ---------------------------------------------------------------------------------
def test_a_request_without_stream_is_streamed_as_ndjson(server):
    response = httpx.post(f"{server.url}/api/chat", json={"model": MODEL, "messages": PATIENT})
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = response.text.split("\n")
    assert lines[-1] == "" and all(lines[:-1])  # one object per line, no blank lines
    objects = [json.loads(line) for line in lines[:-1]]
    assert len(objects) > 2
    assert all(o["message"]["role"] == "assistant" for o in objects)
    assert [o["done"] for o in objects] == [False] * (len(objects) - 1) + [True]
    final = objects[-1]
    assert final["done_reason"] == "stop" and final["message"]["content"] == ""
    for key in ("prompt_eval_count", "eval_count", "total_duration", "eval_duration"):
        assert isinstance(final[key], int)


def test_non_streamed_chat_is_one_object(server):
    body = httpx.post(f"{server.url}/api/chat",
                      json={"model": MODEL, "messages": PATIENT, "stream": False}).json()
    assert body["message"]["role"] == "assistant" and body["message"]["content"]
    assert body["done"] is True and body["eval_count"] == len(body["message"]["content"].split())


def test_unknown_model_is_ollamas_404(server):
    response = httpx.post(f"{server.url}/api/chat", json={"model": "x", "messages": PATIENT})
    assert response.status_code == 404
    assert response.json() == {"error": 'model "x" not found, try pulling it first'}


def test_the_official_sync_client_works(server):
    client = ollama.Client(server.url)
    assert [m.model for m in client.list().models] == list(DEFAULT_MODELS)
    assert client.show(MODEL).details.parameter_size == "1B"
    reply = client.chat(model=MODEL, messages=PATIENT, options={"seed": 1})
    streamed = "".join(p.message.content for p in client.chat(
        model=MODEL, messages=PATIENT, options={"seed": 1}, stream=True))
    assert reply.message.content == streamed
    assert httpx.get(f"{server.url}/api/version").json()["version"]
    assert httpx.get(server.url).text == "Ollama is running"


def test_embed_is_deterministic_and_unit_length(server):
    client = ollama.Client(server.url)
    first = client.embed(model=MODEL, input=["my chest hurts", "my chest hurts badly", "xyz"])
    again = client.embed(model=MODEL, input="my chest hurts")
    vectors = first.embeddings
    assert len(vectors) == 3 and all(len(v) == 384 for v in vectors)
    assert vectors[0] == again.embeddings[0]
    assert all(math.isclose(sum(x * x for x in v), 1.0) for v in vectors)

    def cos(a, b):
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cos(vectors[0], vectors[1]) > cos(vectors[0], vectors[2])


def test_openai_endpoints_work_with_the_official_client(server):
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="x", max_retries=0)
    assert [m.id for m in client.models.list().data] == list(DEFAULT_MODELS)
    whole = client.chat.completions.create(model=MODEL, messages=PATIENT, seed=3)
    chunks = list(client.chat.completions.create(
        model=MODEL, messages=PATIENT, seed=3, stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    raw = httpx.post(f"{server.url}/v1/chat/completions",
                     json={"model": MODEL, "messages": PATIENT, "stream": True}).text
    assert raw.endswith("data: [DONE]\n\n")
    with pytest.raises(openai.NotFoundError, match="try pulling it first"):
        client.chat.completions.create(model="nope", messages=PATIENT)


def test_unknown_paths_and_methods_keep_the_connection_usable(server):
    with httpx.Client(base_url=server.url) as client:
        assert client.post("/api/nothing", json={"model": MODEL}).status_code == 404
        assert client.post("/api/version", json={"model": MODEL}).status_code == 405
        assert client.get("/api/chat").status_code == 405
        assert client.get("/api/tags").status_code == 200
    assert server.stats().connections == 1


# -- scripted replies ----------------------------------------------------------------------------
@pytest.fixture
def client(server):
    # One client per test: building one (an SSL context) costs ~20 ms.
    with ollama.Client(server.url) as client:
        yield client


def chat_text(client: ollama.Client, messages, **options) -> str:
    return client.chat(model=MODEL, messages=messages, options=options).message.content


def test_replies_depend_on_persona_seed_and_turn(client):
    other = [{"role": "system", "content": "You are Bob, 70."}, PATIENT[1]]
    later = [*PATIENT, {"role": "assistant", "content": "x"}, {"role": "user", "content": "y"}]
    texts = [chat_text(client, PATIENT, seed=1), chat_text(client, other, seed=1),
             chat_text(client, PATIENT, seed=2), chat_text(client, later, seed=1)]
    assert len(set(texts)) == 4
    assert chat_text(client, PATIENT, seed=1) == texts[0]
    lengths = {len(chat_text(client, PATIENT, seed=s).split()) for s in range(20)}
    assert len(lengths) > 3  # varied lengths


def test_clinician_closes_with_the_marker_after_close_after_turns():
    with OllamaTestServer(end_marker="[END]", close_after=2) as server, \
            ollama.Client(server.url) as client:
        replies = [chat_text(client, clinician_turn(i)) for i in range(4)]
        patient = chat_text(client, PATIENT)
    assert [r.endswith(" [END]") for r in replies] == [False, False, True, True]
    assert replies[0].endswith("?") and "[END]" not in patient


def test_inject_and_reply_fn(server, client):
    payload = "<script>alert(1)</script>"
    server.configure(inject=payload)
    assert payload in chat_text(client, PATIENT)
    server.configure(inject=None, reply_fn=lambda body: f"{len(body['messages'])} messages")
    assert chat_text(client, PATIENT) == "2 messages"


# -- faults, limits, counters --------------------------------------------------------------------
def test_fail_next_hits_model_calls_only_and_exactly_n_times(server):
    server.fail_next("http_500", 2)
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/api/tags").status_code == 200
        statuses = [client.post("/api/chat", json={
            "model": MODEL, "messages": PATIENT, "stream": False}).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert server.stats().faults == {"http_500": 2}


def test_rate_faults_are_reproducible_from_the_seed():
    def pattern() -> list[int]:
        with OllamaTestServer(seed=5, fault_rates={"http_500": 0.5}) as server, \
                httpx.Client(base_url=server.url) as client:
            return [client.post("/api/chat", json={
                "model": MODEL, "messages": PATIENT, "stream": False}).status_code
                for _ in range(16)]

    first = pattern()
    assert first == pattern()
    assert {500, 200} == set(first)


def test_bad_fault_kind_is_rejected(server):
    with pytest.raises(ValueError, match="unknown fault kind"):
        server.fail_next("explode")


def test_parallel_cap_is_the_observed_maximum():
    with OllamaTestServer(latency=0.05, parallel=4) as server:
        client = ollama.Client(server.url)
        threads = [threading.Thread(target=client.chat, kwargs={
            "model": MODEL, "messages": PATIENT}) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stats = server.stats()
    assert stats.max_concurrent == 4 and stats.chat_requests == 12


def test_counters_and_keep_alive(server):
    with httpx.Client(base_url=server.url) as client:
        for _ in range(5):
            client.post("/api/chat", json={"model": MODEL, "messages": PATIENT})
        client.get("/api/tags")
    stats = server.stats()
    assert stats.total_requests == 6 and stats.chat_requests == 5
    assert stats.by_path == {"/api/chat": 5, "/api/tags": 1}
    assert stats.connections == 1
    server.reset_stats()
    assert server.stats().total_requests == 0 and server.requests() == []


def test_control_endpoints(server, client):
    response = httpx.post(f"{server.url}/_control/config",
                          json={"fail_next": {"not_found": 1}, "inject": "ZZZ"})
    assert response.json() == {"ok": True}
    assert httpx.post(f"{server.url}/api/chat", json={
        "model": MODEL, "messages": PATIENT}).status_code == 404
    assert "ZZZ" in chat_text(client, PATIENT)
    stats = httpx.get(f"{server.url}/_control/stats").json()
    assert stats["chat_requests"] == 2 and stats["faults"] == {"not_found": 1}
    bad = httpx.post(f"{server.url}/_control/config", json={"fail_next": {"boom": 1}})
    assert bad.status_code == 400


# -- subprocess mode -----------------------------------------------------------------------------
def test_subprocess_prints_its_url_and_serves_until_killed():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.ollama_server", "--port", "0", "--parallel", "2",
         "--models", "tiny:1b", "--fail-next", "http_500=1"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        client = ollama.Client(url)
        assert [m.model for m in client.list().models] == ["tiny:1b"]
        with pytest.raises(ollama.ResponseError):
            client.chat(model="tiny:1b", messages=PATIENT)
        assert client.chat(model="tiny:1b", messages=PATIENT).message.content
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.wait()
