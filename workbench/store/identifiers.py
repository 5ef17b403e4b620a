"""Ids of runs and conversations: short, sortable by creation time, unique in practice.

The random tail keeps ids from two machines (or two processes in the same second) apart; the store
still checks uniqueness and draws again on the rare clash.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from workbench.store.timestamps import utc_now


def _stamp(moment: datetime | None) -> str:
    return (moment or utc_now()).strftime("%Y%m%d-%H%M%S")


def new_run_id(moment: datetime | None = None) -> str:
    """A run id such as ``r-20261126-021530-ab12``."""
    return f"r-{_stamp(moment)}-{secrets.token_hex(2)}"


def new_conversation_id(moment: datetime | None = None) -> str:
    """A conversation id such as ``c-20261126-021530-3f9a0c2be147``.

    Forty-eight random bits: a run of 100,000 conversations started in the same second clashes with
    a probability of about 2e-5, and the store redraws when it does.
    """
    return f"c-{_stamp(moment)}-{secrets.token_hex(6)}"
