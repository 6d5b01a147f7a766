"""Every dashboard page runs on a real database (Streamlit's AppTest, no browser)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.registry import PAGES
from tests.integration.cli_runs import run

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches() -> Iterator[None]:
    # Streamlit's caches live for the process; one test's engine must not leak into the next.
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def demo_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    assert run(database_url, "demo").exit_code == 0
    monkeypatch.setenv("EVIDENCE_DATABASE_URL", database_url)
    return database_url


@pytest.mark.parametrize(("page", "title"), PAGES)
def test_every_page_runs(demo_database: str, page: str, title: str) -> None:
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page(page).run()
    assert not app.exception
    assert app.title[0].value == title


def test_dossiers_page_lists_and_shows_a_dossier(demo_database: str) -> None:
    app = AppTest.from_file(APP, default_timeout=60).run()
    table = app.dataframe[0].value
    assert list(table["Reference"]) == ["7097", "iloprost-hartfalen"]
    assert list(table["Contra-indication"]) == ["yes", "-"]
    assert app.header[0].value == "Veneuze trombo-embolie: immunoglobuline, normaal 7097"
    headings = [subheader.value for subheader in app.subheader]
    assert headings[-1] == "BESLISSING"
    assert "Contra-indicatie: ja   Actie: ja   Datum: 14-11-2019" in app.text[-1].value

    app.selectbox(key="dossier").select("iloprost-hartfalen").run()
    assert app.header[0].value == "Hartfalen: iloprost iloprost-hartfalen"
    assert app.query_params["dossier"] == "iloprost-hartfalen"


def test_empty_database_shows_how_to_start(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVIDENCE_DATABASE_URL", database_url)
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert "evidence demo" in app.info[0].value


def test_uninitialised_database_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVIDENCE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert "run `evidence db upgrade`" in app.error[0].value
