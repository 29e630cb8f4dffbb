"""Both flows clicked through in Chromium, each person in their own browser context."""

import struct
import zlib

import pytest

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def tiny_png() -> bytes:
    """A real 2×2 PNG, made here so that the test needs no file on disk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b""))


class People:
    """One logged-in page per person, created on first use."""

    def __init__(self, new_page, url: str):
        self.new_page, self.url, self.pages = new_page, url, {}

    def __getitem__(self, username: str):
        if username not in self.pages:
            page = self.new_page()
            login(page, self.url, username)
            self.pages[username] = page
        return self.pages[username]

    def inbox(self, username: str, text: str):
        """Open the person's 待办 and return the rows whose text contains `text`."""
        page = self[username]
        page.goto(f"{self.url}/inbox/")
        return page.locator("#todo-table tbody tr[data-task-id]", has_text=text)

    def open_task(self, username: str, text: str, step: str):
        rows = self.inbox(username, text).filter(has_text=step)
        assert rows.count() == 1, f"{username} should have one “{step}” for {text}"
        page = self[username]
        rows.first.get_by_role("link", name="办理").click()
        page.wait_for_selector("#task-form")
        return page

    def submit(self, page):
        page.click("#submit-task")
        page.wait_for_url("**/inbox/")
        assert "已提交办理" in page.inner_text("main")


def assert_diagram(page, done: list[str], current: list[str]):
    page.wait_for_selector("#diagram[data-ready='1']")
    for element in done:
        assert page.locator(f".djs-element.highlight-done[data-element-id='{element}']").count() == 1, element
    for element in current:
        assert page.locator(f".djs-element.highlight-current[data-element-id='{element}']").count() == 1, element


def test_policy_measure_drafted_returned_revised_approved_and_filed(new_page, live_server):
    people, title = People(new_page, live_server.url), "推行企业开办“一网通办”全程电子化"
    drafter = people["drafter"]
    drafter.get_by_role("link", name="起草举措").click()
    drafter.fill("#f-title", title)
    drafter.select_option("#f-group_code", "start_business")
    drafter.check("#f-kind-general")
    drafter.fill("#f-content", "企业开办全程网上办理，一个环节、一日办结。")
    screenshot(drafter, "flow-policy-start")
    drafter.click("#submit-start")
    drafter.wait_for_selector("#current-steps")
    assert "组长审批" in drafter.inner_text("#current-steps")

    assert people.inbox("unit2", title).count() == 0
    leader = people.open_task("leader", title, "组长审批")
    leader.check("#f-decision-return")
    leader.click("#submit-task")
    assert leader.inner_text("#err-opinion") == "必填"  # refused, the page tells why
    leader.check("#f-decision-return")
    leader.fill("#f-opinion", "请补充制定依据")
    screenshot(leader, "flow-policy-leader-return")
    people.submit(leader)

    drafter = people.open_task("drafter", title, "修改举措")
    assert "请补充制定依据" in drafter.inner_text("#history")
    assert "周建华" in drafter.inner_text("#history")
    assert drafter.input_value("#f-title") == title
    drafter.fill("#f-basis", "龙南优化营商环境工作推进机制")
    drafter.fill("#f-opinion", "已补充依据")
    screenshot(drafter, "flow-policy-revise")
    people.submit(drafter)

    leader = people.open_task("leader", title, "组长审批")
    leader.check("#f-decision-approve")
    people.submit(leader)

    assert people.inbox("unit2", title).count() == 0
    office = people.open_task("office", title, "备案")
    office.fill("#f-doc_number", "金营商办〔2026〕12号")
    office.fill("#f-filed_on", "2026-11-20")
    screenshot(office, "flow-policy-file")
    people.submit(office)

    office.goto(f"{live_server.url}/inbox/done")
    office.get_by_role("row", name=title).get_by_role("link", name="查看").click()
    assert office.inner_text("#instance-status") == "已办结"
    assert_diagram(office, ["leader_approve", "revise", "office_file", "filed"], [])
    assert "金营商办〔2026〕12号" in office.inner_text("#business-data")
    screenshot(office, "flow-policy-instance")


def test_rectification_opened_rectified_sent_back_and_closed(new_page, live_server):
    people, problem = People(new_page, live_server.url), "政务服务大厅窗口未落实首问负责制"
    inspector = people["inspector"]
    inspector.get_by_role("link", name="登记问题").click()
    inspector.select_option("#f-source", "undercover")
    inspector.fill("#f-description", problem)
    inspector.select_option("#f-indicator", "gov_services")
    inspector.select_option("#f-responsible_unit", "gov_data")
    inspector.fill("#f-deadline_days", "5")
    screenshot(inspector, "flow-case-open")
    inspector.click("#submit-start")
    inspector.wait_for_selector("#current-steps")
    assert "区政数局" in inspector.inner_text("#current-steps")
    assert_diagram(inspector, [], ["rectify"])

    assert people.inbox("unit2", problem).count() == 0
    unit = people.open_task("unit", problem, "整改")
    unit.fill("#f-measures", "已落实首问负责制，设立导办岗")
    unit.fill("#f-evidence", "导办岗排班表；现场照片")
    unit.fill("#f-report", "整改完成，详见佐证材料。")
    unit.set_input_files("#upload-attachments",
                         files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": tiny_png()}])
    screenshot(unit, "flow-case-rectify")
    people.submit(unit)

    inspector = people.open_task("inspector", problem, "核查")
    assert "现场照片.png" in inspector.inner_text("#attachment-list")
    with inspector.expect_download() as download:
        inspector.get_by_role("link", name="现场照片.png").click()
    assert download.value.suggested_filename == "现场照片.png"
    inspector.check("#f-decision-fail")
    inspector.fill("#f-opinion", "照片未体现导办岗，请补充")
    inspector.fill("#f-deadline_days", "3")
    screenshot(inspector, "flow-case-verify-fail")
    people.submit(inspector)

    assert people.inbox("unit2", problem).count() == 0
    unit = people.open_task("unit", problem, "整改")
    assert "照片未体现导办岗，请补充" in unit.inner_text("#history")
    assert unit.is_checked("input[name=attachments]")
    assert unit.input_value("#f-measures") == "已落实首问负责制，设立导办岗"
    unit.fill("#f-report", "已补充导办岗照片。")
    unit.set_input_files("#upload-attachments",
                         files=[{"name": "导办岗.png", "mimeType": "image/png", "buffer": tiny_png()}])
    people.submit(unit)

    inspector = people.open_task("inspector", problem, "核查")
    assert "导办岗.png" in inspector.inner_text("#attachment-list")
    inspector.check("#f-decision-pass")
    inspector.fill("#f-opinion", "整改到位，予以销号")
    people.submit(inspector)

    inspector.goto(f"{live_server.url}/inbox/started")
    inspector.locator("#started-table tr", has_text=problem).get_by_role("link", name="查看").click()
    assert inspector.inner_text("#instance-status") == "已办结"
    assert "已销号" in inspector.inner_text("#case-status")
    history = inspector.inner_text("#history")
    assert "不通过" in history and "整改到位" in history and "陈静" in history
    assert_diagram(inspector, ["rectify", "verify", "closed"], [])
    screenshot(inspector, "flow-case-instance")
