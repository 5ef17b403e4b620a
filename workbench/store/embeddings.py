"""Embedding vectors cached by (model, text hash), stored as little-endian float32 bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.store.connection import StoreBase
from workbench.store.jsontext import compact

if TYPE_CHECKING:
    import numpy as np

_FLOAT32 = "<f4"
"""Little-endian float32, whatever the machine."""
_CHUNK = 5_000


class EmbeddingQueries(StoreBase):
    """Cache and fetch embedding vectors."""

    def put_embeddings(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Store vectors (text hash → 1-D vector) for a model; existing ones are replaced.

        Vectors are kept as float32: a float32 vector comes back bit for bit.

        Raises:
            ValueError: a vector is not one-dimensional.
        """
        import numpy as np  # only the analysis side needs it; runs and pages open stores often

        rows = []
        for text_hash, vector in vectors.items():
            array = np.asarray(vector, dtype=_FLOAT32)
            if array.ndim != 1:
                raise ValueError(
                    f"embedding for {text_hash!r} (model {model!r}) has shape {array.shape}; "
                    "expected a 1-D vector"
                )
            rows.append((model, text_hash, array.shape[0], array.tobytes()))
        with self._write() as conn:
            conn.executemany(
                """
                INSERT INTO embeddings (model, text_hash, dim, vector) VALUES (?, ?, ?, ?)
                ON CONFLICT (model, text_hash) DO UPDATE SET dim = excluded.dim,
                    vector = excluded.vector
                """,
                rows,
            )

    def get_embeddings(self, model: str, text_hashes: list[str]) -> dict[str, np.ndarray]:
        """Cached vectors of a model for these text hashes (missing ones are left out)."""
        import numpy as np

        found: dict[str, np.ndarray] = {}
        with self._read() as conn:
            for start in range(0, len(text_hashes), _CHUNK):
                chunk = text_hashes[start : start + _CHUNK]
                for text_hash, blob in conn.execute(
                    "SELECT text_hash, vector FROM embeddings "
                    "WHERE model = ? AND text_hash IN (SELECT value FROM json_each(?))",
                    (model, compact(chunk)),
                ):
                    found[text_hash] = np.frombuffer(blob, dtype=_FLOAT32).astype(np.float32)
        return found
