"""Server faults become the workbench's errors, for both SDKs, in chat and stream."""

from __future__ import annotations

import pytest

from tests.support import OllamaTestServer
from workbench.backends import (
    ChatOptions,
    ModelNotFound,
    TransientBackendError,
    get_backend,
    is_transient,
)

TRANSIENT_FAULTS = ["http_500", "hang", "malformed", "drop", "error_line"]
# A short timeout only where a timeout is what is tested (the hang fault), so it costs a fraction
# of a second; every call that must succeed keeps the default, so a busy machine cannot fail it.
HANG_OPTIONS = ChatOptions(timeout_s=0.3)
OPTIONS = ChatOptions()


def spec_for(kind: str, server: OllamaTestServer) -> str:
    return "ollama/llama3.2:1b" if kind == "ollama" else f"openai/llama3.2:1b@{server.url}/v1"


async def _call(backend, messages, streamed: bool, options: ChatOptions = OPTIONS) -> str:
    if streamed:
        return "".join([p async for p in backend.stream(messages, options)])
    return (await backend.chat(messages, options)).text


@pytest.mark.parametrize("sdk", ["ollama", "openai"])
@pytest.mark.parametrize("streamed", [False, True], ids=["chat", "stream"])
@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
async def test_fault_is_transient_and_the_next_call_succeeds(server, messages, sdk, streamed,
                                                             fault):
    server.fail_next(fault)
    async with get_backend(spec_for(sdk, server), hosts=[server.url]) as backend:
        with pytest.raises(TransientBackendError) as caught:
            await _call(backend, messages, streamed, HANG_OPTIONS if fault == "hang" else OPTIONS)
        assert is_transient(caught.value)
        assert server.url in str(caught.value)
        # The pool must not be left holding a broken connection.
        assert await _call(backend, messages, streamed)
    assert server.stats().faults == {fault: 1}
    assert server.stats().chat_requests == 2


@pytest.mark.parametrize("sdk", ["ollama", "openai"])
async def test_not_found_fault_is_permanent(server, messages, sdk):
    server.fail_next("not_found")
    async with get_backend(spec_for(sdk, server), hosts=[server.url]) as backend:
        with pytest.raises(ModelNotFound) as caught:
            await backend.chat(messages, OPTIONS)
    assert not is_transient(caught.value)


async def test_rate_faults_reach_the_caller_one_for_one(make_server, messages):
    server = make_server(seed=11, fault_rates={"http_500": 0.3, "drop": 0.2})
    failures = 0
    async with get_backend("ollama/llama3.2:1b", hosts=[server.url]) as backend:
        for _ in range(40):
            try:
                await backend.chat(messages, OPTIONS)
            except TransientBackendError:
                failures += 1
    injected = sum(server.stats().faults.values())
    assert 0 < injected < 40
    assert failures == injected
