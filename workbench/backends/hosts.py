"""Host strings: normalising them and the loopback guard.

Clinical material must not leave the machine by accident, so every networked backend passes its
host through ``ensure_local`` before it sends anything. The check is purely syntactic: no DNS
lookup (a name other than ``localhost`` is treated as remote, whatever it resolves to), so it
works offline and cannot be fooled by a resolver.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from workbench.settings import ENV_OLLAMA_HOST, parse_hosts

from .errors import BackendError, NonLoopbackRefused

OLLAMA_PORT = 11434


def normalize_host(host: str, *, default_port: int = OLLAMA_PORT) -> str:
    """``scheme://host:port[/path]`` from the forms Ollama accepts.

    Mirrors the official client's parsing: a bare ``host`` or ``host:port`` gets ``http://`` and
    port 11434; an explicit ``http://`` / ``https://`` without port gets 80 / 443.

    Raises:
        BackendError: The port is not a number.
    """
    text = host.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "http", text
    else:
        default_port = {"http": 80, "https": 443}.get(scheme, default_port)
    split = urlsplit(f"{scheme}://{rest}")
    try:
        port = split.port or default_port
    except ValueError:
        raise BackendError(f"Host {host!r} has an invalid port; write it like "
                           "http://127.0.0.1:11434.", host=host) from None
    name = split.hostname or "127.0.0.1"
    if ":" in name:
        name = f"[{name}]"  # IPv6 literals need their brackets back in a URL
    path = split.path.strip("/")
    return f"{scheme}://{name}:{port}" + (f"/{path}" if path else "")


def ollama_hosts_from_env() -> list[str]:
    """Hosts from ``OLLAMA_HOST`` (comma-separated allowed), else the default local one."""
    return parse_hosts(os.environ.get(ENV_OLLAMA_HOST, ""))


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a URL or ``host[:port]``) names this machine.

    Loopback is 127.0.0.0/8, ::1 (also IPv4-mapped) and ``localhost``. The unspecified addresses
    0.0.0.0 and :: count too: as a destination they reach this machine, and ``OLLAMA_HOST=0.0.0.0``
    (set for the server to listen on all interfaces) is common on researchers' laptops.
    """
    text = host.strip()
    try:
        name = urlsplit(text if "://" in text else f"http://{text}").hostname or "127.0.0.1"
    except ValueError:  # e.g. an unclosed IPv6 bracket: not provably local, so refuse
        return False
    if name.rstrip(".").lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def ensure_local(host: str, *, allow_remote: bool, model: str | None = None) -> None:
    """Raise ``NonLoopbackRefused`` for a remote host unless ``allow_remote``."""
    if not allow_remote and not is_loopback(host):
        raise NonLoopbackRefused(host, model=model)
