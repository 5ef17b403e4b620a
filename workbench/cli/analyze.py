"""`workbench embed` and `workbench analyze ...`: the command-line twins of the Clusters page.

A thin layer over :mod:`workbench.analysis`. sentence-transformers is imported only when some
text has no cached embedding; scikit-learn only inside the analysis functions. User errors print
one line on stderr: exit status 2 for a bad invocation (unknown run, unit, feature set or model
spec), 1 for a problem to fix outside the command (the embedding model cannot be loaded, the
model server is unreachable or lacks the model).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.errors import fail, user_errors, valid_ids

app = typer.Typer(
    help="Analyses of a run's transcripts (clusters and their keywords, recoverability of the "
    "persona axes).",
    no_args_is_help=True,
)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="SQLite store (default: the store_path setting, $WORKBENCH_STORE).",
        dir_okay=False,
    ),
]
RunOption = Annotated[
    list[str],
    typer.Option("--run", "-r", help="Run id (repeat for several runs).", metavar="RUN_ID",
                 callback=valid_ids),
]
UnitOption = Annotated[
    str,
    typer.Option(
        "--unit", help="conversation (a conversation's patient side) or turn (each patient turn)."
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model", help="sentence-transformers model (default: all-MiniLM-L6-v2, offline copy)."
    ),
]
ProgressOption = Annotated[
    bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr: each step "
                       "(embedding, projecting, clustering, each axis...) with its counts and "
                       "the time left (off when stderr is not a terminal).")
]


def register(root: typer.Typer) -> None:
    """Add the top-level `workbench embed` command to the root app."""
    root.command("embed", no_args_is_help=True)(embed)


@contextlib.contextmanager
def _reported_errors() -> Iterator[None]:
    from workbench.analysis.embeddings import ModelUnavailable
    from workbench.backends import BackendError
    from workbench.store import StoreError, UnknownRun

    # UnknownBackendSpec is a ValueError too
    with user_errors({(UnknownRun, ValueError): 2, (ModelUnavailable, StoreError, BackendError): 1}):
        yield


def _store_path(store: Path | None) -> Path:
    from workbench.settings import load_settings

    return store or load_settings().store_path


def embed(
    run: RunOption,
    unit: UnitOption = "conversation",
    model: ModelOption = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Texts per forward pass.")] = 64,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr.")
    ] = True,
    store: StoreOption = None,
) -> None:
    """Embed the patient text of runs, caching the vectors in the store.

    Texts already cached for the model are skipped, so a re-run costs nothing.

    Example:  workbench embed --run r-20261126-021530-ab12 --unit turn
    """
    from workbench.analysis.corpus import load_units
    from workbench.analysis.embeddings import embed_texts
    from workbench.store import Store

    with _reported_errors(), Store(_store_path(store), create=False) as db:
        units = load_units(db, run, unit)  # type: ignore[arg-type]
        result = embed_texts(
            db, units["text"].to_list(), model, batch_size=batch_size, progress=progress
        )
    typer.echo(
        f"{len(units)} {unit}s, {result.n_encoded + result.n_cached} distinct texts: "
        f"{result.n_encoded} embedded, {result.n_cached} already cached ({result.model})."
    )


@app.command("recoverability", no_args_is_help=True)
def recoverability_command(
    run: RunOption,
    unit: UnitOption = "conversation",
    model: ModelOption = None,
    features: Annotated[
        str, typer.Option(help="Feature sets, comma-separated: embeddings, tfidf.")
    ] = "embeddings,tfidf",
    folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds (at most).")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the fold split and classifier.")] = 0,
    permutations: Annotated[
        int,
        typer.Option(
            min=0,
            help="Label shuffles for the permutation test (0: none; 19, the default, is the "
            "fewest that can reach p <= 0.05).",
        ),
    ] = 19,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print JSON (a list, one object per axis and feature set)."),
    ] = False,
    progress: ProgressOption = True,
    store: StoreOption = None,
) -> None:
    """Can each axis's intended level be recovered from the transcripts?

    Cross-validated logistic regression on embeddings and on TF-IDF, folds grouped by persona
    (or profile) with duplicates kept together: accuracy against chance (the majority-level
    rate) with n, a Wilson interval and a permutation p-value; duplicates counted and flagged;
    levels that collapse into each other.

    Example:  workbench analyze recoverability --run r-20261126-021530-ab12 --json
    """
    from workbench.analysis.corpus import fold_labels, levels_by_axis, load_units
    from workbench.analysis.embeddings import embed_texts
    from workbench.analysis.recoverability import describe, recoverability
    from workbench.analysis.recoverability import steps as recoverability_steps
    from workbench.analysis.steps import embed_step, within
    from workbench.cli.progress import step_bar
    from workbench.store import Store

    wanted = {f.strip() for f in features.split(",") if f.strip()}
    if not wanted or wanted - {"embeddings", "tfidf"}:
        fail(f"--features takes embeddings and/or tfidf, got {features!r}", 2)
    embedded = "embeddings" in wanted
    with _reported_errors(), Store(_store_path(store), create=False) as db, \
            step_bar("recoverability", progress and not as_json) as tell:
        units = load_units(db, run, unit)  # type: ignore[arg-type]
        texts, levels = units["text"].to_list(), levels_by_axis(units)
        fits = recoverability_steps(levels, len(wanted))
        steps = embedded + fits
        vectors = None
        if embedded:
            embed_step(db, texts, model, 0, steps, tell)
            vectors = embed_texts(db, texts, model).vectors
        results = recoverability(
            levels,
            embeddings=vectors,
            texts=texts if "tfidf" in wanted else None,
            folds=folds,
            seed=seed,
            permutations=permutations,
            on_progress=within(tell, embedded, fits, steps),
            **fold_labels(units),
        )
    if as_json:
        json.dump([r.model_dump(mode="json") for r in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    if not results:
        typer.echo(f"No axes to test: the {len(units)} {unit}s carry no persona levels.")
    for r in results:
        typer.echo(describe(r))
        for pair in r.collapsed:
            typer.echo(f"    collapsed: {pair.a} ~ {pair.b} (pair confusion {pair.confusion:.0%})")


@app.command("clusters", no_args_is_help=True)
def clusters_command(
    run: RunOption,
    unit: UnitOption = "conversation",
    model: ModelOption = None,
    projection: Annotated[str, typer.Option(help="auto, umap, pca or tsne.")] = "auto",
    clustering: Annotated[str, typer.Option(help="kmeans or hdbscan.")] = "kmeans",
    k: Annotated[int, typer.Option("--k", min=1, help="Clusters for k-means.")] = 8,
    min_cluster_size: Annotated[int, typer.Option(min=2, help="Smallest HDBSCAN cluster.")] = 5,
    titles: Annotated[
        str | None,
        typer.Option(
            "--titles",
            metavar="MODEL",
            help="Have this model title each cluster in 2-5 words (a backend spec such as "
            "ollama/llama3.2:3b; a bare name means ollama/NAME). Uses the configured hosts.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (the clusters and the axis separation).")
    ] = False,
    progress: ProgressOption = True,
    store: StoreOption = None,
) -> None:
    """Cluster the patient text of runs: each cluster's size and c-TF-IDF keywords (and a title
    written by a model with --titles), and how well each axis separates (silhouette, NMI).

    Example:  workbench analyze clusters --run r-20261126-021530-ab12 --titles ollama/llama3.2:3b
    """
    from workbench.analysis.clusters import MAP_STEPS, build_map, keyword_rows
    from workbench.analysis.corpus import load_units
    from workbench.analysis.embeddings import embed_texts
    from workbench.analysis.steps import embed_step, within
    from workbench.backends import parse_spec
    from workbench.cli.progress import step_bar
    from workbench.settings import load_settings
    from workbench.store import Store

    if clustering not in ("kmeans", "hdbscan"):
        fail(f"--clustering takes kmeans or hdbscan, got {clustering!r}", 2)
    settings = load_settings()
    spec = titles if titles is None or "/" in titles else f"ollama/{titles}"
    # One bar: embedding, the map's steps, then one step for the titles (a cluster at a time).
    steps = 1 + MAP_STEPS + (spec is not None)
    with _reported_errors(), Store(_store_path(store), create=False) as db, \
            step_bar("clusters", progress and not as_json) as tell:
        if spec is not None:
            parse_spec(spec)  # a malformed spec fails before minutes of embedding
        units = load_units(db, run, unit)  # type: ignore[arg-type]
        texts = units["text"].to_list()
        embed_step(db, texts, model, 0, steps, tell)
        result = build_map(
            units,
            embed_texts(db, texts, model).vectors,
            projection=projection,
            clustering=clustering,  # type: ignore[arg-type]
            k=k,
            min_cluster_size=min_cluster_size,
            seed=0,
            on_progress=within(tell, 1, MAP_STEPS, steps),
        )
        named = None
        if spec is not None:
            from workbench.analysis.titles import name_clusters

            named = name_clusters(
                spec, result, hosts=settings.ollama_hosts, allow_remote=settings.allow_remote,
                on_progress=within(tell, 1 + MAP_STEPS, 1, steps),
            )
    rows = keyword_rows(result, named)
    if as_json:
        json.dump(
            {
                "projection": result.projection,
                "units": len(units),
                "clusters": rows,
                "separation": [s.model_dump(mode="json") for s in result.separation],
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return
    typer.echo(f"{len(units)} {unit}s in {len(rows)} clusters ({clustering}):")
    for row in rows:
        title = f" {row['title']!r}" if row.get("title") else ""
        typer.echo(f"  {row['cluster']:>3}{title} · {row['units']} {unit}s · {row['keywords']}")
    for s in result.separation:
        silhouette = "n/a" if s.silhouette is None else f"{s.silhouette:.2f}"
        nmi = "n/a" if s.nmi is None else f"{s.nmi:.2f}"
        typer.echo(f"  axis {s.axis}: silhouette {silhouette}, NMI with clusters {nmi}")
