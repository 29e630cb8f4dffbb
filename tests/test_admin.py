"""流程管理 pages: only admins; versions listed with running instances; upload, new, save, preview, diff."""

import json
import re
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.models import ProcessDefinition
from web import create_app
from workflows.forms import load_shipped_forms

from .helpers import CASE, start

BPMN = Path(__file__).resolve().parent.parent / "bpmn"
RECTIFICATION = (BPMN / "rectification.bpmn").read_text("utf-8")
FORMS = load_shipped_forms("rectification")  # what the test databases deploy from bpmn/
REVIEW_FORM = {"type": "object", "required": ["opinion"],
               "properties": {"opinion": {"type": "string", "title": "审核意见", "x-widget": "textarea"}}}


def with_review_task(xml: str = RECTIFICATION) -> str:
    """rectification with a 单位负责人审核 user task between 整改 and 核查, in the responsible_unit lane."""
    xml = xml.replace("<bpmn:flowNodeRef>rectify_deadline</bpmn:flowNodeRef>",
                      "<bpmn:flowNodeRef>rectify_deadline</bpmn:flowNodeRef>\n"
                      "        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>")
    flow = '<bpmn:sequenceFlow id="flow_rectify_verify" name="提交整改" sourceRef="rectify" targetRef="{}" />'
    xml = xml.replace(flow.format("verify"),
                      flow.format("review") + "\n"
                      '    <bpmn:sequenceFlow id="flow_review_verify" sourceRef="review" targetRef="verify" />\n'
                      '    <bpmn:userTask id="review" name="单位负责人审核">\n'
                      '      <bpmn:incoming>flow_rectify_verify</bpmn:incoming>\n'
                      '      <bpmn:outgoing>flow_review_verify</bpmn:outgoing>\n'
                      '    </bpmn:userTask>')
    return xml.replace('<bpmn:incoming>flow_rectify_verify</bpmn:incoming>\n      <bpmn:outgoing>flow_verify_decision',
                       '<bpmn:incoming>flow_review_verify</bpmn:incoming>\n      <bpmn:outgoing>flow_verify_decision')


def verify_renamed(xml: str = RECTIFICATION) -> str:
    """rectification whose 核查 task has a new id (check): instances waiting at verify cannot move."""
    return xml.replace('"verify"', '"check"').replace(">verify<", ">check<")


def forms_with(**extra) -> dict:
    return {**FORMS, **extra}


def definition_count(platform, key="rectification") -> int:
    with platform.db.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition).where(ProcessDefinition.key == key))


def client_for(platform, user=None, csrf=False):
    app = create_app({"PLATFORM": platform, "SECRET_KEY": "admin-tests", "TESTING": True,
                      "WTF_CSRF_ENABLED": csrf})
    client = app.test_client()
    if user:
        client.post("/login", data={"username": user, "password": "demo12345"})
    return client


PAGES = [("get", "/admin/"), ("get", "/admin/definitions/1.bpmn"), ("get", "/admin/definitions/1/edit"),
         ("get", "/admin/new?key=hotline&name=x"), ("post", "/admin/upload"), ("post", "/admin/deploy"),
         ("post", "/admin/forms/preview"), ("get", "/admin/processes/rectification/diff"),
         ("post", "/admin/definitions/1/migrate")]


@pytest.mark.parametrize("method,url", PAGES)
@pytest.mark.parametrize("user", ["office", "inspector", "unit", "leader"])
def test_only_admins_reach_the_admin_pages(sqlite_platform, method, url, user):
    client = client_for(sqlite_platform, user)
    before = definition_count(sqlite_platform)
    body = {"xml": with_review_task(), "forms": forms_with(review=REVIEW_FORM)}
    posted = {"json": body} if url in ("/admin/deploy", "/admin/forms/preview") else {"data": {"note": "x"}}
    response = getattr(client, method)(url, **(posted if method == "post" else {}))
    assert response.status_code == 403
    assert definition_count(sqlite_platform) == before


