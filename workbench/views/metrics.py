"""The Metrics page's words around its figures: the sample each figure rests on, the notes under
the tables and the definitions, as inert Markdown (run, corpus and group names come from the
store)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from workbench.analysis import reports, roles
from workbench.views.transcript_view import inert_markdown

GROUPING_LABELS = {"run": "run or corpus", "persona": "persona", "model": "patient model"}
DIVERSITY_NOTE = ("Each cell: value [95% half-sample interval]; ⚠ marks an interval from fewer "
                  "than 10 units. first_turn_*: over each conversation's first patient turn.")
DIVERSITY_WAITS = "Diversity takes seconds to minutes on a large run: press the button."
REALISM_WAITS = ("The two-sample tests refit a classifier per bootstrap replicate: press the "
                 "button.")
TELLS_NOTE = ("Share of patient turns with each tell, beside each real corpus; 'on real text' "
              "says when real patients show it too (not a clean tell there).")
ROLES_AT_ONCE = 20_000
"""Turns (both roles) up to which role adherence is checked as the page opens (well under a
second); larger selections wait for a button."""
ROLES_NOTE = ("Patient turns failing each check: count (share [95% bootstrap interval over "
              "conversations]). A model that stays in role scores 0 everywhere.")


def grouping_label(grouping: str) -> str:
    """``level:confusion`` → ``level of confusion``; the fixed groupings in words."""
    return GROUPING_LABELS.get(grouping, grouping.replace("level:", "level of "))


def definitions(pairs: Iterable[tuple[str, str]]) -> str:
    """``**name** — definition`` per figure, one paragraph each (inert)."""
    return "\n\n".join(f"**{inert_markdown(name)}** — {inert_markdown(text)}"
                       for name, text in pairs)


def role_definitions() -> str:
    """Each role-adherence check and what it flags."""
    return definitions((roles.LABELS[c.name], f"{c.description}.") for c in roles.CHECKS)


def diversity_sample(result: reports.DiversityResults) -> str:
    """The sample every diversity group is measured on."""
    return (f"Every group measured on {result.size:,} sampled patient turns "
            f"({result.first_turn_size:,} first turns): distinct-n, self-BLEU and Vendi depend "
            "on sample size, so groups are compared at one size.")


def realism_sample(result: reports.RealismResults) -> str:
    """What the realism figures compare, on how many turns, and what to compare them against."""
    return (f"{inert_markdown(reports.sample_label(result.runs, result.corpora))}: "
            f"{result.n_simulated_turns:,} patient turns against {result.n_reference_turns:,} "
            f"of {inert_markdown(result.reference)}; two-sample tests on at most "
            f"{result.cap:,} turns a side. Each figure: value [95% interval] and n per side; "
            "the yardsticks are the same metric between two halves of the reference (by "
            "conversation) and between the two real corpora — compare against those, not 0.")


def without_definitions(rows: Iterable[Mapping[str, object]]) -> list[dict[str, object]]:
    """The realism table's rows without their definition column (shown under the table)."""
    return [{k: v for k, v in row.items() if k != "definition"} for row in rows]
