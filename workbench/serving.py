"""Who can reach the app: this machine only (the default), or the network on purpose.

The app has no login, and every page reads clinical material, so ``.streamlit/config.toml``
binds it to 127.0.0.1. Serving it to a colleague takes two deliberate steps: start Streamlit
with ``--server.address 0.0.0.0`` (or another address) *and* set ``WORKBENCH_SERVE_NETWORK=1``.
Then every page carries a banner saying so. An address that is not loopback without the
variable (e.g. Streamlit started outside the checkout, where the config file is not read and
Streamlit listens on every interface) makes every page refuse to show anything.
"""

from __future__ import annotations

import ipaddress
import os
from typing import NamedTuple

from workbench.settings import ENV_SERVE_NETWORK


class Exposure(NamedTuple):
    """What the app should say (or refuse) given where it listens."""

    refused: bool
    """Listening beyond this machine without the opt-in: show nothing but ``message``."""
    message: str | None
    """The banner (None when the app is local only)."""


def _loopback_only(address: str) -> bool:
    """Whether listening on ``address`` reaches this machine only (0.0.0.0 reaches all)."""
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


def network_opt_in() -> bool:
    """Whether this machine opted in to serving the app on the network."""
    return os.environ.get(ENV_SERVE_NETWORK, "").strip().lower() in {"1", "true", "yes"}


def exposure(address: str | None, opted_in: bool) -> Exposure:
    """How exposed the app is when Streamlit listens on ``address`` (its ``server.address``).

    Args:
        address: Streamlit's ``server.address``; None or empty means every interface.
        opted_in: ``network_opt_in()``.
    """
    if address and _loopback_only(address):
        return Exposure(False, None)
    where = address or "every network interface"
    if not opted_in:
        return Exposure(True, (
            f"This app is listening on {where}, beyond this machine, and it has no login. It "
            "shows nothing until that is intended: start it from the project folder (its "
            ".streamlit/config.toml listens on 127.0.0.1 only), or, to serve it to colleagues "
            f"on purpose, also set {ENV_SERVE_NETWORK}=1 (see the README)."))
    return Exposure(False, (
        f"Served on the network ({where}): anyone who can reach this machine can read every "
        "transcript and start runs, with no login (settings are read-only while served). Stop "
        "the app when the session is over."))


def settings_locked(address: str | None, opted_in: bool) -> bool:
    """Whether the Settings page is read-only: while the app is served on the network.

    A visitor from the network is not the user at the keyboard; with Settings open to them, one
    could switch on remote model hosts, add a host of theirs and have the next run send it every
    persona and transcript, or point the app at another store file.
    """
    return exposure(address, opted_in).message is not None
