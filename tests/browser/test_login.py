"""Logging in as each demo role in a real Chromium and seeing one's own inbox."""

import pytest

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_wrong_password_is_refused(new_page, live_server):
    page = new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("#username", "unit")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.inner_text("main")
    assert page.locator("#whoami").count() == 0


@pytest.mark.parametrize("username", ["admin", "office", "leader", "drafter", "inspector", "unit", "unit2"])
def test_each_role_logs_in_and_sees_the_inbox(new_page, live_server, username):
    page = new_page()
    login(page, live_server.url, username)
    assert page.url.endswith("/inbox/")
    assert page.locator("#open-task-count").inner_text() == "0"
    if username == "inspector":
        screenshot(page, "inbox-empty")
    page.click("text=退出")
    page.wait_for_url("**/login")


def test_the_language_switch_turns_the_ui_english_and_back(new_page, live_server):
    page = new_page()
    login(page, live_server.url, "unit")
    page.click("#switch-lang")
    page.wait_for_selector("html[lang=en]")
    assert "To-do" in page.inner_text("nav")
    page.click("#switch-lang")
    page.wait_for_selector("html[lang=zh-CN]")
    assert "待办" in page.inner_text("nav")
