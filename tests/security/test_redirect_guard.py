"""A loopback server that redirects elsewhere cannot carry a model call off this machine.

The guard sits in the SDKs' HTTP transport, so it sees every request — the first and each
redirect hop — and refuses before connecting: no test here sends a packet off loopback.
"""

from __future__ import annotations

import pytest

from workbench.backends import ChatOptions, NonLoopbackRefused, get_backend
from workbench.backends.guard import check_url

# Remote in different spellings: private IPv4, a name, IPv6, userinfo, scheme-relative,
# IPv4 written as one number (a resolver would read it as 10.255.255.1).
REMOTE_TARGETS = [
    "http://10.255.255.1:11434/api/chat",
    "http://models.invalid/v1/chat/completions",
    "http://[2001:db8::1]:8000/v1",
    "http://127.0.0.1@10.255.255.1/",
    "//10.255.255.1/api/tags",
    "http://184549121/",
]
STATUSES = [301, 302, 307, 308, 307, 303]
MESSAGES = [{"role": "system", "content": "Patient: Ada, 36, chest pain since Tuesday."},
            {"role": "user", "content": "What brings you in?"}]
OPTIONS = ChatOptions(timeout_s=20)


def _specs(url: str) -> list[str]:
    return ["ollama/llama3.2:1b", f"openai/qwen2.5:0.5b@{url}/v1"]


async def _call(backend, what: str) -> None:
    if what == "chat":
        await backend.chat(MESSAGES, OPTIONS)
    elif what == "stream":
        async for _ in backend.stream(MESSAGES, OPTIONS):
            pass
    else:
        await backend.list_models()


@pytest.mark.parametrize(("status", "target"), zip(STATUSES, REMOTE_TARGETS, strict=True))
@pytest.mark.parametrize("kind", ["ollama", "openai"])
async def test_redirect_off_loopback_is_refused(redirector, target, status, kind):
    server = redirector(status, target)
    spec = _specs(server.url)[kind == "openai"]
    backend = get_backend(spec, hosts=[server.url])
    try:
        for what in ("chat", "stream", "list"):
            with pytest.raises(NonLoopbackRefused) as caught:
                await _call(backend, what)
            assert "redirected" in caught.value.message
            assert server.url in caught.value.message  # names who redirected
    finally:
        await backend.aclose()
    assert len(server.paths) == 3  # each call reached the local server once, and went no further


async def test_pool_and_judge_paths_are_guarded(redirector, make_server):
    """A host pool (several Ollama hosts) guards each host's client too."""
    local = make_server()
    server = redirector(307, "http://10.255.255.1/api/chat")
    backend = get_backend("ollama/llama3.2:1b", hosts=[local.url, server.url])
    try:
        refused = 0
        for _ in range(4):  # the pool alternates hosts; the redirecting one must always refuse
            try:
                await backend.chat(MESSAGES, OPTIONS)
            except NonLoopbackRefused:
                refused += 1
        assert refused >= 1
    finally:
        await backend.aclose()


@pytest.mark.parametrize("kind", ["ollama", "openai"])
async def test_redirect_to_another_loopback_server_is_followed(redirector, make_server, kind):
    """The guard refuses remote hosts only: a redirect that stays on this machine works."""
    local = make_server()
    path = "/api/chat" if kind == "ollama" else "/v1/chat/completions"
    server = redirector(307, f"{local.url}{path}")
    spec = _specs(server.url)[kind == "openai"]
    backend = get_backend(spec, hosts=[server.url])
    try:
        reply = await backend.chat(MESSAGES, OPTIONS)
    finally:
        await backend.aclose()
    assert reply.text
    assert len(local.requests(path)) == 1


@pytest.mark.parametrize("url", ["http://10.0.0.5:11434", "https://gpu.example.org/v1",
                                 "http://[fe80::1]/", "http://localhost.evil.org/"])
def test_check_url_refuses_remote_without_opt_in(url):
    with pytest.raises(NonLoopbackRefused, match="not on this machine"):
        check_url(url, allow_remote=False)
    check_url(url, allow_remote=True)  # the opt-in of this invocation or machine lets it through


@pytest.mark.parametrize("url", ["http://127.0.0.1:11434", "http://localhost:8000/v1",
                                 "http://[::1]:11434", "http://127.8.9.10/"])
def test_check_url_lets_loopback_through(url):
    check_url(url, allow_remote=False)