@pytest.mark.parametrize("method,url", PAGES[:3])
def test_anonymous_people_are_sent_to_the_login_page(sqlite_platform, method, url):
    response = getattr(client_for(sqlite_platform), method)(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nav_shows_the_admin_item_to_admins_only(sqlite_platform):
    assert "流程管理" in client_for(sqlite_platform, "admin").get("/inbox/").get_data(as_text=True)
    assert "流程管理" not in client_for(sqlite_platform, "office").get("/inbox/").get_data(as_text=True)


def test_index_lists_versions_with_running_instances_and_marks_the_active_one(platform):
    start(platform, "inspector", "rectification", CASE)
    client = client_for(platform, "admin")
    response = client.post("/admin/deploy", json={"xml": with_review_task(), "forms": forms_with(review=REVIEW_FORM)})
    assert response.status_code == 201 and response.json["version"] == 2
    page = client.get("/admin/").get_data(as_text=True)
    card = page[page.index('data-process="rectification"'):]
    card = card[:card.index("</table>")]
    rows = re.findall(r'<tr data-version="(\d+)".*?class="([^"]*)".*?class="running-count">(\d+)<', card, re.S)
    assert rows == [("2", "table-primary active-version", "0"), ("1", "", "1")]
    assert "当前版本" in card and "admin" in card
    assert 'data-process="policy_measure"' in page


def test_any_version_downloads_as_xml(platform):
    client = client_for(platform, "admin")
    with platform.db.reading() as session:
        first = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "rectification")).first()
    response = client.get(f"/admin/definitions/{first.id}.bpmn")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert 'filename="rectification-v1.bpmn"' in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True) == first.bpmn_xml
    assert client.get("/admin/definitions/9999.bpmn").status_code == 404


def modeler_data(response) -> dict:
    text = response.get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="modeler-data">(.*?)</script>', text, re.S)
    return json.loads(found.group(1))


def active_rectification(platform) -> ProcessDefinition:
    with platform.db.reading() as session:
        return session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "rectification")
                               .order_by(ProcessDefinition.version.desc())).first()


def test_edit_opens_a_version_with_its_forms(sqlite_platform):
    client = client_for(sqlite_platform, "admin")
    row = active_rectification(sqlite_platform)
    response = client.get(f"/admin/definitions/{row.id}/edit")
    data = modeler_data(response)
    assert data["key"] == "rectification" and data["forms"] == row.forms and data["xml"] == row.bpmn_xml
    assert "bpmn-modeler.production.min.js" in response.get_data(as_text=True)


def test_new_process_starts_from_the_blank_template_with_lanes(sqlite_platform):
    client = client_for(sqlite_platform, "admin")
    data = modeler_data(client.get("/admin/new?key=hotline_request&name=企业诉求"))
    assert 'id="hotline_request"' in data["xml"] and 'name="office"' in data["xml"]
    assert 'name="responsible_unit"' in data["xml"] and "企业诉求" in data["xml"]
    # The template itself deploys: a start, an end, two lanes the domain knows.
    response = client.post("/admin/deploy", json={"xml": data["xml"], "forms": {}})
    assert response.status_code == 201 and response.json["key"] == "hotline_request"
    for bad in ("Bad Key", "rectification", "x"):
        response = client.get(f"/admin/new?key={bad}")
        assert response.status_code == 302


def test_upload_opens_the_file_in_the_modeler_with_the_process_forms(sqlite_platform):
    client = client_for(sqlite_platform, "admin")
    response = client.post("/admin/upload", data={"file": (BytesIO(with_review_task().encode("utf-8")), "r.bpmn")},
                           content_type="multipart/form-data")
    data = modeler_data(response)
    assert "review" in data["xml"] and data["forms"] == active_rectification(sqlite_platform).forms


@pytest.mark.parametrize("content,reason", [
    (b"not xml at all", "不是有效的 XML"), (b"<html><body/></html>", "不是 BPMN"),
    (b"<x/>" + b" " * (2 * 1024 * 1024 + 10), "文件过大"), (None, "请选择")])
