"""Evidence files too large are stopped in the browser, beside their field, before anything is sent."""

import pytest
from sqlalchemy import func, select

from engine.models import HumanTask
from web import create_app
from workflows.models import Attachment

from ..helpers import CASE, RECTIFIED, start, task_of
from .conftest import LiveServer, login, screenshot
from .phone_checks import SIZES
from .test_flows import tiny_png

pytestmark = pytest.mark.browser
FILE_LIMIT, TOTAL_LIMIT = 64 * 1024, 128 * 1024
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


@pytest.fixture
def live_server(live_platform):
    """The app with small upload limits, so that files over them are small too."""
    app = create_app({"PLATFORM": live_platform, "SECRET_KEY": "browser-tests", "TESTING": True,
                      "UPLOAD_MAX_BYTES": FILE_LIMIT, "UPLOAD_MAX_TOTAL_BYTES": TOTAL_LIMIT})
    with LiveServer(app) as server:
        yield server


def pdf(name: str, size: int) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF + bytes(size - len(PDF))}


def task_state(platform, task_id: int) -> tuple[str, int]:
    with platform.db.reading() as session:
        return (session.get(HumanTask, task_id).status,
                session.scalar(select(func.count()).select_from(Attachment)))


def test_a_file_over_the_limit_is_named_beside_its_field_and_nothing_is_sent(new_page, live_server, live_platform):
    task = task_of(start(live_platform, "inspector", "rectification", CASE), "rectify")
    page = new_page()
    login(page, live_server.url, "unit")
    page.goto(f"{live_server.url}/tasks/{task}")
    for name, value in RECTIFIED.items():
        page.fill(f"#f-{name}", value)
    posts = []
    page.on("request", lambda req: posts.append(req.url) if req.method == "POST" else None)

    page.set_input_files("#upload-attachments", [pdf("扫描件.pdf", FILE_LIMIT + 1)])
    error = page.locator("#upload-error-attachments")
    assert error.inner_text() == "文件“扫描件.pdf”超过 0.0625 MB 上限，请压缩或拆分后再上传"
    assert "is-invalid" in page.get_attribute("#upload-attachments", "class")
    screenshot(page, "upload-too-large")
    page.click("#submit-task")
    page.wait_for_timeout(300)  # a submit that got through would be under way by now
    assert posts == [] and page.url.endswith(f"/tasks/{task}")
    assert {name: page.input_value(f"#f-{name}") for name in RECTIFIED} == RECTIFIED
    assert task_state(live_platform, task) == ("open", 0)

    page.set_input_files("#upload-attachments", [pdf(f"{n}.pdf", 60 * 1024) for n in "一二三"])
    assert error.inner_text() == "所选附件合计超过 0.125 MB 上限，请分次提交或压缩后再上传"
    page.click("#submit-task")
    page.wait_for_timeout(300)
    assert posts == [] and task_state(live_platform, task) == ("open", 0)

    page.set_input_files("#upload-attachments", [pdf("整改报告.pdf", FILE_LIMIT)])
    assert error.is_hidden()
    page.click("#submit-task")
    page.wait_for_url("**/inbox/")
    assert task_state(live_platform, task) == ("completed", 1)


def test_on_a_phone_a_file_over_the_limit_stays_named_beside_a_photo_that_fits(chromium, live_server, live_platform):
    """The phone's form has two file inputs for one field (files and camera): a photo that fits does
    not hide the message about the file that does not."""
    task = task_of(start(live_platform, "inspector", "rectification", CASE), "rectify")
    context = chromium.new_context(locale="zh-CN", **SIZES["phone"])
    try:
        page = context.new_page()
        login(page, live_server.url, "unit")
        page.goto(f"{live_server.url}/tasks/{task}")
        for name, value in RECTIFIED.items():
            page.fill(f"#f-{name}", value)
        page.set_input_files("#upload-attachments", [pdf("扫描件.pdf", FILE_LIMIT + 1)])
        photo = {"name": "照片.png", "mimeType": "image/png", "buffer": tiny_png()}
        page.set_input_files("#camera-attachments", [photo])
        error = page.locator("#upload-error-attachments")
        assert error.inner_text() == "文件“扫描件.pdf”超过 0.0625 MB 上限，请压缩或拆分后再上传"
        assert "is-invalid" in page.get_attribute("#upload-attachments", "class")
        assert "is-invalid" not in page.get_attribute("#camera-attachments", "class")
        page.locator("#submit-task").tap()
        page.wait_for_timeout(300)
        assert page.url.endswith(f"/tasks/{task}") and task_state(live_platform, task) == ("open", 0)

        page.set_input_files("#upload-attachments", [pdf("整改报告.pdf", 1024)])
        assert error.is_hidden()
        page.locator("#submit-task").tap()
        page.wait_for_url("**/inbox/")
        assert task_state(live_platform, task) == ("completed", 2)
    finally:
        context.close()
