"""Every page listed in workbench/app.py opens without exception, on an empty and a filled store.

Pages are read from the ``st.Page(...)`` calls in app.py, so a new page is covered as soon as it
is listed. Each runs through app.py (``switch_page``), as in the real app, so ``st.page_link``
and ``st.switch_page`` work. No model server answers (OLLAMA_HOST is an unused loopback port).
"""

from __future__ import annotations

import ast
from typing import NamedTuple

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, FilledStore


class ListedPage(NamedTuple):
    path: str
    """As written in app.py (relative to it)."""
    title: str


def listed_pages() -> list[ListedPage]:
    """The pages app.py builds its navigation from, in order."""
    pages = []
    for node in ast.walk(ast.parse(APP.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page":
            path = node.args[0]
            title = next(k.value for k in node.keywords if k.arg == "title")
            assert isinstance(path, ast.Constant) and isinstance(title, ast.Constant)
            pages.append(ListedPage(str(path.value), str(title.value)))
    return pages


def test_app_lists_pages() -> None:
    paths = [p.path for p in listed_pages()]
    assert "../pages/transcripts.py" in paths and len(paths) == len(set(paths)) >= 8


@pytest.mark.parametrize("store_kind", ["empty", "filled"])
@pytest.mark.parametrize("listed", listed_pages(), ids=lambda p: p.title)
def test_page_opens(listed: ListedPage, store_kind: str, app_env, empty_store,
                    filled_store: FilledStore) -> None:
    app_env(empty_store if store_kind == "empty" else filled_store.path)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(listed.path).run()
    assert not at.exception, [e.value for e in at.exception]
    titles = [t.value for t in at.title]
    assert any(listed.title.lower() in t.lower() for t in titles), titles
