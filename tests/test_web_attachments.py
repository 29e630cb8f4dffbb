"""Evidence files on 整改: uploaded with the form, kept in the database, served only to the case's people."""

import hashlib
import re
from io import BytesIO

import pytest
from sqlalchemy import func, select

from engine.models import HumanTask, ProcessInstance
from workflows.models import Attachment

from .helpers import CASE, RECTIFIED, complete, snapshot, start, task_of
from .test_web_tasks import logged_in, make_app, page_text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def files(*items: tuple[str, bytes]) -> dict:
    return {"upload_attachments": [(BytesIO(content), name) for name, content in items]}


def stored(platform) -> int:
    with platform.db.reading() as session:
        return session.scalar(select(func.count()).select_from(Attachment))


def rectify_task(platform) -> tuple[int, int]:
    out = start(platform, "inspector", "rectification", CASE)
    return task_of(out, "rectify"), out.instance_id


def test_unit_uploads_evidence_and_the_inspector_downloads_it(platform):
    task, instance = rectify_task(platform)
    app = make_app(platform)
    unit = logged_in(app, "unit")
    form = unit.get(f"/tasks/{task}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'name="upload_attachments"' in form
    response = unit.post(f"/tasks/{task}", data={**RECTIFIED, **files(("窗口照片.png", PNG), ("报告.pdf", PDF))},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    with platform.db.reading() as session:
        rows = session.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [(a.filename, a.content_type, a.size, a.instance_id, a.uploaded_by) for a in rows] == [
            ("窗口照片.png", "image/png", len(PNG), instance, "unit"),
            ("报告.pdf", "application/pdf", len(PDF), instance, "unit")]
        assert rows[0].sha256 == hashlib.sha256(PNG).hexdigest() and rows[0].task_id == task
        ids = [a.id for a in rows]
    inspector = logged_in(app, "inspector")
    page = inspector.get(f"/instances/{instance}").get_data(as_text=True)
    assert f'href="/attachments/{ids[0]}"' in page and "窗口照片.png" in page
    download = inspector.get(f"/attachments/{ids[0]}")
    assert download.status_code == 200 and download.data == PNG
    assert download.mimetype == "image/png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert unit.get(f"/attachments/{ids[1]}").data == PDF


@pytest.mark.parametrize("name,content,message", [
    ("恶意程序.exe", b"MZ\x90\x00", "类型不允许"),
    ("无扩展名", PDF, "类型不允许"),
    ("伪装.png", b"<html><script>alert(1)</script></html>", "内容与扩展名 .png 不符"),
    ("伪装.pdf", PNG, "内容与扩展名 .pdf 不符"),
    ("二进制.txt", b"\x00\x01\x02binary", "内容与扩展名 .txt 不符"),
    ("空.pdf", b"", "空文件"),
])
def test_disallowed_file_is_refused_beside_the_field_and_nothing_is_stored(sqlite_platform, name, content, message):
    task, _instance = rectify_task(sqlite_platform)
    unit = logged_in(make_app(sqlite_platform), "unit")
    before = snapshot(sqlite_platform)
    response = unit.post(f"/tasks/{task}", data={**RECTIFIED, **files(("好的.png", PNG), (name, content))},
                         content_type="multipart/form-data")
    assert response.status_code == 422
    assert re.search(r'id="err-attachments">[^<]*' + re.escape(message), response.get_data(as_text=True))
    assert stored(sqlite_platform) == 0 and snapshot(sqlite_platform) == before


def test_oversize_file_is_refused_with_the_limit_named(platform):
    task, _instance = rectify_task(platform)
    unit = logged_in(make_app(platform), "unit")
    before = snapshot(platform)
    too_big = PDF + b"0" * (10 * 1024 * 1024)
    response = unit.post(f"/tasks/{task}", data={**RECTIFIED, **files(("扫描件.pdf", too_big))},
                         content_type="multipart/form-data")
    assert response.status_code == 422
    assert "扫描件.pdf”超过 10 MB 上限" in page_text(response)
    assert stored(platform) == 0 and snapshot(platform) == before


def typed(html: str) -> dict[str, str]:
    """What the re-rendered task form's textareas hold."""
    form = html[html.index('id="task-form"'):]
    return dict(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form))


def as_browser_sends(*parts: tuple[str, str | tuple[str, bytes]]) -> dict:
    """A multipart body with its parts in the given order, as a browser sends a form: in page order.
    (The test client would put every file after every text field.)"""
    boundary = "----ysflow-test-boundary"
    chunks = []
    for name, value in parts:
        if isinstance(value, tuple):
            filename, content = value
            head = f'name="{name}"; filename="{filename}"\r\nContent-Type: application/octet-stream'
        else:
            head, content = f'name="{name}"', value.encode("utf-8")
        chunks += [f"--{boundary}\r\nContent-Disposition: form-data; {head}\r\n\r\n".encode(), content, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return {"data": b"".join(chunks), "content_type": f"multipart/form-data; boundary={boundary}"}


def test_a_20_mb_file_comes_back_beside_its_field_with_everything_typed(platform):
    task, _instance = rectify_task(platform)
    unit = logged_in(make_app(platform), "unit")
    before = snapshot(platform)
    # The file sits between the texts, as on the page: the field after it must survive too.
    response = unit.post(f"/tasks/{task}", **as_browser_sends(
        ("measures", RECTIFIED["measures"]), ("evidence", RECTIFIED["evidence"]),
        ("upload_attachments", ("扫描件.pdf", PDF + bytes(20 * 1024 * 1024))), ("report", RECTIFIED["report"])))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="err-attachments">[^<]*扫描件.pdf”超过 10 MB 上限', html)
    assert typed(html) == {k: RECTIFIED[k] for k in ("measures", "evidence", "report")}
    assert stored(platform) == 0 and snapshot(platform) == before


def test_a_body_past_the_read_limit_keeps_what_arrived_and_names_the_file(sqlite_platform):
    task, _instance = rectify_task(sqlite_platform)
    # Read at most 8 KB + 4 KB; the file alone is 64 KB, so the report after it never arrives.
    app = make_app(sqlite_platform, MAX_CONTENT_LENGTH=4096, UPLOAD_MAX_BYTES=2048, UPLOAD_MAX_TOTAL_BYTES=8192)
    unit = logged_in(app, "unit")
    response = unit.post(f"/tasks/{task}", **as_browser_sends(
        ("measures", RECTIFIED["measures"]), ("evidence", RECTIFIED["evidence"]),
        ("upload_attachments", ("巨大.pdf", PDF + bytes(64 * 1024))), ("report", RECTIFIED["report"])))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert re.search(r'id="err-attachments">[^<]*巨大.pdf”过大', html)
    assert 'id="form-error"' in html and "只读取了前面的部分" in html
    assert typed(html) == {"measures": RECTIFIED["measures"], "evidence": RECTIFIED["evidence"], "report": ""}
    assert stored(sqlite_platform) == 0


def test_files_over_the_total_limit_are_refused_beside_their_field(sqlite_platform):
    task, _instance = rectify_task(sqlite_platform)
    app = make_app(sqlite_platform, UPLOAD_MAX_BYTES=2048, UPLOAD_MAX_TOTAL_BYTES=3000)
    unit = logged_in(app, "unit")
    response = unit.post(f"/tasks/{task}", data={**RECTIFIED, **files(("一.pdf", PDF + bytes(1800)),
                                                                      ("二.pdf", PDF + bytes(1800)))},
                         content_type="multipart/form-data")
    assert response.status_code == 422
    assert re.search(r'id="err-attachments">附件合计超过', response.get_data(as_text=True))
    assert stored(sqlite_platform) == 0


def test_a_text_longer_than_a_field_may_be_comes_back_cut_and_named(sqlite_platform):
    task, _instance = rectify_task(sqlite_platform)
    unit = logged_in(make_app(sqlite_platform, MAX_FORM_MEMORY_SIZE=1024), "unit")
    before = snapshot(sqlite_platform)
    response = unit.post(f"/tasks/{task}", data={**RECTIFIED, "report": "整改" * 1000, **files(("a.png", PNG))},
                         content_type="multipart/form-data")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert re.search(r'id="err-report">内容过长', html)
    assert typed(html)["report"] == "整改" * 170 + "整"  # 1024 bytes hold 341 whole characters
    assert typed(html)["measures"] == RECTIFIED["measures"]
    assert stored(sqlite_platform) == 0 and snapshot(sqlite_platform) == before


def test_the_page_tells_the_browser_the_limits(sqlite_platform):
    task, _instance = rectify_task(sqlite_platform)
    html = logged_in(make_app(sqlite_platform), "unit").get(f"/tasks/{task}").get_data(as_text=True)
    assert f'data-max-bytes="{10 * 1024 * 1024}"' in html and f'data-max-total="{50 * 1024 * 1024}"' in html
    assert "js/upload_check.js" in html


def test_a_good_file_is_not_kept_when_the_rest_of_the_form_fails(sqlite_platform):
    task, _instance = rectify_task(sqlite_platform)
    unit = logged_in(make_app(sqlite_platform), "unit")
    response = unit.post(f"/tasks/{task}", data={"measures": "好", **files(("照片.png", PNG))},
                         content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="err-measures"' in html and 'id="err-report">必填' in html
    assert stored(sqlite_platform) == 0


def test_bad_file_and_bad_fields_are_reported_together(sqlite_platform):
    task, _instance = rectify_task(sqlite_platform)
    unit = logged_in(make_app(sqlite_platform), "unit")
    response = unit.post(f"/tasks/{task}", data={"measures": "已整改完毕", **files(("x.exe", b"MZ"))},
                         content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="err-attachments"' in html and 'id="err-evidence">必填' in html


def test_another_cases_file_cannot_be_attached_by_id(sqlite_platform):
    task, _instance = rectify_task(sqlite_platform)
    app = make_app(sqlite_platform)
    unit = logged_in(app, "unit")
    assert unit.post(f"/tasks/{task}", data={**RECTIFIED, **files(("a.png", PNG))},
                     content_type="multipart/form-data").status_code == 302
    other, _ = rectify_task(sqlite_platform)
    before = snapshot(sqlite_platform)
    response = unit.post(f"/tasks/{other}", data={**RECTIFIED, "attachments": "1"})
    assert response.status_code == 422 and "附件不属于本案件" in page_text(response)
    assert snapshot(sqlite_platform) == before


def test_files_and_texts_carry_over_to_the_next_round(sqlite_platform):
    task, instance = rectify_task(sqlite_platform)
    app = make_app(sqlite_platform)
    unit = logged_in(app, "unit")
    unit.post(f"/tasks/{task}", data={**RECTIFIED, **files(("第一轮.png", PNG))}, content_type="multipart/form-data")
    with sqlite_platform.db.reading() as session:
        first = session.scalars(select(Attachment.id)).one()
    out = complete(sqlite_platform, "inspector", _open_task(sqlite_platform, "verify"),
                   {"decision": "fail", "opinion": "照片不清晰", "deadline_days": 3})
    again = task_of(out, "rectify")
    page = unit.get(f"/tasks/{again}").get_data(as_text=True)
    assert f'name="attachments" value="{first}"' in page and "照片不清晰" in page
    assert f">{RECTIFIED['measures']}</textarea>" in page
    response = unit.post(f"/tasks/{again}", data={**RECTIFIED, "attachments": str(first),
                                                  **files(("第二轮.pdf", PDF))}, content_type="multipart/form-data")
    assert response.status_code == 302
    with sqlite_platform.db.reading() as session:
        assert session.get(ProcessInstance, instance).data["attachments"] == [first, first + 1]


@pytest.mark.parametrize("username,status", [("unit", 200), ("unit_head", 200), ("inspector", 200),
                                             ("office", 200), ("discipline", 200), ("unit2", 403),
                                             ("drafter", 403), ("leader", 403)])
def test_download_is_only_for_the_cases_people(sqlite_platform, username, status):
    task, _instance = rectify_task(sqlite_platform)
    app = make_app(sqlite_platform)
    logged_in(app, "unit").post(f"/tasks/{task}", data={**RECTIFIED, **files(("a.png", PNG))},
                                content_type="multipart/form-data")
    response = logged_in(app, username).get("/attachments/1")
    assert response.status_code == status
    if status != 200:
        assert PNG not in response.data and "a.png" not in response.get_data(as_text=True)
        assert "Content-Disposition" not in response.headers


def test_unknown_file_is_404_and_strangers_go_to_login(sqlite_platform):
    app = make_app(sqlite_platform)
    assert logged_in(app, "inspector").get("/attachments/999999").status_code == 404
    response = app.test_client().get("/attachments/1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _open_task(platform, element_id: str) -> int:
    with platform.db.reading() as session:
        return session.scalars(select(HumanTask.id).where(HumanTask.element_id == element_id,
                                                          HumanTask.status == "open")).one()


def test_a_body_refused_before_the_view_still_comes_back_as_the_task_form(sqlite_platform):
    task, _instance = rectify_task(sqlite_platform)
    unit = logged_in(make_app(sqlite_platform, MAX_CONTENT_LENGTH=4096), "unit")
    response = unit.post(f"/tasks/{task}", data={**RECTIFIED, "report": "整改" * 2000})  # urlencoded, 36 KB
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert 'id="task-form"' in html and re.search(r'id="form-error">请求内容过大', html)
    assert stored(sqlite_platform) == 0
