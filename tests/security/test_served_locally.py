"""The app listens on this machine only, unless serving it on a network is opted into on purpose
(and then every page says so); it makes no outside fetch of its own (page icon, usage stats,
Deploy button)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, unused_loopback_port
from tests.app.test_smoke import listed_pages
from workbench.serving import exposure
from workbench.settings import ENV_SERVE_NETWORK, PROJECT_ROOT

CONFIG = PROJECT_ROOT / ".streamlit" / "config.toml"
STARTUP_S = 180  # a generous bound for a busy machine; the poll returns as soon as it listens


def _listening(port: int) -> list[str]:
    """Local addresses of sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = []
    for table, size in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                # /proc prints each 32-bit word in host (little-endian) order.
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, size, 4))
                found.append(socket.inet_ntop(socket.AF_INET if size == 4 else socket.AF_INET6,
                                              words))
    return found


def test_the_app_listens_on_loopback_only(tmp_path: Path) -> None:
    port = unused_loopback_port()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "WORKBENCH_STORE": str(tmp_path / "s.db"),
           "WORKBENCH_SETTINGS": str(tmp_path / "none.json")}
    env.pop(ENV_SERVE_NETWORK, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "workbench/app.py", "--server.port", str(port),
         "--server.headless", "true"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTUP_S
        while not _listening(port):
            assert process.poll() is None, "streamlit exited"
            assert time.monotonic() < deadline, "streamlit did not start listening"
            time.sleep(0.2)
        addresses = _listening(port)
        assert addresses and all(a in {"127.0.0.1", "::1"} for a in addresses), addresses
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=30) as r:
            assert r.status == 200
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_the_config_keeps_everything_local() -> None:
    text = CONFIG.read_text()
    assert 'address = "127.0.0.1"' in text.splitlines()
    options = tomllib.loads(text)
    assert options["server"]["address"] == "127.0.0.1"
    assert options["browser"]["gatherUsageStats"] is False
    assert options["client"]["toolbarMode"] == "minimal"  # no Deploy button
    assert options["client"]["showErrorLinks"] is False  # no "search this error" links
    app = APP.read_text()
    assert 'page_icon=":material' not in app and "page_icon.png" in app
    assert (APP.parent / "assets" / "page_icon.png").is_file()


@pytest.mark.parametrize("address", [None, "", "0.0.0.0", "::", "192.168.1.20", "10.0.0.4",
                                     "workstation.lan", "[::]"])
def test_a_network_address_needs_the_opt_in(address: str | None) -> None:
    refused = exposure(address, opted_in=False)
    assert refused.refused and ENV_SERVE_NETWORK in (refused.message or "")
    served = exposure(address, opted_in=True)
    assert not served.refused and "no login" in (served.message or "")


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_banner(address: str) -> None:
    assert exposure(address, opted_in=False) == (False, None)
    assert exposure(address, opted_in=True) == (False, None)


@pytest.fixture
def network_address():
    """Streamlit's server.address set to every interface for the test, then restored."""
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    yield
    st_config.set_option("server.address", before)


@pytest.mark.parametrize("listed", listed_pages(), ids=lambda p: p.title)
def test_every_page_says_it_is_served_on_the_network(listed, network_address, app_env,
                                                     tmp_path, monkeypatch) -> None:
    app_env(tmp_path / "store.db")
    monkeypatch.setenv(ENV_SERVE_NETWORK, "1")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page(listed.path).run()
    assert not at.exception
    assert any("Served on the network" in w.value for w in at.warning)


def test_without_the_opt_in_no_page_shows_anything(network_address, app_env, tmp_path,
                                                   monkeypatch) -> None:
    app_env(tmp_path / "store.db")
    monkeypatch.delenv(ENV_SERVE_NETWORK, raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert [e.value for e in at.error] and "no login" in at.error[0].value
    assert not at.title  # the page never ran


def test_settings_are_read_only_while_served_on_the_network(network_address, app_env, tmp_path,
                                                            monkeypatch) -> None:
    # A visitor from the network must not switch on remote hosts, add a host of theirs or point
    # the app at another store. (AppTest refuses to touch a disabled widget; a message crafted
    # over the wire could, which is why the page also checks ``locked`` before saving.)
    app_env(tmp_path / "store.db")
    monkeypatch.setenv(ENV_SERVE_NETWORK, "1")
    settings_file = tmp_path / "no_settings.json"  # where app_env points WORKBENCH_SETTINGS
    at = AppTest.from_file(str(APP.parent.parent / "pages" / "settings.py"),
                           default_timeout=60).run()
    assert not at.exception
    assert any("Read-only while the app is served on the network" in w.value for w in at.warning)
    fields = [at.text_input(key="settings_hosts"), at.checkbox(key="settings_allow_remote"),
              at.selectbox(key="settings_default_model"), at.text_input(key="settings_annotator"),
              at.text_input(key="settings_store"), at.number_input(key="settings_timeout"),
              at.button(key="settings_save")]
    assert all(field.disabled for field in fields)
    assert not settings_file.exists()


def test_settings_can_be_changed_at_the_keyboard(app_env, tmp_path) -> None:
    app_env(tmp_path / "store.db")
    at = AppTest.from_file(str(APP.parent.parent / "pages" / "settings.py"),
                           default_timeout=60).run()
    assert not at.button(key="settings_save").disabled
    at.text_input(key="settings_annotator").set_value("dr_ana")
    at.button(key="settings_save").click().run()
    assert at.success and '"dr_ana"' in (tmp_path / "no_settings.json").read_text()
