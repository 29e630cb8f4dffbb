"""异常任务 on a phone: an admin finds the page in the collapsed menu, reads a long error and retries."""

import pytest
from sqlalchemy import insert, select

from engine.models import DueJob

from .conftest import screenshot

pytestmark = pytest.mark.browser
LONG_ERROR = "ExecutionFailed: 流程执行出错：NameError:name '" + "cases_closed_" * 30 + "' is not defined."


def test_an_admin_retries_an_incident_on_a_390px_screen(chromium, live_server, live_platform):
    with live_platform.db.transaction() as session:
        session.execute(insert(DueJob), [{"kind": "reminder", "due_at": live_platform.clock(), "status": "failed",
                                          "payload": {"title": "提醒"}, "attempts": 8, "last_error": LONG_ERROR,
                                          "failed_at": live_platform.clock()}])
    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/login")
        page.fill("#username", "admin")
        page.fill("#password", "demo12345")
        page.click("button[type=submit]")
        page.wait_for_url("**/inbox/")
        page.click(".navbar-toggler")
        page.click("text=异常任务")
        page.wait_for_selector("#incident-list .incident")
        assert "cases_closed_" in page.inner_text(".incident-error")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"the page is {wide}px wide"
        screenshot(page, "incidents-phone")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click(".retry-button")
        page.wait_for_selector(".alert-success")
        assert page.locator("#incident-list .incident").count() == 0
    finally:
        context.close()
    with live_platform.db.reading() as session:
        assert session.scalars(select(DueJob.status)).all() == ["pending"]
