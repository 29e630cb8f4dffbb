"""Browser fixtures: the app served on a free loopback port, and Debian's Chromium via Playwright."""

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from web import create_app

from ..conftest import make_platform

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_platform(request, tmp_path):
    """The product on SQLite with organisation, users and shipped flows; no sample cases."""
    platform = make_platform("sqlite", request, tmp_path)
    yield platform
    platform.db.dispose()


@pytest.fixture
def live_server(live_platform):
    app = create_app({"PLATFORM": live_platform, "SECRET_KEY": "browser-tests", "TESTING": True})
    with LiveServer(app) as server:
        server.app = app
        yield server


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium, live_server):
    """Make a fresh browser context (its own cookies) per person; all are closed after the test."""
    contexts = []

    def make():
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def login(page, base_url: str, username: str, password: str = "demo12345") -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#whoami", state="attached")  # inside the folded menu on a phone


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
