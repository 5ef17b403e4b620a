"""Deterministic reply text and embedding vectors for the Ollama-API test server.

Replies are built from small word banks, seeded by (system prompt, seed option, turn number), so
that two personas (two system prompts) produce visibly different transcripts while a rerun of the
same conversation produces exactly the same one. Everything here is pure and cheap: a benchmark
drives thousands of calls through it on a small machine.
"""

from __future__ import annotations

import hashlib
import math
import random
import re

_PATIENT_OPENERS = (
    "Well,", "Honestly,", "I guess", "To be honest,", "Um,", "So,", "I mean,", "Okay, so",
    "It's hard to say, but", "Mostly", "I think", "Right,",
)
_PATIENT_SUBJECTS = (
    "the pain", "my chest", "my stomach", "the headache", "my breathing", "the dizziness",
    "my sleep", "work", "my partner", "the tiredness", "my back", "the cough", "my mood",
    "the worry", "my knee", "the nausea",
)
_PATIENT_VERBS = (
    "started", "got worse", "comes and goes", "has been bothering me", "kept me up",
    "felt different", "eased a bit", "flared up", "hasn't changed", "scared me",
    "wore me out", "came back",
)
_PATIENT_TAILS = (
    "since last night", "after dinner", "around three days ago", "when I climb stairs",
    "mostly in the mornings", "at work", "when I lie down", "this week", "out of nowhere",
    "after the argument", "on and off", "since the weekend", "when I'm alone", "again today",
)
_PATIENT_ASIDES = (
    "I don't know if that matters.", "My sister said I should come in.",
    "I took something for it but it didn't help.", "I'm not sure how to describe it.",
    "It's probably nothing.", "I haven't told anyone yet.", "I can't really remember exactly.",
    "It scares me a little.", "I've had this before, sort of.", "Sorry, I'm rambling.",
)
_CLINICIAN_STEMS = (
    "Can you tell me more about", "When did you first notice", "How would you describe",
    "What makes it better or worse, regarding", "Has anyone in your family had",
    "How often do you experience", "What were you doing when you noticed",
    "How is it affecting", "On a scale of one to ten, how bad is",
    "What goes through your mind about",
)
_CLINICIAN_TOPICS = (
    "the pain", "your breathing", "your sleep", "your appetite", "your mood", "the symptoms",
    "your medications", "your work", "your family", "those thoughts", "the dizziness",
    "your energy", "the worry",
)
_CLINICIAN_ACKS = (
    "Thank you for telling me.", "I understand.", "That sounds difficult.", "Okay.",
    "That's helpful to know.", "I see.", "Let's go through this together.",
)
_CLINICIAN_CLOSINGS = (
    "Thank you, that gives me what I need for now.",
    "Thank you for answering all my questions; we'll take it from here.",
    "That's everything I wanted to ask today. Thank you.",
    "Thanks, I have a clear picture now and we'll make a plan together.",
)
_WORD = re.compile(r"[a-z0-9']+")


def _rng(system: str, seed: object, turn: int) -> random.Random:
    # blake2b keeps the seed stable across processes (hash() is salted per interpreter).
    digest = hashlib.blake2b(f"{seed}\x00{turn}\x00{system}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def patient_reply(system: str, seed: object, turn: int) -> str:
    """A patient-side reply: one to five first-person sentences.

    Args:
        system: The system prompt; different prompts give different word choices.
        seed: The request's ``seed`` option (any value; ``None`` is a seed too).
        turn: How many assistant messages the conversation already holds.

    Returns:
        Plain text without markdown, deterministic in its three arguments.
    """
    rng = _rng(system, seed, turn)
    sentences = []
    for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5))):
        if rng.random() < 0.25:
            sentences.append(rng.choice(_PATIENT_ASIDES))
            continue
        sentence = " ".join((
            rng.choice(_PATIENT_OPENERS), rng.choice(_PATIENT_SUBJECTS),
            rng.choice(_PATIENT_VERBS), rng.choice(_PATIENT_TAILS),
        ))
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
    return " ".join(sentences)


def clinician_reply(system: str, seed: object, turn: int) -> str:
    """A clinician-side reply: an optional acknowledgement and one question."""
    rng = _rng(system, seed, turn)
    question = f"{rng.choice(_CLINICIAN_STEMS)} {rng.choice(_CLINICIAN_TOPICS)}?"
    if turn and rng.random() < 0.6:
        return f"{rng.choice(_CLINICIAN_ACKS)} {question}"
    return question


def clinician_closing(system: str, seed: object) -> str:
    """The clinician's closing line (the caller appends the end marker)."""
    return _rng(system, seed, -1).choice(_CLINICIAN_CLOSINGS)


def insert_text(reply: str, payload: str) -> str:
    """Put ``payload`` in the middle of ``reply`` (mid-text, where escaping bugs show)."""
    words = reply.split(" ")
    middle = len(words) // 2
    return " ".join([*words[:middle], payload, *words[middle:]])


def count_tokens(text: str) -> int:
    """A rough token count (four characters a token), as a stand-in for a tokenizer."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


def embed_vector(text: str, dim: int) -> list[float]:
    """A unit vector for ``text``, deterministic, with shared words pulling vectors together.

    Feature hashing of lower-cased words (two signed buckets per word) keeps it cheap and makes
    cosine similarity meaningful for clustering tests; a text without words gets a vector
    derived from its hash instead.
    """
    vector = [0.0] * dim
    for word in _WORD.findall(text.lower()):
        h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
        vector[h % dim] += 1.0 if (h >> 32) & 1 else -1.0
        vector[(h >> 16) % dim] += 0.5 if (h >> 33) & 1 else -0.5
    if not any(vector):
        raw = hashlib.shake_256(text.encode()).digest(dim)
        vector = [b / 127.5 - 1.0 for b in raw]
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]
