"""Daily pages on a 390 × 844 touch phone and on a 1400 × 900 desktop, the quick approval in three
taps and one text field, evidence attached on the phone, and the diagram moved and zoomed by touch.
Screenshots of every page at both sizes go to tests/artifacts/<page>-<size>.png."""

import json
import re

import pytest
from sqlalchemy import select

from engine.models import Event, HumanTask
from workflows.notifications import urge_task

from ..helpers import CASE, MEASURE, RECTIFIED, complete, start, task_of
from .conftest import login, screenshot
from .phone_checks import SIZES, TOO_SMALL, TOUCH_PX, check_page, problems
from .test_flows import tiny_png

pytestmark = pytest.mark.browser

# Words with no place to break, as people paste them: a link in a description and in an opinion.
LINK = "https://www.longnan.gov.cn/yshj/" + "zhengcewenjian" * 12 + ".html"
LONG_TITLE = "关于进一步优化企业开办服务推行“一网通办”全程电子化及电子营业执照跨部门跨层级互认的若干措施（试行）"
LONG_OPINION = ("同意。请牵头单位会同相关部门抓好落实，并按以下链接所列要求报送进展：" + LINK + "\n"
                + "落实情况每月报送一次。" * 8)
PHONE_HEIGHT = SIZES["phone"]["viewport"]["height"]


@pytest.fixture
def device(chromium, live_server):
    """Open a browser context of a size ('phone' or 'desktop'), logged in as someone or nobody."""
    contexts = []

    def make(size: str, username: str | None = None):
        context = chromium.new_context(locale="zh-CN", **SIZES[size])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if username:
            login(page, live_server.url, username)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def cases(live_platform):
    """A measure awaiting the leader, one filed after a long opinion, a case awaiting the unit, a
    case sent back with a long opinion, and 催办 notices to the leader and to the unit."""
    p = live_platform
    waiting = start(p, "drafter", "policy_measure", {**MEASURE, "title": LONG_TITLE})
    filed = start(p, "drafter", "policy_measure", {**MEASURE, "content": MEASURE["content"] + LINK})
    filing = complete(p, "leader", task_of(filed, "leader_approve"), {"decision": "approve", "opinion": LONG_OPINION})
    complete(p, "office", task_of(filing, "office_file"),
             {"doc_number": "金营商办〔2026〕7号", "filed_on": "2026-03-02"})
    case = start(p, "inspector", "rectification", CASE)
    returned = start(p, "inspector", "rectification", {**CASE, "description": "窗口材料清单未公示" + LINK})
    verify = complete(p, "unit", task_of(returned, "rectify"), RECTIFIED)
    complete(p, "inspector", task_of(verify, "verify"),
             {"decision": "fail", "opinion": LONG_OPINION, "deadline_days": 3})
    with p.db.transaction() as session:
        urge_task(p, session, "office", task_of(waiting, "leader_approve"), "请今天审批。")
        urge_task(p, session, "inspector", task_of(case, "rectify"), "请尽快整改。")
    return {"approve": task_of(waiting, "leader_approve"), "rectify": task_of(case, "rectify"),
            "filed": filed.instance_id, "returned": returned.instance_id}


def test_the_checks_catch_a_page_too_wide_a_covered_link_and_a_small_button(device, live_server):
    """What testers saw on the old 待办 — a table wider than the phone, a button under a cell — fails."""
    page = device("phone", "leader")
    page.set_content('<main><table style="width:900px"><tr><td>事项</td>'
                     '<td><button class="btn">办理</button></td></tr></table>'
                     '<div style="position:relative"><a href="#x">查看</a>'
                     '<span style="position:absolute;inset:0;background:#fff"></span></div></main>')
    found = problems(page, "phone", "main")
    assert any("wide" in f for f in found)
    assert any(f.startswith('a "查看" is covered by span') for f in found)
    assert any(f.startswith('button.btn "办理" is') and f.endswith("px high") for f in found)


