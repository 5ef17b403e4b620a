"""JSON as the store writes it into text columns."""

from __future__ import annotations

import json
from typing import Any

# Built once: json.dumps with options builds a new encoder per call, a third slower per turn.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def compact(value: Any) -> str:
    """Compact JSON (keys in the given order).

    Raises:
        TypeError: the value is not JSON-serialisable.
    """
    return _COMPACT(value)


def canonical(value: Any) -> str:
    """Compact JSON with sorted keys: equal values give equal text (used for level sets)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
