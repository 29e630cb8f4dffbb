"""The definitions API: admins deploy and list versions; bad input gets 4xx with element ids, nothing deployed."""

import json
from io import BytesIO

import pytest

from web import create_app
from workflows.tokens import issue_token

from .test_admin import REVIEW_FORM, active_rectification, definition_count, with_review_task

SANDBOX_ESCAPES = ["__import__('os').system('id')", "().__class__.__base__.__subclasses__()",
                   "open('/etc/passwd').read()"]


class DefinitionsApi:
    def __init__(self, platform):
        self.platform = platform
        self.client = create_app({"PLATFORM": platform, "SECRET_KEY": "api-def", "TESTING": True}).test_client()
        self.tokens: dict[str, str] = {}

    def auth(self, user) -> dict:
        if user not in self.tokens:
            with self.platform.db.transaction() as session:
                self.tokens[user] = issue_token(session, user, self.platform.clock())
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def post_xml(self, user, xml, query=""):
        body = xml.encode("utf-8") if isinstance(xml, str) else xml
        return self.client.post(f"/api/definitions{query}", data=body, content_type="application/xml",
                                headers=self.auth(user))

    def post_file(self, user, xml, forms=None, field="file"):
        body = xml.encode("utf-8") if isinstance(xml, str) else xml
        data = {field: (BytesIO(body), "diagram.bpmn")}
        if forms is not None:
            data["forms"] = forms if isinstance(forms, str) else json.dumps(forms)
        return self.client.post("/api/definitions", data=data, content_type="multipart/form-data",
                                headers=self.auth(user))


@pytest.fixture
def api(platform):
    return DefinitionsApi(platform)


