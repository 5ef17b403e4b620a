"""Short cluster titles written by a chat model from each cluster's keywords and a few snippets.

Optional: a map is complete without them. The model sees, for each cluster, its c-TF-IDF
keywords and the snippets of the units nearest the cluster's centre on the map, and is asked for
a title of two to five words. Its reply is untrusted text: :func:`clean_title` keeps one line of
at most :data:`MAX_WORDS` words and :data:`MAX_CHARS` characters, without markup or control
characters, and callers still escape it wherever it is shown.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from workbench.analysis.clusters import ClusterMap
    from workbench.analysis.steps import StepProgress
    from workbench.backends import Backend, ChatOptions

MAX_WORDS = 5
"""Words kept from a reply."""
MAX_CHARS = 48
"""Characters kept from a reply (an ellipsis marks a cut)."""
SNIPPETS_PER_CLUSTER = 3
"""Representative snippets sent per cluster."""
SNIPPET_CHARS = 200
"""Characters of each snippet sent."""
KEYWORDS_PER_CLUSTER = 8
"""Keywords sent per cluster."""
SYSTEM_PROMPT = (
    "You name clusters of patient utterances from simulated clinical conversations. Given a "
    "cluster's keywords and a few example utterances, answer with a title of 2 to 5 words that "
    "says what the utterances have in common. Answer with the title only: no quotes, no "
    "punctuation at the end, no explanation."
)
_THINKING = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")
_MARKUP = re.compile(r"[*_`#<>\[\]{}|\\\"“”]")
_LABEL = re.compile(r"^(cluster\s+)?title\s*:\s*", re.IGNORECASE)


class ClusterBrief(BaseModel):
    """What the model is told about one cluster."""

    model_config = ConfigDict(frozen=True)

    cluster: int
    """Cluster id on the map."""
    keywords: list[str]
    """Its c-TF-IDF keywords, best first."""
    snippets: list[str]
    """Snippets of the units nearest its centre on the map."""


def cluster_briefs(
    cluster_map: ClusterMap, per_cluster: int = SNIPPETS_PER_CLUSTER
) -> list[ClusterBrief]:
    """One brief per cluster of a map (HDBSCAN noise is no topic and gets none).

    The snippets are those of the units nearest the cluster's mean position on the map.
    """
    import polars as pl

    from workbench.analysis.clusters import NOISE

    frame = cluster_map.frame
    briefs = []
    for cluster in sorted(c for c in set(frame["cluster"].to_list()) if c != NOISE):
        members = frame.filter(pl.col("cluster") == cluster)
        centre_x, centre_y = members["x"].mean(), members["y"].mean()
        distance = (pl.col("x") - centre_x) ** 2 + (pl.col("y") - centre_y) ** 2
        nearest = members.with_columns(distance.alias("_d")).sort("_d").head(per_cluster)
        briefs.append(
            ClusterBrief(
                cluster=int(cluster),
                keywords=[w for w, _ in cluster_map.keywords.get(cluster, [])][
                    :KEYWORDS_PER_CLUSTER
                ],
                snippets=[s[:SNIPPET_CHARS] for s in nearest["snippet"].to_list()],
            )
        )
    return briefs


def title_messages(brief: ClusterBrief) -> list[dict[str, str]]:
    """The chat messages asking for one cluster's title."""
    examples = "\n".join(f"- {s}" for s in brief.snippets) or "- (none)"
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {
            "role": "user",
            "content": f"Keywords: {', '.join(brief.keywords) or '(none)'}\n"
            f"Example utterances:\n{examples}\nTitle:",
        },
    ]


def clean_title(reply: str) -> str:
    """A model's reply reduced to a short plain title ("" when nothing usable is left).

    Drops ``<think>`` sections, keeps the first non-empty line, removes HTML-like tags, a
    ``Title:`` label, markup and control characters, and cuts to :data:`MAX_WORDS` words and :data:`MAX_CHARS`
    characters.
    """
    text = _THINKING.sub(" ", reply)
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = "".join(
        " " if ch.isspace() else ch
        for ch in line
        if ch.isspace() or not unicodedata.category(ch).startswith("C")
    )
    line = _LABEL.sub("", _MARKUP.sub("", _TAG.sub(" ", line)).strip())
    title = " ".join(line.split()[:MAX_WORDS]).strip(" '.,;:-")
    if len(title) > MAX_CHARS:
        title = title[: MAX_CHARS - 1].rstrip() + "…"
    return title


async def write_titles(
    backend: Backend, briefs: Sequence[ClusterBrief], options: ChatOptions | None = None,
    on_progress: StepProgress | None = None,
) -> dict[int, str]:
    """Ask ``backend`` for each cluster's title, after checking it is reachable and has the model.

    ``on_progress`` is told before each cluster: one step a cluster.

    Returns:
        Cluster → cleaned title; clusters whose reply left nothing usable are absent.

    Raises:
        BackendError: the backend's own error (unreachable server, model not pulled...).
    """
    from workbench.backends import ChatOptions

    options = options or ChatOptions(temperature=0.0, seed=0, num_predict=32, timeout_s=60.0)
    await backend.check()
    titles: dict[int, str] = {}
    for done, brief in enumerate(briefs):
        if on_progress is not None:
            on_progress(done, len(briefs), f"asking for the title of cluster {brief.cluster}")
        reply = await backend.chat(title_messages(brief), options)
        title = clean_title(reply.text)
        if title:
            titles[brief.cluster] = title
    return titles


def name_clusters(
    spec: str,
    cluster_map: ClusterMap,
    *,
    hosts: Sequence[str] | None = None,
    allow_remote: bool = False,
    options: ChatOptions | None = None,
    on_progress: StepProgress | None = None,
) -> dict[int, str]:
    """Titles for a map's clusters from the model a backend spec names (blocking).

    Args:
        spec: a backend spec, e.g. ``ollama/llama3.2:3b``.
        cluster_map: the map whose clusters to name.
        hosts: Ollama servers (default: ``OLLAMA_HOST``).
        allow_remote: allow a server that is not this machine.
        options: generation options (default: greedy, short).
        on_progress: told before each cluster's request (one step a cluster).

    Raises:
        BackendError: unknown spec, remote host refused, server unreachable, model not pulled.
    """
    from workbench.backends import get_backend

    backend = get_backend(spec, hosts=hosts, allow_remote=allow_remote)
    briefs = cluster_briefs(cluster_map)

    async def run() -> dict[int, str]:
        async with backend:
            return await write_titles(backend, briefs, options, on_progress)

    return asyncio.run(run())


def legend_names(titles: Mapping[int, str]) -> dict[str, str]:
    """Map legend entries of titled clusters, keyed like the map's categories: ``"3 · title"``."""
    return {str(c): f"{c} · {title}" for c, title in titles.items()}
