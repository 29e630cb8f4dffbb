"""工作日历 in Chromium: an admin enters a 2027 override on the page, and deadlines computed after it use it.

The clock stands at Monday 28 December 2026, so a four-working-day deadline ends on Friday 1 January
2027 on the plain calendar. The override is an example entry, not the published schedule.
"""

import pytest

from web import create_app

from ..conftest import make_platform
from ..test_calendar import Clock
from .conftest import LiveServer, login, screenshot

pytestmark = pytest.mark.browser
PROBLEM = "企业开办窗口未落实一次性告知"


@pytest.fixture
def server(request, tmp_path):
    platform = make_platform("sqlite", request, tmp_path, clock=Clock("2026-12-28T10:00:00"))
    app = create_app({"PLATFORM": platform, "SECRET_KEY": "browser-tests", "TESTING": True})
    with LiveServer(app) as live:
        yield live
    platform.db.dispose()


@pytest.fixture
def person(chromium, server):
    """A logged-in page per person (at `width` pixels); all closed after the test."""
    contexts = []

    def make(username: str, width: int = 1400):
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, server.url, username)  # waits for the name in the menu, which a phone folds away
        page.set_viewport_size({"width": width, "height": 900})
        return page

    yield make
    for context in contexts:
        context.close()


def open_case(page, url: str, description: str) -> str:
    """登记问题 with a four-working-day deadline; returns the 整改期限 the instance page shows."""
    page.goto(f"{url}/inbox/")
    page.get_by_role("link", name="登记问题").click()
    page.select_option("#f-source", "inspection")
    page.fill("#f-description", description)
    page.select_option("#f-responsible_unit", "gov_data")
    page.fill("#f-deadline_days", "4")
    page.click("#submit-start")
    page.wait_for_selector("#current-steps")
    return page.inner_text("#business-data")


def test_a_2027_override_entered_on_the_page_moves_the_deadlines_computed_after_it(person, server):
    inspector = person("inspector")
    assert "2027-01-01" in open_case(inspector, server.url, PROBLEM + "（一）")

    admin = person("admin")
    admin.get_by_role("link", name="工作日历", exact=True).click()
    assert "2027 年的节假日安排尚未录入" in admin.inner_text("#calendar-warning")
    admin.click("#next-year")
    assert admin.inner_text("#calendar-year") == "2027"
    assert admin.inner_text("#schedule-source") == "未录入"
    admin.click("td[data-date='2027-01-01'] a")
    assert admin.input_value("#o-date") == "2027-01-01"
    admin.check("#o-kind-holiday")
    admin.fill("#o-name", "元旦")
    admin.click("#save-override")
    admin.wait_for_selector("td[data-date='2027-01-01'][data-override='holiday']")
    assert admin.get_attribute("td[data-date='2027-01-01']", "data-kind") == "holiday"
    assert "元旦" in admin.inner_text("#override-table")
    screenshot(admin, "calendar-2027-override")

    business = open_case(inspector, server.url, PROBLEM + "（二）")
    assert "2027-01-04" in business and "2027-01-01" not in business

    # The first case keeps its deadline until an admin recomputes it, after a preview.
    admin.click("#recompute-link")
    rows = admin.locator("#recompute-table tbody tr")
    assert "2027-01-01" in rows.first.inner_text() and "2027-01-04" in rows.first.inner_text()
    assert admin.locator("#recompute-table input[name=case_id]").count() == 1
    screenshot(admin, "calendar-recompute-preview")
    admin.click("#recompute-apply")
    admin.wait_for_selector("#recompute-none")
    assert "已重新计算 1 件案件的整改期限" in admin.inner_text("main")


def test_the_calendar_fits_a_phone(person, server):
    page = person("unit", width=390)
    page.goto(f"{server.url}/calendar/?year=2026")
    assert page.locator("td[data-date='2026-10-01'][data-kind='holiday']").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#override-form").count() == 0
    screenshot(page, "calendar-phone")
