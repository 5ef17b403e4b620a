"""The real app in Debian's Chromium: servers started as separate processes, a leak listener, and
small helpers that drive Streamlit widgets by their visible labels.

Everything runs on 127.0.0.1 with a temp store and settings file. Screenshots go to
``test-artifacts/browser/`` (git-ignored), numbered in the order they are taken.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from workbench.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
STATUS_WIDGET = ('[data-testid="stStatusWidget"], '
                 + ", ".join(f'[data-testid="stApp"][data-test-script-state="{state}"]'
                             for state in ("initial", "running", "rerunRequested")))
"""Present only while a script (or fragment) runs: Streamlit's "Running…/Stop" widget, which
the app's minimal toolbar (``.streamlit/config.toml``) hides, or the app root's script state."""


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LeakListener(ThreadingHTTPServer):
    """Counts every connection and request that reaches it (none should)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _LeakHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _LeakHandler(BaseHTTPRequestHandler):
    def _count(self) -> None:
        self.server.requests.append(f"{self.command} {self.path}")  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_OPTIONS = _count

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def leak() -> Iterator[LeakListener]:
    """The listener behind the injected image URL."""
    server = LeakListener()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


@pytest.fixture
def injected_ollama(leak: LeakListener) -> Iterator[tuple[str, str]]:
    """The Ollama-API test server as a subprocess whose every reply carries an HTML/Markdown
    payload; yields (its URL, the payload)."""
    payload = ("<img src=x onerror=alert(1)> <script>window.__xss=1</script> "
               f"![x](http://127.0.0.1:{leak.port}/leak)")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.ollama_server", "--port", "0", "--latency", "0.05",
         "--inject", payload],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), f"the test server printed {url!r}"
    yield url, payload
    _stop(process)


@pytest.fixture
def app_url(tmp_path: Path, injected_ollama: tuple[str, str]) -> Iterator[str]:
    """`streamlit run workbench/app.py` on a free loopback port with a temp store; its URL."""
    port = free_port()
    env = {**os.environ, "WORKBENCH_STORE": str(tmp_path / "store.db"),
           "WORKBENCH_SETTINGS": str(tmp_path / "settings.json"),
           "OLLAMA_HOST": injected_ollama[0], "PYTHONUNBUFFERED": "1"}
    for name in ("WORKBENCH_ALLOW_REMOTE", "WORKBENCH_PERSONAS", "WORKBENCH_ANNOTATOR"):
        env.pop(name, None)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    log = (tmp_path / "streamlit.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "workbench/app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, timeout_s=60)
        yield url
    finally:
        _stop(process)
        log.close()
        shutil.copyfile(tmp_path / "streamlit.log", ARTIFACTS / "streamlit.log")
        for run_log in (tmp_path / "store.db.runs").glob("*.log"):
            shutil.copyfile(run_log, ARTIFACTS / f"run-{run_log.name}")
        _kill_runs(tmp_path / "store.db.runs")


def _wait_healthy(url: str, process: subprocess.Popen[Any], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "streamlit exited; see test-artifacts/browser/streamlit.log"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"streamlit did not answer {url}/_stcore/health within {timeout_s} s")


def _kill_runs(folder: Path) -> None:
    """Stop run processes the app left behind (a failing test may leave one running)."""
    for pid_file in folder.glob("*.pid"):
        try:
            os.killpg(int(pid_file.read_text()), 9)
        except (ProcessLookupError, ValueError):
            pass


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so fixtures can tell that the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(app_url: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A Chromium tab on the app, tall enough that most pages need no scrolling; a failing test
    leaves ``failure.png`` with the others."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 3000})
        tab.set_default_timeout(60_000)  # a busy machine renders late
        tab.goto(app_url)
        try:
            yield tab
        finally:
            report = getattr(request.node, "report_call", None)
            if report is not None and report.failed:
                tab.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
            browser.close()


class Shots:
    """Numbered screenshots, each taken once the app is idle."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, tab: Any, name: str) -> Path:
        settle(tab)
        self.n += 1
        path = ARTIFACTS / f"{self.n:02d}-{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shot() -> Shots:
    """``shot(tab, "name")`` saves ``test-artifacts/browser/NN-name.png``."""
    return Shots()


def settle(tab: Any, timeout_ms: int = 60_000) -> None:
    """Wait until no script runs: the status widget stays absent for half a second."""
    deadline = time.monotonic() + timeout_ms / 1000
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        if tab.locator(STATUS_WIDGET).count():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 0.5:
            return
        tab.wait_for_timeout(100)
    raise AssertionError(f"the app kept running for {timeout_ms / 1000:g} s")


def go_to(tab: Any, title: str) -> None:
    """Open a page from the sidebar navigation."""
    tab.locator('[data-testid="stSidebarNavLink"]').filter(has_text=title).click()
    tab.get_by_role("heading", name=title, exact=True).wait_for()
    settle(tab)


def pick(tab: Any, label: str | re.Pattern[str], *options: str) -> None:
    """Choose options in a selectbox or multiselect by its label: type, then click the option
    that starts with the text."""
    for option in options:
        box = tab.get_by_role("combobox", name=label, exact=isinstance(label, str))
        box.click()
        box.fill(option)
        # Which widget it is comes from the page's structure, not from whether its list is
        # still open a moment after the click: on a busy machine a selectbox's list closes late,
        # and Escape would then clear the choice just made.
        multi = box.locator("xpath=ancestor::*[@data-testid='stMultiSelect']").count() > 0
        tab.get_by_role("option").filter(
            has_text=re.compile(rf"^{re.escape(option)}")).first.click()
        if multi:  # a multiselect stays open after a choice
            tab.keyboard.press("Escape")
        expect(tab.get_by_role("listbox")).to_have_count(0, timeout=60_000)
        settle(tab)
