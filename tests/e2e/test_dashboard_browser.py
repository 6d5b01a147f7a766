"""The dashboard in a real headless Chromium, started the way users start it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.integration.cli_runs import run
from tests.integration.dashboard_server import free_port, start_dashboard

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _require_browser() -> None:
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "the playwright package is not installed"
    if problem is None and not Path(CHROMIUM).exists():
        problem = "Debian's chromium is not installed (apt-get install chromium)"
    if problem:
        if IN_CI:
            pytest.fail(f"browser tests must run under CI=true, but {problem}")
        pytest.skip(problem)


def _wait_until_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the dashboard stopped: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:  # noqa: S310
                if answer.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the dashboard did not answer within 60 s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_browser()
    folder = tmp_path_factory.mktemp("dashboard")
    database_url = f"sqlite:///{folder / 'evidence.db'}"
    assert run(database_url, "demo").exit_code == 0
    port = free_port()
    log = folder / "dashboard.log"
    process = start_dashboard(database_url, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base, process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def page(dashboard_url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    foreign: list[str] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="chromium-profile-"),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
            viewport={"width": 1280, "height": 900},
        )
        browser_page = context.new_page()
        browser_page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))
                else foreign.append(request.url)
            ),
        )
        yield browser_page
        context.close()
    assert foreign == [], f"the dashboard reached outside this machine: {foreign}"


def _wait_for_script(browser_page: object) -> None:
    browser_page.wait_for_selector(  # type: ignore[attr-defined]
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
    )


def test_dossier_page_shows_the_reference_dossier(dashboard_url: str, page: object) -> None:
    page.goto(f"{dashboard_url}/?dossier=7097")  # type: ignore[attr-defined]
    _wait_for_script(page)
    heading = page.get_by_role("heading", name="Veneuze trombo-embolie")  # type: ignore[attr-defined]
    heading.first.wait_for(timeout=60_000)
    decision = page.get_by_text("Contra-indicatie: ja   Actie: ja")  # type: ignore[attr-defined]
    decision.first.wait_for(timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dossier-7097.png"), full_page=True)  # type: ignore[attr-defined]


def test_choosing_another_dossier(dashboard_url: str, page: object) -> None:
    page.goto(f"{dashboard_url}/?dossier=iloprost-hartfalen")  # type: ignore[attr-defined]
    _wait_for_script(page)
    page.get_by_role("heading", name="Hartfalen: iloprost").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    assert "dossier=iloprost-hartfalen" in page.url  # type: ignore[attr-defined]
