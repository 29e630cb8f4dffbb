"""Every page that draws a diagram (the modeler, the version diff, the instance viewer) loads in both
languages without a console error or warning, and the modeler's keyboard is bound to its canvas."""

import pytest

from ..helpers import CASE, start
from .conftest import login

pytestmark = pytest.mark.browser


def diagram_pages(platform) -> list[tuple[str, str]]:
    """(path, what marks the page ready) for each diagram page, with a running case to view."""
    outcome = start(platform, "inspector", "rectification", CASE)
    return [
        ("/admin/definitions/1/edit", "body[data-modeler-ready=true]"),
        ("/admin/definitions/2/edit", "body[data-modeler-ready=true]"),
        ("/admin/new?key=hotline&name=热线", "body[data-modeler-ready=true]"),
        ("/admin/processes/rectification/diff?from=1&to=1", "body[data-diff-ready=true]"),
        (f"/instances/{outcome.instance_id}", "#diagram[data-ready='1']"),
    ]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_diagram_pages_log_no_console_errors_or_warnings(new_page, live_server, live_platform, lang):
    pages = diagram_pages(live_platform)
    page = new_page()
    messages: list[str] = []

    def heard(message) -> None:
        # The browser asks every site for /favicon.ico on its own; the product has none to give.
        if message.type in ("error", "warning") and not message.location.get("url", "").endswith("/favicon.ico"):
            messages.append(f"{message.type}: {message.text}")

    page.on("console", heard)
    page.on("pageerror", lambda err: messages.append(f"pageerror: {err}"))
    login(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/?lang={lang}")
    for path, ready in pages:
        page.goto(live_server.url + path)
        page.wait_for_selector(ready)
        page.wait_for_timeout(200)  # a warning logged just after the import still counts
        assert messages == [], f"{path}: {messages}"
        if "/edit" in path or "/new" in path:
            bound = page.evaluate("() => { const kb = window.ysflowModeler.modeler.get('keyboard');"
                                  " return kb.getBinding() ? kb.getBinding().tagName : null; }")
            assert bound == "svg"
