"""HostPool: one model over several Ollama servers."""

from __future__ import annotations

import asyncio

import pytest

from workbench.backends import BackendUnreachable, HostPool, ModelNotFound

MODEL = "llama3.2:1b"


async def test_concurrent_calls_spread_over_the_hosts(make_server, messages):
    first, second = make_server(latency=0.05), make_server(latency=0.05)
    async with HostPool(MODEL, [first.url, second.url]) as pool:
        replies = await asyncio.gather(*(pool.chat(messages) for _ in range(8)))
    assert first.stats().chat_requests == second.stats().chat_requests == 4
    assert {r.host for r in replies} == {first.url, second.url}


async def test_sequential_calls_rotate(make_server, messages):
    first, second = make_server(), make_server()
    async with HostPool(MODEL, [first.url, second.url]) as pool:
        hosts = [(await pool.chat(messages)).host for _ in range(4)]
        streamed = [p async for p in pool.stream(messages)]
    assert hosts == [first.url, second.url, first.url, second.url]
    assert streamed


async def test_a_refusing_host_is_skipped(make_server, dead_url, messages):
    live = make_server()
    async with HostPool(MODEL, [dead_url, live.url]) as pool:
        replies = [await pool.chat(messages) for _ in range(4)]
    assert {r.host for r in replies} == {live.url}
    assert live.stats().chat_requests == 4


async def test_all_hosts_refusing_is_unreachable(dead_url, messages):
    async with HostPool(MODEL, [dead_url]) as pool:
        with pytest.raises(BackendUnreachable):
            await pool.chat(messages)


async def test_conversations_are_handed_out_round_robin(make_server):
    first, second = make_server(), make_server()
    pool = HostPool(MODEL, [first.url, second.url])
    assert [pool.for_conversation().host for _ in range(3)] == [first.url, second.url, first.url]


async def test_check_names_the_host_missing_the_model(make_server):
    full, partial = make_server(), make_server(models=["qwen2.5:0.5b"])
    async with HostPool(MODEL, [full.url, partial.url]) as pool:
        with pytest.raises(ModelNotFound) as caught:
            await pool.check()
        assert await pool.list_models() == ["qwen2.5:0.5b"]
    assert caught.value.host == partial.url
    assert f"OLLAMA_HOST={partial.url} ollama pull {MODEL}" in str(caught.value)
