"""Analysis of transcripts: embeddings, projection, clustering, diversity, realism, agreement.

Metric modules are pure functions over texts, numbers and numpy arrays (no store, no model
calls); scikit-learn and scipy are imported inside the functions that need them. Every metric has
a one-line definition for the UI in its module's ``DEFINITIONS``; :func:`metric_definitions`
gathers them.
"""

from __future__ import annotations


def metric_definitions() -> dict[str, str]:
    """Metric id → one-line definition, over the agreement, diversity, two-sample test, realism
    and tells modules."""
    from workbench.analysis import agreement, c2st, diversity, realism, tells

    return {
        **agreement.DEFINITIONS,
        **diversity.DEFINITIONS,
        **c2st.DEFINITIONS,
        **realism.DEFINITIONS,
        **tells.DEFINITIONS,
    }
