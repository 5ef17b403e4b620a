"""Store faults on the pages: a read-only store is read, a damaged one is explained, never a
traceback (the one error frame of workbench/app.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, FilledStore
from tests.app.test_smoke import ListedPage, listed_pages
from workbench.store import Store, StoreReadOnly


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store opens as if its file and folder were not writable (root can write anything,
    so the permission itself cannot be tested here; the read-only open is real)."""
    monkeypatch.setattr("workbench.store.store.writable", lambda path: False)


def damage(path: Path) -> None:
    """Overwrite pages in the middle of the file, as a failing disk would."""
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 3)
        f.write(b"\xde\xad\xbe\xef" * (size // 12))


def open_page(listed: ListedPage) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(listed.path).run()
    return at


@pytest.mark.parametrize("listed", listed_pages(), ids=lambda p: p.title)
def test_every_page_reads_a_read_only_store(listed: ListedPage, app_env, read_only,
                                            filled_store: FilledStore) -> None:
    app_env(filled_store.path)
    at = open_page(listed)
    assert not at.exception, [e.value for e in at.exception]
    assert not [e for e in at.error if "read-only" in e.value], "reading needs no write"


@pytest.mark.parametrize("listed", listed_pages(), ids=lambda p: p.title)
def test_every_page_explains_a_damaged_store_without_a_traceback(
        listed: ListedPage, app_env, filled_store: FilledStore) -> None:
    damage(filled_store.path)
    app_env(filled_store.path)
    at = open_page(listed)
    assert not at.exception, [e.value for e in at.exception]
    for error in at.error:
        assert "Traceback" not in error.value


def test_the_frame_says_what_is_wrong_and_what_to_do(app_env, filled_store: FilledStore) -> None:
    damage(filled_store.path)
    app_env(filled_store.path)
    at = open_page(ListedPage("../pages/transcripts.py", "Transcripts"))
    (frame,) = at.error
    assert "is damaged" in frame.value and ".recover" in frame.value
    assert "reload the page" in at.caption[-1].value


def test_a_write_to_a_read_only_store_says_why(app_env, read_only,
                                               filled_store: FilledStore) -> None:
    with Store(filled_store.path) as store:
        assert store.read_only
        run = store.list_runs()[0]
        with pytest.raises(StoreReadOnly, match="read-only here") as caught:
            store.request_cancel(run.id)
    assert "copy the file somewhere writable" in str(caught.value)


@pytest.mark.parametrize("title", ["Annotate", "Agreement", "Adjudicate", "Judge"])
def test_a_broken_rubric_file_is_framed_with_its_file_not_a_traceback(
        title: str, app_env, filled_store: FilledStore, tmp_path: Path, monkeypatch) -> None:
    import shutil

    from tests.app.conftest import SHIPPED_PERSONAS, shown

    library = tmp_path / "personas"
    shutil.copytree(SHIPPED_PERSONAS, library)
    (library / "rubrics" / "broken.yaml").write_text("id: broken\nitems: [\n")
    app_env(filled_store.path, annotator="dr_ana")
    monkeypatch.setenv("WORKBENCH_PERSONAS", str(library))
    (listed,) = [p for p in listed_pages() if p.title == title]
    at = open_page(listed)
    assert not at.exception, [e.value for e in at.exception]
    (error,) = [e.value for e in at.error if "persona library has problems" in e.value]
    assert "rubrics/broken.yaml:3" in shown(error) and "Traceback" not in error