def test_unreadable_uploads_are_refused_with_the_reason(sqlite_platform, content, reason):
    client = client_for(sqlite_platform, "admin")
    data = {"file": (BytesIO(content), "x.bpmn")} if content is not None else {}
    response = client.post("/admin/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and reason in response.get_data(as_text=True)


def test_save_without_the_csrf_token_is_refused(sqlite_platform):
    client = client_for(sqlite_platform, "admin", csrf=True)
    response = client.post("/admin/deploy", json={"xml": with_review_task(), "forms": forms_with(review=REVIEW_FORM)})
    assert response.status_code == 400 and definition_count(sqlite_platform) == 1


def test_save_reports_problems_by_element_and_deploys_nothing(platform):
    client = client_for(platform, "admin")
    response = client.post("/admin/deploy", json={"xml": with_review_task(), "forms": FORMS})
    assert response.status_code == 422
    assert [p["element_id"] for p in response.json["problems"]] == ["review"]
    assert "缺少表单" in response.json["problems"][0]["message"]
    for bad in ("{not json", {"type": "object", "properties": {"opinion": True}}):
        response = client.post("/admin/deploy", json={"xml": with_review_task(), "forms": {**FORMS, "review": bad}})
        assert response.status_code == 422 and response.json["problems"][0]["element_id"] == "review"
    assert definition_count(platform) == 1


def test_dry_run_validates_without_deploying(sqlite_platform):
    client = client_for(sqlite_platform, "admin")
    body = {"xml": with_review_task(), "forms": forms_with(review=json.dumps(REVIEW_FORM)), "dry_run": True}
    response = client.post("/admin/deploy", json=body)
    assert response.status_code == 200 and response.json == {"ok": True}
    assert definition_count(sqlite_platform) == 1
    assert client.post("/admin/deploy", json={"forms": {}}).status_code == 400


def test_preview_renders_the_task_page_macro_and_reports_schema_errors(sqlite_platform):
    client = client_for(sqlite_platform, "admin")
    schema = {"type": "object", "required": ["unit"], "properties": {
        "unit": {"type": "string", "title": "责任单位", "x-options": "responsible_units"},
        "note": {"type": "string", "title": "说明", "x-widget": "textarea"}}}
    html = client.post("/admin/forms/preview", json={"schema": json.dumps(schema)}).get_data(as_text=True)
    assert 'data-field="unit"' in html and 'data-field="note"' in html and "<textarea" in html
    assert "区政数局" in html or "gov_data" in html  # x-options expanded from the organisation
    assert 'class="text-danger">*' in html
    for bad, message in [("{oops", "不是有效的 JSON"), ('{"type": "array"}', "type 为 object"),
                         ('{"type": "object", "properties": {"a": {"type": 5}}}', "JSON Schema 无效"),
                         ('{"type": "object", "properties": {"a": true}}', "须为对象")]:
        html = client.post("/admin/forms/preview", json={"schema": bad}).get_data(as_text=True)
        assert "preview-problems" in html and message in html


def test_diff_page_lists_added_removed_and_changed(platform):
    client = client_for(platform, "admin")
    xml = with_review_task().replace('name="核查"', 'name="核查销号"')
    assert client.post("/admin/deploy", json={"xml": xml, "forms": forms_with(review=REVIEW_FORM)}).status_code == 201
    page = client.get("/admin/processes/rectification/diff?from=1&to=2").get_data(as_text=True)
    added = page[page.index('id="diff-added-list"'):page.index('id="diff-removed-list"')]
    changed = page[page.index('id="diff-changed-list"'):]
    assert 'data-element-id="review"' in added and 'data-element-id="flow_review_verify"' in added
    assert 'data-element-id="verify"' in changed and 'data-element-id="flow_rectify_verify"' in changed
    assert 'id="diff-data"' in page
    assert client.get("/admin/processes/nothing/diff").status_code == 404
