"""OllamaBackend through the official ollama.AsyncClient against the test server."""

from __future__ import annotations

import asyncio

import pytest

from tests.support import DEFAULT_MODELS, OllamaTestServer
from tests.support.replies import patient_reply
from workbench.backends import (
    BackendUnreachable,
    ChatOptions,
    ModelNotFound,
    NonLoopbackRefused,
    OllamaBackend,
    get_backend,
    is_transient,
)

MODEL = "llama3.2:1b"


async def test_chat_returns_the_servers_reply_with_token_counts(server, messages):
    async with get_backend(f"ollama/{MODEL}", hosts=[server.url]) as backend:
        reply = await backend.chat(messages, ChatOptions(seed=3))
    expected = patient_reply(messages[0]["content"], 3, 0)
    assert reply.text == expected
    assert reply.completion_tokens == len(expected.split(" "))
    assert reply.prompt_tokens is not None and reply.prompt_tokens > 0
    assert (reply.model, reply.host, reply.finish_reason) == (MODEL, server.url, "stop")
    assert reply.latency_s > 0
    assert server.last_request()["stream"] is False


async def test_prompt_tokens_grow_with_the_prompt(server, messages):
    async with get_backend(f"ollama/{MODEL}", hosts=[server.url]) as backend:
        short = await backend.chat(messages)
        longer = await backend.chat([*messages, {"role": "assistant", "content": short.text},
                                     {"role": "user", "content": "And how long has it lasted?"}])
    assert longer.prompt_tokens > short.prompt_tokens


async def test_stream_yields_pieces_that_join_to_the_chat_reply(server, messages):
    async with get_backend(f"ollama/{MODEL}", hosts=[server.url]) as backend:
        pieces = [p async for p in backend.stream(messages, ChatOptions(seed=5))]
        whole = await backend.chat(messages, ChatOptions(seed=5))
    assert len(pieces) > 1
    assert "".join(pieces) == whole.text
    assert server.requests("/api/chat")[0]["stream"] is True


async def test_options_reach_the_server(server, messages):
    options = ChatOptions(temperature=0.3, top_p=0.9, seed=7, num_ctx=2048, num_predict=64,
                          timeout_s=5)
    async with get_backend(f"ollama/{MODEL}", hosts=[server.url]) as backend:
        await backend.chat(messages, options)
    sent = server.last_request()["options"]
    assert sent == {"temperature": 0.3, "top_p": 0.9, "seed": 7, "num_ctx": 2048,
                    "num_predict": 64}


async def test_unset_options_are_not_sent(server, messages):
    async with get_backend(f"ollama/{MODEL}", hosts=[server.url]) as backend:
        await backend.chat(messages, ChatOptions(temperature=0.0))
    assert server.last_request()["options"] == {"temperature": 0.0}


async def test_num_predict_cuts_the_reply_and_reports_length(server, messages):
    async with get_backend(f"ollama/{MODEL}", hosts=[server.url]) as backend:
        reply = await backend.chat(messages, ChatOptions(num_predict=3))
    assert len(reply.text.split(" ")) == 3
    assert reply.completion_tokens == 3
    assert reply.finish_reason == "length"


async def test_personas_and_seeds_change_the_reply(server, messages):
    other = [{"role": "system", "content": "You are Bob, 71, with chest pain."}, messages[1]]
    async with get_backend(f"ollama/{MODEL}", hosts=[server.url]) as backend:
        ada = await backend.chat(messages, ChatOptions(seed=1))
        ada_again = await backend.chat(messages, ChatOptions(seed=1))
        ada_reseeded = await backend.chat(messages, ChatOptions(seed=2))
        bob = await backend.chat(other, ChatOptions(seed=1))
    assert ada.text == ada_again.text
    assert ada.text != bob.text
    assert ada.text != ada_reseeded.text


