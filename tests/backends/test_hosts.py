"""Host normalisation and the loopback guard (pure string checks, no network)."""

from __future__ import annotations

import pytest

from workbench.backends import BackendError, is_loopback, normalize_host

LOCAL = ["127.0.0.1", "127.0.0.1:11434", "http://127.8.9.10:80", "localhost", "LOCALHOST.",
         "http://localhost:11434/", "[::1]:11434", "http://[::1]", "http://[::ffff:127.0.0.1]",
         "0.0.0.0", "http://0.0.0.0:11434", ""]
REMOTE = ["10.0.0.5", "http://192.168.1.20:11434", "https://example.com", "gpu-box",
          "http://[2001:db8::1]:11434", "http://localhost.example.com", "128.0.0.1",
          "http://[::1"]


@pytest.mark.parametrize("host", LOCAL)
def test_loopback_hosts(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", REMOTE)
def test_remote_hosts(host):
    assert not is_loopback(host)


@pytest.mark.parametrize(("raw", "url"), [
    ("127.0.0.1", "http://127.0.0.1:11434"),
    (":5000", "http://127.0.0.1:5000"),
    ("localhost:5000/", "http://localhost:5000"),
    ("http://box", "http://box:80"),
    ("https://box/ollama/", "https://box:443/ollama"),
    ("[::1]", "http://[::1]:11434"),
    (" http://127.0.0.1:9 ", "http://127.0.0.1:9"),
])
def test_normalize_host_matches_the_ollama_client(raw, url):
    assert normalize_host(raw) == url


def test_bad_port_is_a_clear_error():
    with pytest.raises(BackendError, match="invalid port"):
        normalize_host("localhost:port")


@pytest.mark.parametrize("host", [h for h in LOCAL + REMOTE if h and h != "http://[::1"])
def test_the_client_connects_where_the_guard_looked(host):
    # The guard checks our normalised URL; the SDK must not re-parse it into another host.
    from ollama._client import _parse_host

    url = normalize_host(host)
    assert _parse_host(url) == url
    assert is_loopback(url) == is_loopback(host)