@pytest.mark.parametrize("size", SIZES)
def test_every_daily_page_fits_and_every_control_can_be_tapped(device, live_server, cases, size):
    url, found = live_server.url, {}

    def visit(page, name: str, path: str) -> None:
        page.goto(url + path)
        if trouble := check_page(page, name, size):
            found[name] = trouble

    visit(device(size), "login", "/login")
    leader = device(size, "leader")
    for name, path in [("todo", "/inbox/"), ("done", "/inbox/done"), ("started", "/inbox/started"),
                       ("task-approve", f"/tasks/{cases['approve']}"), ("notifications", "/notifications/"),
                       ("instance-measure", f"/instances/{cases['filed']}"), ("library", "/library/")]:
        visit(leader, name, path)
    visit(leader, "library-measure", leader.locator("#library-table a").first.get_attribute("href"))
    unit = device(size, "unit")
    for name, path in [("task-rectify", f"/tasks/{cases['rectify']}"), ("notifications-unit", "/notifications/"),
                       ("ledger-unit", "/ledger/"), ("todo-unit", "/inbox/"), ("todo-en", "/inbox/?lang=en")]:
        visit(unit, name, path)
    inspector = device(size, "inspector")
    for name, path in [("start-case", "/start/rectification"), ("ledger", "/ledger/"),
                       ("started-inspector", "/inbox/started"), ("instance-case", f"/instances/{cases['returned']}")]:
        visit(inspector, name, path)
    visit(device(size, "drafter"), "start-measure", "/start/policy_measure")
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("size", SIZES)
def test_the_extension_dialog_fits_and_can_be_tapped(device, live_server, cases, size):
    page = device(size, "unit")
    page.goto(f"{live_server.url}/tasks/{cases['rectify']}")
    page.locator("#extension-button").click()
    page.wait_for_selector("#extension-modal.show")
    page.wait_for_function("getComputedStyle(document.querySelector('#extension-modal')).opacity === '1'")
    assert problems(page, size, "#extension-modal .modal-content") == []
    screenshot(page, f"extension-dialog-{size}")


def test_the_phone_menu_folds_into_one_row_and_opens_with_touch_sized_links(device, live_server):
    page = device("phone", "leader")
    page.goto(f"{live_server.url}/inbox/?lang=en")  # the longer English brand too
    assert page.locator("nav.navbar").bounding_box()["height"] < 70
    assert page.locator("#mainnav .nav-link").first.is_hidden()
    page.tap(".navbar-toggler")
    page.wait_for_selector("#mainnav.show")
    page.wait_for_function("!document.querySelector('#mainnav').classList.contains('collapsing')")
    assert page.evaluate(TOO_SMALL, ["#mainnav", TOUCH_PX]) == []
    page.locator("#mainnav").get_by_role("link", name="Notifications").tap()
    page.wait_for_url("**/notifications/")
    page.locator("nav .nav-quick").first.tap()  # 待办 stays one tap away with the menu folded
    page.wait_for_url("**/inbox/")


def test_admin_pages_do_not_scroll_sideways_on_a_phone(device, live_server):
    page = device("phone", "admin")
    page.goto(f"{live_server.url}/admin/")
    edit = page.locator("a[href*='/edit']").first.get_attribute("href")
    wide = {}
    for name, path in [("admin", "/admin/"), ("modeler", edit), ("org-units", "/admin/org/units/"),
                       ("org-people", "/admin/org/people/"), ("org-groups", "/admin/org/groups/"),
                       ("org-person", "/admin/org/people/leader/edit"), ("org-workbook", "/admin/org/workbook/"),
                       ("calendar", "/calendar/"), ("incidents", "/admin/incidents/")]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if widths != [390, 390]:
            wide[name] = widths
        screenshot(page, f"{name}-phone")
    assert wide == {}


def test_a_leader_approves_from_the_inbox_in_three_taps_and_one_text_field(device, live_server, live_platform, cases):
    page = device("phone", "leader")
    page.goto(f"{live_server.url}/inbox/")
    card = page.locator("#todo-table [data-task-id]", has_text=LONG_TITLE)
    assert "组长审批" in card.inner_text()
    card.get_by_role("link", name="办理").tap()                        # 1
    page.wait_for_selector("#task-form")
    essentials = page.locator("#task-essentials")
    assert LONG_TITLE in essentials.inner_text() and "组长审批" in essentials.inner_text()
    assert essentials.bounding_box()["y"] < PHONE_HEIGHT / 4, "what is asked comes first"
    assert page.locator("#history-body").is_hidden(), "the history waits below, folded"
    assert page.locator("#task-card").bounding_box()["y"] < page.locator("#history").bounding_box()["y"]
    assert "请今天审批" in page.inner_text("#latest-opinion")
    page.get_by_text("同意", exact=True).tap()                         # 2
    page.fill("#f-opinion", "同意，请抓紧备案。")                        # the text field
    screenshot(page, "quick-approve-phone")
    page.locator("#submit-task").tap()                                 # 3
    page.wait_for_url("**/inbox/")
    assert "已提交办理" in page.inner_text("main")
    with live_platform.db.reading() as session:
        task = session.get(HumanTask, cases["approve"])
        assert (task.status, task.completed_by) == ("completed", "leader")
        done = session.scalars(select(Event).where(Event.task_id == task.id, Event.kind == "task_completed")).one()
        assert (done.data["decision"], done.opinion) == ("approve", "同意，请抓紧备案。")
        opened = session.scalars(select(HumanTask.element_id).where(HumanTask.instance_id == task.instance_id,
                                                                     HumanTask.status == "open")).all()
    assert opened == ["office_file"]