def refused(api, response, status, element_ids=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert definition_count(api.platform) == 1
    if element_ids is not None:
        assert {p["element_id"] for p in response.json["problems"]} == set(element_ids)


@pytest.mark.parametrize("method,url", [("get", "/api/definitions"), ("post", "/api/definitions"),
                                        ("get", "/api/definitions/rectification/versions")])
def test_without_an_admin_token_the_api_refuses(sqlite_platform, method, url):
    api = DefinitionsApi(sqlite_platform)
    assert getattr(api.client, method)(url).status_code == 401
    assert getattr(api.client, method)(url, headers={"Authorization": "Bearer ysf_wrong"}).status_code == 401
    for user in ("office", "unit", "inspector"):
        response = getattr(api.client, method)(url, headers=api.auth(user), data=with_review_task(),
                                                content_type="application/xml")
        assert response.status_code == 403 and response.json["error"] == "Forbidden"
    assert definition_count(sqlite_platform) == 1


def test_xml_body_deploys_with_the_latest_forms_plus_new_ones_by_multipart(api):
    base = active_rectification(api.platform)
    response = api.post_xml("admin", with_review_task(base.bpmn_xml))
    refused(api, response, 422, ["review"])  # the latest version's forms have none for the new task
    response = api.post_file("admin", with_review_task(base.bpmn_xml), {**base.forms, "review": REVIEW_FORM})
    assert response.status_code == 201
    assert (response.json["key"], response.json["version"]) == ("rectification", base.version + 1)
    # Without forms, the latest version's are reused (now including review).
    response = api.post_xml("admin", with_review_task(base.bpmn_xml).replace('name="核查"', 'name="核查销号"'))
    assert response.status_code == 201 and response.json["version"] == base.version + 2
    versions = api.client.get("/api/definitions/rectification/versions", headers=api.auth("admin")).json
    assert [v["version"] for v in versions] == [base.version + 2, base.version + 1, base.version]
    assert [v["active"] for v in versions] == [True, False, False]
    assert versions[0]["deployed_by"] == "admin" and versions[0]["running_instances"] == 0
    listing = api.client.get("/api/definitions", headers=api.auth("admin")).json
    assert {p["key"]: p["active_version"] for p in listing}["rectification"] == base.version + 2


def test_a_new_process_without_forms_anywhere_is_refused_for_each_user_task(api):
    xml = with_review_task().replace('id="rectification"', 'id="rectification_copy"').replace(
        'processRef="rectification"', 'processRef="rectification_copy"')
    response = api.post_xml("admin", xml)
    refused(api, response, 422)
    assert {p["element_id"] for p in response.json["problems"]} >= {"rectify", "verify", "review"}


def test_unknown_process_versions_is_404(api):
    response = api.client.get("/api/definitions/nothing/versions", headers=api.auth("admin"))
    assert response.status_code == 404


PADDED = with_review_task().encode("utf-8").replace(
    b"<bpmn:process ", b"<!--" + b"x" * (2 * 1024 * 1024) + b"--><bpmn:process ", 1)
BAD_INPUTS = {  # body, what the message says, status as XML body, status as an uploaded file
    "not xml": (b"this is not xml", "不是有效的 XML", 422, 422),
    "not bpmn": (b"<?xml version='1.0'?><html><body/></html>", "不是 BPMN", 422, 422),
    "too large": (PADDED, "文件过大", 422, 400),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_unreadable_files_are_refused_and_nothing_is_deployed(api, case):
    body, message, as_xml, as_file = BAD_INPUTS[case]
    for response, status in ((api.post_xml("admin", body), as_xml), (api.post_file("admin", body), as_file)):
        refused(api, response, status)
        assert message in response.json["message"]


def test_diagram_problems_are_reported_by_element(api):
    base = active_rectification(api.platform)
    xml = base.bpmn_xml
    forms = dict(base.forms)
    unknown_lane = xml.replace('name="responsible_unit"', 'name="contractor"')
    refused(api, api.post_file("admin", unknown_lane, forms), 422, ["rectify"])
    unsupported = xml.replace("</bpmn:process>", '<bpmn:complexGateway id="cg_1" /></bpmn:process>')
    refused(api, api.post_file("admin", unsupported, forms), 422, ["cg_1"])
    no_form = {k: v for k, v in forms.items() if k != "verify"}
    refused(api, api.post_file("admin", xml, no_form), 422, ["verify"])
    bad_timer = xml.replace(">due_at</bpmn:timeDate>", ">P5D</bpmn:timeDate>")
    refused(api, api.post_file("admin", bad_timer, forms), 422, ["rectify_deadline"])
    no_start = xml.replace("bpmn:startEvent", "bpmn:intermediateThrowEvent")
    refused(api, api.post_file("admin", no_start, forms), 422, ["rectification"])
    nameless = xml.replace('<bpmn:userTask id="verify" name="核查">', '<bpmn:userTask id="verify">')
    refused(api, api.post_file("admin", nameless, forms), 422, ["verify"])


@pytest.mark.parametrize("escape", SANDBOX_ESCAPES)
def test_scripts_that_try_to_escape_the_sandbox_are_refused(api, escape):
    base = active_rectification(api.platform)
    condition = base.bpmn_xml.replace('decision == "pass"', escape.replace("'", "&apos;"))
    refused(api, api.post_file("admin", condition, base.forms), 422, ["verify_decision"])
    script = base.bpmn_xml.replace(
        '<bpmn:sequenceFlow id="flow_pass" name="通过" sourceRef="verify_decision" targetRef="closed">',
        '<bpmn:sequenceFlow id="flow_pass" name="通过" sourceRef="verify_decision" targetRef="note">').replace(
        "</bpmn:process>",
        f'<bpmn:scriptTask id="note" name="记录"><bpmn:script>x = {escape.replace("<", "&lt;")}</bpmn:script>'
        '</bpmn:scriptTask><bpmn:sequenceFlow id="flow_note" sourceRef="note" targetRef="closed" />'
        "</bpmn:process>")
    refused(api, api.post_file("admin", script, base.forms), 422, ["note"])


def test_bad_requests_are_400(api):
    base = active_rectification(api.platform)
    refused(api, api.post_file("admin", base.bpmn_xml, "{not json"), 400)
    refused(api, api.post_file("admin", base.bpmn_xml, "[1, 2]"), 400)
    refused(api, api.post_file("admin", base.bpmn_xml, field="other"), 400)
    response = api.client.post("/api/definitions", json={"xml": base.bpmn_xml}, headers=api.auth("admin"))
    refused(api, response, 415)  # a diagram comes as XML or as an uploaded file, not in JSON
    refused(api, api.post_xml("admin", b"   "), 400)


def test_deploy_with_migrate_moves_running_instances(api):
    from .helpers import CASE, start

    base = active_rectification(api.platform)
    case = start(api.platform, "inspector", "rectification", CASE)
    response = api.post_file("admin", with_review_task(base.bpmn_xml), {**base.forms, "review": REVIEW_FORM})
    assert response.json["migration"] is None
    response = api.post_xml("admin", with_review_task(base.bpmn_xml).replace('name="核查"', 'name="核查2"'),
                            query="?migrate=1")
    assert response.status_code == 201 and response.json["migration"]["moved"] == [case.instance_id]


def _service_task(xml: str) -> str:
    """The shipped flow with 整改 drawn as a plain service task, which nothing can carry out yet."""
    xml = xml.replace('<bpmn:userTask id="rectify" name="整改">', '<bpmn:serviceTask id="rectify" name="整改">')
    return xml.replace("</bpmn:userTask>\n    <bpmn:boundaryEvent id=\"rectify_remind\"",
                       "</bpmn:serviceTask>\n    <bpmn:boundaryEvent id=\"rectify_remind\"")


def test_a_service_task_is_refused_alike_by_the_check_and_the_deploy_naming_it(api):
    from .test_admin import client_for

    base = active_rectification(api.platform)
    xml = _service_task(base.bpmn_xml)
    assert "<bpmn:serviceTask" in xml and "</bpmn:serviceTask>" in xml
    expected = [{"element_id": "rectify", "message": "服务任务 rectify（整改）尚未配置连接器，无法部署"}]
    checked = client_for(api.platform, "admin").post("/admin/deploy", json={"xml": xml, "forms": base.forms,
                                                                            "dry_run": True})
    assert checked.status_code == 422 and checked.json["problems"] == expected
    for response in (api.post_file("admin", xml, base.forms), api.post_xml("admin", xml)):
        refused(api, response, 422)
        assert response.json["problems"] == expected


SPIFF_TEXTS = {  # what SpiffWorkflow said, in English or with a Python object, and what is said now
    "flow without condition": (
        lambda xml: xml.replace(' default="flow_fail"', ""),
        {"element_id": "flow_fail",
         "message": "顺序流 flow_fail（不通过）既不是所在网关的默认流，也没有条件；"
                    "请为它设置条件，或把它设为网关的默认流"}),
    "data association to a data object": (
        lambda xml: xml.replace('<bpmn:userTask id="verify" name="核查">',
                                '<bpmn:dataObject id="evidence" name="证据" />'
                                '<bpmn:userTask id="verify" name="核查"><bpmn:dataInputAssociation id="a1">'
                                "<bpmn:sourceRef>evidence</bpmn:sourceRef></bpmn:dataInputAssociation>"),
        {"element_id": "verify",
         "message": "用户任务 verify（核查）的数据输入关联连接的 数据对象 evidence（证据） 无法使用：只能连接本流程中的"
                    "数据对象引用（dataObjectReference）"}),
    "message without a definition": (
        lambda xml: xml.replace('<bpmn:startEvent id="start" name="发现问题">',
                                '<bpmn:startEvent id="start" name="发现问题">'
                                '<bpmn:messageEventDefinition id="m1" messageRef="report" />'),
        {"element_id": "start", "message": "开始事件 start（发现问题）引用的消息 report 在文件中不存在"}),
}


@pytest.mark.parametrize("case", list(SPIFF_TEXTS))
def test_what_spiffworkflow_refuses_is_said_in_chinese_naming_the_element(api, case):
    change, expected = SPIFF_TEXTS[case]
    base = active_rectification(api.platform)
    xml = change(base.bpmn_xml)
    assert xml != base.bpmn_xml
    response = api.post_file("admin", xml, base.forms)
    refused(api, response, 422)
    assert response.json["problems"] == [expected]


ONE_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="elsewhere" isExecutable="true"><bpmn:startEvent id="start" /></bpmn:process>
</bpmn:definitions>"""


def test_the_process_id_of_an_upload_never_names_a_folder_on_the_server(api, tmp_path):
    """Forms for a diagram sent without them come from the latest version or the shipped ones, looked up
    by the file's process id: a path there must not reach a folder elsewhere (here, one with a broken file)."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "start.json").write_text("{broken", "utf-8")
    for key in (str(folder), f"../../../../../../..{folder}"):
        xml = ONE_PROCESS.replace('id="elsewhere"', f'id="{key}"')
        response = api.post_xml("admin", xml)
        refused(api, response, 422)
        assert any("id 无效" in p["message"] for p in response.json["problems"]), response.json
