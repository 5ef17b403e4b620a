"""Timestamps as the store keeps them: UTC ISO 8601 text with microseconds, so text order is time
order and every row sorts deterministically."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def to_text(moment: datetime) -> str:
    """Store form of a datetime: UTC, fixed width (``2026-11-26T02:15:30.123456+00:00``).

    A naive datetime is taken to be UTC already.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def now_text() -> str:
    """The current time in store form."""
    return to_text(utc_now())


@overload
def from_text(text: str) -> datetime: ...
@overload
def from_text(text: None) -> None: ...
def from_text(text: str | None) -> datetime | None:
    """Parse a stored timestamp (None stays None)."""
    return None if text is None else datetime.fromisoformat(text)
