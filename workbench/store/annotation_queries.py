"""Annotation writes that must land together: a whole form's values in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from workbench.store.annotations import AnnotationQueries
from workbench.store.records import Annotation


class AnnotationBatchQueries(AnnotationQueries):
    """Store several annotation values at once."""

    def put_annotations(self, annotations: Sequence[Annotation]) -> list[int]:
        """Store every value (as ``put_annotation`` does) in one transaction, and return the ids.

        Either all values are stored or, if one fails, none is (a submission never lands half).

        Raises:
            UnknownConversation, StoreError: as ``put_annotation``; nothing is stored then.
        """
        with self._write():
            return [self.put_annotation(a) for a in annotations]
