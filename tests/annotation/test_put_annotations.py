"""A whole form's values land together or not at all."""

from __future__ import annotations

import pytest

from tests.app.conftest import FilledStore
from workbench.store import Annotation, Store, StoreError


def test_a_failing_value_stores_none_of_the_batch(filled_store: FilledStore) -> None:
    cid = filled_store.ids["confused"]
    good = Annotation(conversation_id=cid, rubric="r", item="a", value=1, annotator="ana")
    bad = good.model_copy(update={"item": "b", "turn_idx": 999})
    with Store(filled_store.path) as store:
        with pytest.raises(StoreError, match="no turn 999"):
            store.put_annotations([good, bad])
        assert store.annotations(cid) == []
        ids = store.put_annotations([good, good.model_copy(update={"status": "submitted"})])
        assert ids[0] == ids[1]  # the same value revised, not added twice
        assert [(a.item, a.status) for a in store.annotations(cid)] == [("a", "submitted")]
