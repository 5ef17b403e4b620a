"""The local backend on the embedded model: the protocol, limits, seeds, errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from workbench.backends import BackendError, ChatOptions, TransientBackendError, get_backend
from workbench.backends.local import EMBEDDED_NAME, LocalBackend, embedded_model_path

SYSTEM = ("You are Ada, 36, a patient in an emergency department with a cough for two weeks. "
          "Answer the doctor in one or two short sentences.")
MESSAGES = [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": "What brings you in today?"}]


async def test_a_reply_with_its_token_counts_and_a_bound():
    backend = get_backend("local/smollm2")
    assert isinstance(backend, LocalBackend) and backend.name == f"local/{EMBEDDED_NAME}"
    await backend.check()
    assert EMBEDDED_NAME in await backend.list_models()
    reply = await backend.chat(MESSAGES, ChatOptions(seed=1, temperature=0.7, num_predict=48))
    assert reply.text and reply.text == reply.text.strip()
    assert reply.prompt_tokens and reply.prompt_tokens > 20
    assert 0 < (reply.completion_tokens or 0) <= 48
    assert reply.finish_reason in {"stop", "length"} and reply.host is None
    assert "<|im_" not in reply.text  # the chat template's markers never leak into a reply


async def test_num_predict_cuts_the_reply():
    reply = await get_backend("local/smollm2-135m").chat(
        MESSAGES, ChatOptions(seed=2, temperature=1.0, num_predict=3))
    assert reply.completion_tokens == 3 and reply.finish_reason == "length"


async def test_the_same_seed_repeats_and_the_stream_is_the_reply():
    backend = get_backend("local/smollm2")
    options = ChatOptions(seed=11, temperature=0.9, num_predict=40)
    first = await backend.chat(MESSAGES, options)
    other = await backend.chat([*MESSAGES[:1], {"role": "user", "content": "Any fever?"}],
                               options)  # the cached context now holds another prompt
    again = await backend.chat(MESSAGES, options)
    pieces = [p async for p in backend.stream(MESSAGES, options)]
    assert first.text == again.text == "".join(pieces).strip()
    assert len(pieces) > 1  # streamed token by token, not at once
    assert other.text  # a different prompt gets its own reply


async def test_calls_in_flight_are_answered_one_at_a_time_each_whole():
    backend = get_backend("local/smollm2")
    options = [ChatOptions(seed=s, temperature=0.8, num_predict=24) for s in range(3)]
    together = await asyncio.gather(*(backend.chat(MESSAGES, o) for o in options))
    alone = [await backend.chat(MESSAGES, o) for o in options]
    assert [r.text for r in together] == [r.text for r in alone]


async def test_the_timeout_cuts_the_reply_like_the_token_limit():
    reply = await get_backend("local/smollm2").chat(
        MESSAGES, ChatOptions(seed=3, temperature=1.0, num_predict=200, timeout_s=1e-6))
    assert reply.completion_tokens == 1 and reply.finish_reason == "length"


def test_a_reply_without_a_word_in_time_is_a_transient_error():
    from workbench.backends.local_runtime import Result

    backend = get_backend("local/smollm2")
    with pytest.raises(TransientBackendError, match="timeout_s"):
        backend._reply(Result("", 40, 1, "length", timed_out=True), ChatOptions(timeout_s=5),
                       started=0.0)


@pytest.mark.parametrize(("model", "message"), [
    ("nosuch", "Use local/smollm2"),
    ("/nonexistent/model.gguf", "No GGUF file at /nonexistent/model.gguf"),
])
async def test_a_bad_model_says_what_to_use(model: str, message: str):
    with pytest.raises(BackendError, match=message):
        await get_backend(f"local/{model}").check()


async def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"<html>not a model</html>")
    with pytest.raises(BackendError, match="not a GGUF model file"):
        await get_backend(f"local/{fake}").chat(MESSAGES)


async def test_a_gguf_path_is_a_model_of_its_own():
    path = embedded_model_path()
    assert path is not None
    backend = get_backend(f"local/{path}")
    await backend.check()
    reply = await backend.chat(MESSAGES, ChatOptions(seed=1, num_predict=8))
    assert reply.model == str(path) and reply.completion_tokens


async def test_a_continued_conversation_reuses_its_cached_prompt(monkeypatch):
    from workbench.backends import local_runtime
    from workbench.library import Library
    from workbench.simulate.plan import prepare_persona

    kept: list[int] = []
    original = local_runtime._keep_canonical_prefix

    def recording(context, tokens):
        original(context, tokens)
        kept.append(context.llama.n_tokens)  # tokens the call will not evaluate again

    monkeypatch.setattr(local_runtime, "_keep_canonical_prefix", recording)
    prompt = prepare_persona(Library(), "ed_uti_02-plain-B-high-high", {}).prompts.patient
    messages = [{"role": "system", "content": prompt},
                {"role": "user", "content": "What brings you in today?"}]
    backend = get_backend("local/smollm2")
    options = ChatOptions(seed=4, num_predict=16)
    first = await backend.chat(messages, options)
    more = [*messages, {"role": "assistant", "content": first.text},
            {"role": "user", "content": "How long has it been going on?"}]
    second = await backend.chat(more, options)
    block = local_runtime.BLOCK
    assert (first.prompt_tokens or 0) > 2 * block
    assert kept[-1] == (first.prompt_tokens or 0) // block * block  # whole blocks, warm
    assert kept[-1] > (second.prompt_tokens or 0) - 2 * block  # only the tail is read again
