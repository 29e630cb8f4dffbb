"""Organisation admin in Chromium: a new unit and person get work, the person leaves, a bad import is refused."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from workflows.org_admin import workbook

from ..helpers import CASE, start
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_a_new_colleague_gets_a_task_then_leaves_and_hands_it_over(new_page, live_server, live_platform):
    url = live_server.url
    admin = new_page()
    login(admin, url, "admin")
    admin.get_by_role("link", name="组织机构").click()
    admin.click("#new-unit")
    admin.fill("#f-code", "street_lakeside")
    admin.fill("#f-name", "湖滨街道")
    admin.select_option("#f-kind", "street")
    admin.click("#unit-form button[type=submit]")
    admin.wait_for_selector("#unit-list tr[data-unit='street_lakeside']")

    admin.get_by_role("link", name="人员").click()
    admin.click("#new-person")
    admin.fill("#f-login", "hubin")
    admin.fill("#f-name", "胡斌")
    admin.select_option("#f-unit", "street_lakeside")
    admin.fill("#f-password", "Hubin2026!")
    admin.click("#person-form button[type=submit]")
    admin.wait_for_selector("#person-list tr[data-person='hubin']")
    screenshot(admin, "org-people")

    out = start(live_platform, "inspector", "rectification", {**CASE, "responsible_unit": "street_lakeside",
                                                              "description": "湖滨街道便民服务中心窗口推诿"})
    person = new_page()
    login(person, url, "hubin", "Hubin2026!")
    row = person.locator("#todo-table tbody tr[data-task-id]", has_text="湖滨街道便民服务中心")
    assert row.count() == 1
    row.get_by_role("button", name="签收").click()
    person.wait_for_url("**/inbox/**")

    admin.goto(f"{url}/admin/org/people/?q=hubin")
    admin.locator("#person-list tr[data-person='hubin'] .leave-person").click()
    admin.wait_for_selector("#held-tasks")
    assert "已签收" in admin.inner_text("#held-tasks")
    admin.fill("#f-default-login", "unit")
    screenshot(admin, "org-leave")
    admin.click("#departure-submit")
    admin.wait_for_selector("text=已停用，交接待办 1 项")

    admin.goto(f"{url}/instances/{out.instance_id}")
    event = admin.locator("#history [data-kind='task_reassigned']")
    assert event.count() == 1 and "转交陈静" in event.inner_text()
    person.goto(f"{url}/inbox/")
    assert "/login" in person.url  # the account is gone, and its session with it
    colleague = new_page()
    login(colleague, url, "unit")
    assert colleague.locator("#todo-table tbody tr", has_text="湖滨街道便民服务中心").count() == 1


def test_an_import_with_one_bad_row_is_refused_with_that_row_named(new_page, live_server, live_platform, tmp_path):
    with live_platform.db.reading() as session:
        book = load_workbook(BytesIO(workbook.export_workbook(session)))
    people = book["人员"]
    people.append(["sunli", "孙丽", "gov_data", None, "sunli@example.cn", "单位工作人员", None, "启用"])
    people.append(["qianwei", "钱伟", "no_such_unit", None, None, "单位工作人员", None, "启用"])
    bad_row = people.max_row
    path = tmp_path / "organisation.xlsx"
    book.save(path)

    admin = new_page()
    login(admin, live_server.url, "admin")
    admin.goto(f"{live_server.url}/admin/org/workbook/")
    assert admin.locator("#download-template").count() == 1
    admin.set_input_files("#import-form input[type=file]", str(path))
    admin.click("#import-form button[type=submit]")
    admin.wait_for_selector("#import-error-list")
    errors = admin.locator("#import-error-list tr.import-error")
    assert errors.count() == 1
    assert errors.first.get_attribute("data-row") == str(bad_row)
    assert "单位编码" in errors.first.inner_text() and "no_such_unit 不存在" in errors.first.inner_text()
    assert admin.locator("#import-confirm").count() == 0
    screenshot(admin, "org-import-refused")
    admin.goto(f"{live_server.url}/admin/org/people/?q=sunli")
    assert admin.locator("#person-list tr[data-person]").count() == 0


def test_the_organisation_pages_fit_a_phone(chromium, live_server):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        page.fill("#username", "admin")
        page.fill("#password", "demo12345")
        page.click("button[type=submit]")
        page.wait_for_url("**/inbox/")  # the menu is folded away on a phone
        for path in ("/admin/org/units/", "/admin/org/people/", "/admin/org/people/unit/leave",
                     "/admin/org/workbook/"):
            page.goto(f"{live_server.url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
        screenshot(page, "org-phone")
    finally:
        context.close()