async def test_list_models_reads_api_tags(server):
    async with get_backend(f"ollama/{MODEL}", hosts=[server.url]) as backend:
        assert await backend.list_models() == list(DEFAULT_MODELS)
        await backend.check()
    assert server.stats().by_path == {"/api/tags": 2}


async def test_library_prefixed_model_names_work(server, messages):
    async with get_backend(f"ollama/library/{MODEL}", hosts=[server.url]) as backend:
        assert backend.model == f"library/{MODEL}"
        assert (await backend.chat(messages)).text
        await backend.check()


@pytest.mark.parametrize("streamed", [False, True], ids=["chat", "stream"])
async def test_missing_model_says_how_to_pull_it(server, messages, streamed):
    async with get_backend("ollama/mistral:7b", hosts=[server.url]) as backend:
        with pytest.raises(ModelNotFound) as caught:
            if streamed:
                [p async for p in backend.stream(messages)]
            else:
                await backend.chat(messages)
    assert "ollama pull mistral:7b" in str(caught.value)
    assert server.url in str(caught.value)
    assert not is_transient(caught.value)


async def test_check_names_the_installed_models_when_the_model_is_missing(server):
    async with get_backend("ollama/mistral", hosts=[server.url]) as backend:
        with pytest.raises(ModelNotFound) as caught:
            await backend.check()
    assert "ollama pull mistral" in str(caught.value)
    assert "llama3.2:1b" in str(caught.value)


@pytest.mark.parametrize("streamed", [False, True], ids=["chat", "stream"])
async def test_nothing_listening_is_unreachable(dead_url, messages, streamed):
    async with get_backend(f"ollama/{MODEL}", hosts=[dead_url]) as backend:
        with pytest.raises(BackendUnreachable) as caught:
            if streamed:
                [p async for p in backend.stream(messages)]
            else:
                await backend.chat(messages)
    message = str(caught.value)
    assert dead_url in message and "ollama serve" in message and "OLLAMA_HOST" in message
    assert not is_transient(caught.value)


async def test_host_defaults_to_ollama_host(server, messages, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", server.url.removeprefix("http://"))
    async with OllamaBackend(MODEL) as backend:
        assert backend.host == server.url
        reply = await backend.chat(messages)
    assert reply.host == server.url


def test_default_host_is_local_ollama(monkeypatch):
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert OllamaBackend(MODEL).host == "http://127.0.0.1:11434"


@pytest.mark.parametrize(("host", "url"), [
    ("http://10.0.0.5:11434", "http://10.0.0.5:11434"),
    ("gpu-box.lan", "http://gpu-box.lan:11434"),
    ("https://example.com", "https://example.com:443"),
])
def test_remote_hosts_are_refused_unless_allowed(host, url):
    with pytest.raises(NonLoopbackRefused) as caught:
        OllamaBackend(MODEL, host)
    assert url in str(caught.value)
    assert "WORKBENCH_ALLOW_REMOTE=1" in str(caught.value)
    assert "--allow-remote" in str(caught.value)
    assert OllamaBackend(MODEL, host, allow_remote=True).host == url


def test_remote_ollama_host_from_env_is_refused(monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "192.168.1.20:11434")
    with pytest.raises(NonLoopbackRefused):
        get_backend(f"ollama/{MODEL}")


async def test_calls_reuse_one_connection(server, messages):
    async with get_backend(f"ollama/{MODEL}", hosts=[server.url]) as backend:
        for _ in range(10):
            await backend.chat(messages)
        [p async for p in backend.stream(messages)]
        await backend.chat(messages)
    assert server.stats().chat_requests == 12
    assert server.stats().connections == 1


async def test_parallel_cap_queues_the_rest(make_server, messages):
    server: OllamaTestServer = make_server(latency=0.05, parallel=3)
    async with get_backend(f"ollama/{MODEL}", hosts=[server.url]) as backend:
        replies = await asyncio.gather(*(backend.chat(messages) for _ in range(9)))
    assert len(replies) == 9
    assert server.stats().max_concurrent == 3