def test_the_history_unfolds_on_a_phone_and_stays_open_on_a_desktop(device, live_server, cases):
    phone = device("phone", "unit")
    phone.goto(f"{live_server.url}/tasks/{cases['rectify']}")
    phone.locator(".history-toggle").tap()
    phone.wait_for_selector("#history-body.show")
    assert "催办" in phone.inner_text("#history-body")
    desktop = device("desktop", "unit")
    desktop.goto(f"{live_server.url}/tasks/{cases['rectify']}")
    assert desktop.locator("#history-body").is_visible() and desktop.locator(".history-toggle").is_hidden()
    assert desktop.locator("#history").bounding_box()["y"] < desktop.locator("#task-card").bounding_box()["y"]


def test_a_unit_opens_a_reminder_and_reports_with_a_photo_and_a_file(device, live_server, live_platform, cases):
    page = device("phone", "unit")
    page.goto(f"{live_server.url}/notifications/")
    page.locator("[data-notification-id]", has_text="请尽快整改").get_by_role("button", name="办理").tap()
    page.wait_for_url(f"**/tasks/{cases['rectify']}")
    chosen, camera = page.locator("#upload-attachments"), page.locator("#camera-attachments")
    assert ".pdf" in chosen.get_attribute("accept") and chosen.get_attribute("capture") is None
    assert camera.is_visible() and camera.get_attribute("capture") == "environment"
    assert "image/jpeg" in camera.get_attribute("accept")
    for name, value in RECTIFIED.items():
        page.fill(f"#f-{name}", value)
    camera.set_input_files([{"name": "窗口照片.png", "mimeType": "image/png", "buffer": tiny_png()}])
    chosen.set_input_files([{"name": "整改报告.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}])
    assert problems(page, "phone") == []
    screenshot(page, "rectify-with-photo-phone")
    page.locator("#submit-task").tap()
    page.wait_for_url("**/inbox/")
    with live_platform.db.reading() as session:
        assert session.get(HumanTask, cases["rectify"]).status == "completed"
    page.goto(f"{live_server.url}/tasks/{cases['rectify']}")
    attached = page.inner_text("#attachment-list")
    assert "窗口照片.png" in attached and "整改报告.pdf" in attached


def test_a_notice_about_a_task_done_meanwhile_opens_the_case_not_the_task(device, live_server, live_platform, cases):
    complete(live_platform, "unit", cases["rectify"], RECTIFIED)
    page = device("phone", "unit")
    page.goto(f"{live_server.url}/notifications/")
    notice = page.locator("[data-notification-id]", has_text="请尽快整改")
    assert notice.get_by_role("button", name="办理").count() == 0
    notice.get_by_role("button", name="查看").tap()
    page.wait_for_url("**/instances/*")


def _transform(page) -> list[float]:
    """The diagram viewport's matrix(a, b, c, d, e, f): the scale is a, the offset e and f."""
    value = page.get_attribute("#diagram .djs-container svg > g.viewport", "transform")
    return [float(n) for n in re.findall(r"-?[\d.]+(?:e-?\d+)?", value)]


def _touch(cdp, kind: str, points: list[tuple[float, float]]) -> None:
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
        {"x": x, "y": y, "id": n} for n, (x, y) in enumerate(points)]})


def test_the_diagram_moves_and_zooms_by_touch_and_by_buttons(device, live_server, cases):
    page = device("phone", "leader")
    page.goto(f"{live_server.url}/instances/{cases['filed']}")
    page.wait_for_selector("#diagram[data-ready='1']")
    page.locator("#diagram").scroll_into_view_if_needed()
    box = page.locator("#diagram").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    fitted, scrolled = _transform(page), page.evaluate("window.scrollY")

    _touch(cdp, "touchStart", [(cx, cy)])
    for step in range(1, 6):
        _touch(cdp, "touchMove", [(cx - 12 * step, cy - 8 * step)])
    _touch(cdp, "touchEnd", [])
    moved = _transform(page)
    assert moved[0] == pytest.approx(fitted[0])
    assert (moved[4], moved[5]) == (pytest.approx(fitted[4] - 60, abs=2), pytest.approx(fitted[5] - 40, abs=2))
    assert page.evaluate("window.scrollY") == scrolled, "the finger moved the diagram, not the page"

    _touch(cdp, "touchStart", [(cx - 30, cy), (cx + 30, cy)])
    for step in range(1, 6):
        _touch(cdp, "touchMove", [(cx - 30 - 6 * step, cy), (cx + 30 + 6 * step, cy)])
    _touch(cdp, "touchEnd", [])
    pinched = _transform(page)
    assert pinched[0] == pytest.approx(moved[0] * 2, rel=0.05)  # fingers 60 px apart, then 120 px

    page.get_by_role("button", name="缩小").tap()
    assert _transform(page)[0] < pinched[0]
    page.get_by_role("button", name="放大").tap()
    page.get_by_role("button", name="适应窗口").tap()
    assert _transform(page)[0] == pytest.approx(fitted[0], rel=0.01)
    screenshot(page, "diagram-touch-phone")
