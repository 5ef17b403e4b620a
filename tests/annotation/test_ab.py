"""Blind A/B: pairs of one persona under two configurations, stored choices, win rates."""

from __future__ import annotations

import pytest

from tests.app.conftest import FilledStore
from workbench.analysis.bootstrap import wilson_interval
from workbench.annotation.ab import Pair, choice_annotation, find_pairs, judged, win_rates
from workbench.store import Store


def test_pairs_differ_in_configuration_and_sides_follow_the_seed(
        filled_store: FilledStore) -> None:
    ids = filled_store.ids
    with Store(filled_store.path) as store:
        pairs = find_pairs(store, seed=0)
        again = find_pairs(store, seed=0)
    verbose = {ids["verbose_llama"], ids["verbose_qwen"], ids["verbose_v2"]}
    assert pairs == again and len(pairs) == 3
    assert all({p.a, p.b} <= verbose and p.a_config != p.b_config for p in pairs)
    configs = {c for p in pairs for c in (p.a_config, p.b_config)}
    assert len(configs) == 3 and any("qwen2.5" in c for c in configs)


def test_win_rates_with_wilson_intervals() -> None:
    pair = Pair(persona_id="p", a="c1", b="c2", a_config="X", b_config="Y")
    swapped = Pair(persona_id="p", a="c2", b="c1", a_config="Y", b_config="X")
    assert pair.anchor == swapped.anchor == ("c1", "vs:c2")
    rows = [choice_annotation(pair, "a", "", "ana"), choice_annotation(swapped, "b", "", "ben"),
            choice_annotation(pair, "b", "", "cy"), choice_annotation(pair, "tie", "", "di")]
    rates = {r.configuration: r for r in win_rates(rows)}
    assert (rates["X"].wins, rates["X"].losses, rates["X"].ties) == (2, 1, 1)
    assert rates["X"].rate == pytest.approx(2 / 3) and rates["Y"].rate == pytest.approx(1 / 3)
    assert rates["X"].interval == wilson_interval(2, 3)
    assert judged(rows, "ana") == {("c1", "vs:c2")} and judged(rows, "zed") == set()
