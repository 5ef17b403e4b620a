"""The Clusters page in a real browser: lasso the map, then open a selected conversation.

Uses the browser fixtures of tests/browser (the app as a separate `streamlit run` process on a
temp store, Debian's Chromium through Playwright). The store is filled through the public Store
API with fake vectors already cached, so no embedding model is loaded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.analysis_embed.conftest import cache_fake_embeddings, fill_store
from tests.browser.conftest import (  # noqa: F401 (fixtures)
    CHROMIUM,
    Shots,
    app_url,
    go_to,
    injected_ollama,
    leak,
    page,
    settle,
    shot,
)
from workbench.store import Store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def lasso_everything(tab: Any) -> None:
    """Draw a lasso just inside the edges of the map's plotting area."""
    area = tab.locator(".js-plotly-plot .nsewdrag").first
    area.wait_for()
    box = area.bounding_box()
    x0, y0 = box["x"] + 3, box["y"] + 3
    x1, y1 = box["x"] + box["width"] - 3, box["y"] + box["height"] - 3
    tab.mouse.move(x0, y0)
    tab.mouse.down()
    for x, y in ((x1, y0), (x1, y1), (x0, y1), (x0, y0 + 1)):
        tab.mouse.move(x, y, steps=12)
    tab.mouse.up()


def test_lasso_lists_the_conversations_and_a_link_opens_one(
    page: Any,  # noqa: F811
    shot: Shots,  # noqa: F811
    tmp_path: Path,
) -> None:
    store_path = tmp_path / "store.db"
    run_id = fill_store(store_path)
    cache_fake_embeddings(store_path, run_id)
    with Store(store_path) as store:
        ids = {c.id for c in store.conversations_of_run(run_id)}

    go_to(page, "Clusters")
    page.get_by_text("12 conversations · projection").wait_for()
    shot(page, "clusters-map")
    lasso_everything(page)
    page.get_by_role("heading", name="Selected: 12 conversations").wait_for()
    settle(page)
    shot(page, "clusters-lasso-selection")
    links = page.locator('[data-testid="stPageLink"] a')
    expect(links).to_have_count(12, timeout=60_000)  # waits: a busy machine renders late
    first = links.first
    chosen = re.search(r"c-[0-9a-f-]+", first.inner_text()).group(0)  # after the icon's name
    assert chosen in ids
    first.click()
    page.get_by_role("heading", name=f"Conversation {chosen}").wait_for()
    settle(page)
    expect(page).to_have_url(re.compile(rf"conversation={re.escape(chosen)}"), timeout=60_000)
    shot(page, "clusters-opened-transcript")
