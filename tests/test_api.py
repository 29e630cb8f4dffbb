"""The JSON API on SQLite and PostgreSQL: every endpoint, every refusal, and refusals change nothing."""

import json
import re

import pytest

from web import create_app
from workflows.tokens import issue_token

from .helpers import CASE, MEASURE, RECTIFIED, complete, snapshot, start, task_of


class Api:
    """A test client that speaks for one person at a time with their bearer token."""

    def __init__(self, platform):
        self.platform = platform
        self.client = create_app({"PLATFORM": platform, "SECRET_KEY": "api-tests", "TESTING": True}).test_client()
        self.tokens: dict[str, str] = {}

    def headers(self, user, extra=None) -> dict:
        if user not in self.tokens:
            with self.platform.db.transaction() as session:
                self.tokens[user] = issue_token(session, user, self.platform.clock())
        return {"Authorization": f"Bearer {self.tokens[user]}", **(extra or {})}

    def get(self, user, url, **kwargs):
        return self.client.get(url, headers=self.headers(user), **kwargs)

    def post(self, user, url, body=None, headers=None, data=None):
        if data is not None:
            return self.client.post(url, data=data, headers=self.headers(user, headers),
                                    content_type="application/json")
        return self.client.post(url, json=body, headers=self.headers(user, headers))


@pytest.fixture
def api(platform):
    return Api(platform)


def open_case(platform, **changes):
    return start(platform, "inspector", "rectification", {**CASE, **changes})


def file_measure(platform, doc_number="营商办〔2026〕3号", **changes):
    out = start(platform, "drafter", "policy_measure", {**MEASURE, **changes})
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve", "opinion": "同意报批"})
    return complete(platform, "office", task_of(out, "office_file"),
                    {"doc_number": doc_number, "filed_on": "2026-11-20"})


ROUTES = [("get", "/api/tasks"), ("get", "/api/tasks/1"), ("post", "/api/tasks/1/complete"),
          ("post", "/api/processes/rectification/instances"), ("get", "/api/instances/1"),
          ("get", "/api/ledger"), ("get", "/api/library")]


@pytest.mark.parametrize("method,url", ROUTES)
@pytest.mark.parametrize("auth", [None, "Bearer ysf_not-a-token", "Basic dW5pdDpkZW1vMTIzNDU="])
def test_without_a_valid_token_every_endpoint_answers_401(sqlite_platform, method, url, auth):
    client = create_app({"PLATFORM": sqlite_platform, "SECRET_KEY": "t", "TESTING": True}).test_client()
    before = snapshot(sqlite_platform)
    headers = {"Authorization": auth} if auth else {}
    response = getattr(client, method)(url, headers=headers, json={} if method == "post" else None)
    assert response.status_code == 401
    assert response.json["error"] == "Unauthorized" and response.json["message"]
    assert snapshot(sqlite_platform) == before


def test_a_session_cookie_is_not_a_token(sqlite_platform):
    client = create_app({"PLATFORM": sqlite_platform, "SECRET_KEY": "t", "TESTING": True,
                         "WTF_CSRF_ENABLED": False}).test_client()
    client.post("/login", data={"username": "unit", "password": "demo12345"})
    assert client.get("/inbox/").status_code == 200
    assert client.get("/api/tasks").status_code == 401


def test_open_tasks_are_mine_and_paginated(api, platform):
    ids = [open_case(platform, description=f"窗口问题第{n}号").new_tasks[0].id for n in range(3)]
    first = api.get("unit", "/api/tasks?per_page=2")
    assert first.status_code == 200
    assert (first.json["total"], first.json["page"], first.json["per_page"]) == (3, 1, 2)
    assert [t["id"] for t in first.json["tasks"]] == ids[:2]
    second = api.get("unit", "/api/tasks?per_page=2&page=2").json
    assert [t["id"] for t in second["tasks"]] == ids[2:]
    assert second["tasks"][0]["element_id"] == "rectify" and second["tasks"][0]["candidate_unit"] == "gov_data"
    assert api.get("unit", "/api/tasks?process=policy_measure").json["total"] == 0
    assert api.get("unit2", "/api/tasks").json == {"tasks": [], "total": 0, "page": 1, "per_page": 20}
    assert api.get("unit", "/api/tasks?per_page=100000").json["per_page"] == 100


def test_task_shows_form_instance_version_and_data(api, platform):
    out = open_case(platform)
    task_id = out.new_tasks[0].id
    response = api.get("unit", f"/api/tasks/{task_id}")
    assert response.status_code == 200
    body = response.json
    assert body["task"]["id"] == task_id and body["task"]["status"] == "open"
    assert set(body["form"]["properties"]) == {"measures", "evidence", "attachments", "report"}
    assert (body["instance_id"], body["version"]) == (out.instance_id, out.version)
    assert body["data"]["case_no"].startswith("督-") and body["data"]["responsible_unit"] == "gov_data"
    assert response.headers["ETag"] == f'"{out.version}"'
    start_task = api.get("leader", f"/api/tasks/{file_task(platform)}").json
    # The form comes expanded: x-options are turned into concrete choices.
    assert start_task["form"]["properties"]["decision"]["oneOf"][0]["const"] == "approve"


def file_task(platform) -> int:
    return task_of(start(platform, "drafter", "policy_measure", MEASURE), "leader_approve")


def test_complete_rectify_then_verify_closes_the_case(api, platform):
    out = open_case(platform)
    response = api.post("unit", f"/api/tasks/{out.new_tasks[0].id}/complete", RECTIFIED)
    assert response.status_code == 200
    body = response.json
    assert (body["instance_id"], body["status"], body["end_event"]) == (out.instance_id, "running", None)
    assert body["version"] > out.version
    [verify] = body["tasks"]
    assert (verify["element_id"], verify["candidate_user"]) == ("verify", "inspector")
    done = api.post("inspector", f"/api/tasks/{verify['id']}/complete",
                    {"decision": "pass", "opinion": "整改到位", "expected_version": body["version"]})
    assert done.status_code == 200
    assert (done.json["status"], done.json["end_event"], done.json["tasks"]) == ("completed", "closed", [])
    events = api.get("inspector", f"/api/instances/{out.instance_id}").json["events"]
    assert events[-2]["opinion"] == "整改到位" and events[-2]["actor_name"] == "赵强"


def test_if_match_header_carries_the_expected_version(api, platform):
    out = open_case(platform)
    url = f"/api/tasks/{out.new_tasks[0].id}/complete"
    before = snapshot(platform)
    stale = api.post("unit", url, RECTIFIED, headers={"If-Match": f'"{out.version - 1}"'})
    assert stale.status_code == 409 and stale.json["error"] == "StaleVersion"
    assert snapshot(platform) == before
    assert api.post("unit", url, RECTIFIED, headers={"If-Match": f'W/"{out.version}"'}).status_code == 200


def refusals(platform):
    """(who, url, how to post, status, error) for each way a completion is refused."""
    task = open_case(platform).new_tasks[0]
    url = f"/api/tasks/{task.id}/complete"
    return {
        "malformed JSON": ("unit", url, {"data": "{not json"}, 400, "BadRequest"),
        "JSON that is not an object": ("unit", url, {"data": "[1, 2]"}, 400, "BadRequest"),
        "expected_version not a number": ("unit", url, {"body": {**RECTIFIED, "expected_version": "x"}}, 400,
                                          "BadRequest"),
        "If-Match not a number": ("unit", url, {"body": RECTIFIED, "headers": {"If-Match": '"abc"'}}, 400,
                                  "BadRequest"),
        "form invalid": ("unit", url, {"body": {"measures": "短", "extra": 1}}, 422, "FormInvalid"),
        "another unit's task": ("unit2", url, {"body": RECTIFIED}, 403, "PermissionDenied"),
        "unknown task": ("unit", "/api/tasks/999999/complete", {"body": RECTIFIED}, 404, "TaskNotFound"),
        "stale version": ("unit", url, {"body": {**RECTIFIED, "expected_version": 999}}, 409,
                          "StaleVersion"),
    }


@pytest.mark.parametrize("case", ["malformed JSON", "JSON that is not an object", "expected_version not a number",
                                  "If-Match not a number", "form invalid", "another unit's task", "unknown task",
                                  "stale version"])
def test_refused_completion_is_json_and_changes_nothing(api, platform, case):
    user, url, how, status, error = refusals(platform)[case]
    before = snapshot(platform)
    response = api.post(user, url, how.get("body"), headers=how.get("headers"), data=how.get("data"))
    assert response.status_code == status, response.json
    assert response.is_json and response.json["error"] == error and response.json["message"]
    if status == 422:
        assert response.json["errors"] == {"_form": "包含表单未定义的字段", "evidence": "必填",
                                           "measures": "至少 5 个字", "report": "必填"}
    assert snapshot(platform) == before


def test_task_done_by_someone_else_is_409_naming_them(api, platform):
    out = open_case(platform)
    task_id = out.new_tasks[0].id
    assert api.post("unit", f"/api/tasks/{task_id}/complete", RECTIFIED).status_code == 200
    before = snapshot(platform)
    response = api.post("unit_head", f"/api/tasks/{task_id}/complete", RECTIFIED)
    assert response.status_code == 409 and response.json["error"] == "TaskAlreadyDone"
    assert re.fullmatch(r"该任务已由 (陈静|unit) 于 \d{4}-\d\d-\d\d \d\d:\d\d 办理", response.json["message"])
    assert snapshot(platform) == before


def test_task_views_refuse_strangers_and_unknown_ids(api, platform):
    task_id = open_case(platform).new_tasks[0].id
    assert api.get("unit2", f"/api/tasks/{task_id}").status_code == 403
    assert api.get("unit", "/api/tasks/999999").json["error"] == "TaskNotFound"
    assert api.get("unit", "/api/tasks/999999").status_code == 404


def test_start_process_returns_201_with_the_first_tasks(api, platform):
    response = api.post("inspector", "/api/processes/rectification/instances", CASE)
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(f"/api/instances/{body['instance_id']}")
    assert (body["status"], body["version"]) == ("running", 1)
    assert [(t["element_id"], t["candidate_unit"]) for t in body["tasks"]] == [("rectify", "gov_data")]
    assert api.get("unit", "/api/tasks").json["total"] == 1


@pytest.mark.parametrize("user,key,body,status,error", [
    ("unit", "rectification", CASE, 403, "PermissionDenied"),
    ("drafter", "policy_measure", {**MEASURE, "group_code": "taxation"}, 403, "PermissionDenied"),
    ("inspector", "no_such_process", CASE, 404, "DefinitionNotFound"),
    ("inspector", "rectification", {**CASE, "deadline_days": 0, "source": "rumour"}, 422, "FormInvalid"),
    ("inspector", "rectification", "[]", 400, "BadRequest"),
])
def test_refused_start_changes_nothing(api, platform, user, key, body, status, error):
    before = snapshot(platform)
    url = f"/api/processes/{key}/instances"
    response = api.post(user, url, data=body) if isinstance(body, str) else api.post(user, url, body)
    assert (response.status_code, response.json["error"]) == (status, error)
    if status == 422:
        assert set(response.json["errors"]) == {"deadline_days", "source"}
    assert snapshot(platform) == before


def test_instance_shows_data_tasks_and_events_to_those_who_may_see_it(api, platform):
    out = open_case(platform)
    body = api.get("unit", f"/api/instances/{out.instance_id}").json
    assert body["instance"]["id"] == out.instance_id and body["instance"]["version"] == out.version
    assert body["instance"]["data"]["responsible_unit"] == "gov_data"
    assert [t["element_id"] for t in body["tasks"]] == ["rectify"]
    assert (body["events"][0]["kind"], body["events"][0]["actor_name"]) == ("instance_started", "赵强")
    for user in ("inspector", "office", "admin"):
        assert api.get(user, f"/api/instances/{out.instance_id}").status_code == 200
    for user in ("unit2", "leader", "drafter"):
        assert api.get(user, f"/api/instances/{out.instance_id}").status_code == 403
    missing = api.get("inspector", "/api/instances/999999")
    assert (missing.status_code, missing.json["error"]) == (404, "InstanceNotFound")


def test_ledger_mirrors_the_page_with_filters_and_statistics(api, platform):
    first = open_case(platform)
    open_case(platform, responsible_unit="tax", source="hotline", indicator="taxation")
    out = complete(platform, "unit", task_of(first, "rectify"), RECTIFIED)
    complete(platform, "inspector", task_of(out, "verify"), {"decision": "pass"})
    everything = api.get("inspector", "/api/ledger").json
    assert everything["total"] == 2
    assert everything["stats"] == {"total": 2, "closed": 1, "overdue": 0, "closed_rate": 0.5}
    assert [c["responsible_unit"] for c in api.get("unit2", "/api/ledger").json["cases"]] == ["tax"]
    assert [c["status"] for c in api.get("unit", "/api/ledger").json["cases"]] == ["closed"]
    hotline = api.get("office", "/api/ledger?source=hotline").json
    assert [c["source"] for c in hotline["cases"]] == ["hotline"] and hotline["stats"]["closed_rate"] == 0
    assert api.get("office", "/api/ledger?unit=gov_data&status=closed").json["total"] == 1
    assert api.get("office", "/api/ledger?per_page=1&page=2").json["cases"][0]["id"] == everything["cases"][1]["id"]
    assert api.get("leader", "/api/ledger").json["total"] == 0


def test_library_search_mirrors_the_page(api, platform):
    file_measure(platform)
    file_measure(platform, title="推行纳税缴费一网通办", content="税费业务全程网上办理。", group_code="start_business",
                 doc_number="营商办〔2026〕9号")
    found = api.get("unit2", "/api/library?q=一日办结").json
    assert [m["title"] for m in found["measures"]] == [MEASURE["title"]] and found["has_next"] is False
    assert [m["doc_number"] for m in api.get("unit", "/api/library?doc_number=9号").json["measures"]] == [
        "营商办〔2026〕9号"]
    assert len(api.get("unit", "/api/library?group=start_business").json["measures"]) == 2
    page = api.get("unit", "/api/library?per_page=1").json
    assert len(page["measures"]) == 1 and page["has_next"] is True
    assert api.get("unit", "/api/library?group=taxation").json["measures"] == []


# --- bad input: a clean 4xx in Chinese, and nothing changes ---------------------------------------------


def _refused(response, status: int, error: str, platform, before) -> dict:
    assert (response.status_code, response.json["error"]) == (status, error), response.json
    assert re.search(r"[\u4e00-\u9fff]", response.json["message"])
    assert snapshot(platform) == before
    return response.json


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded",
                                          "application/xml", "multipart/form-data; boundary=x"])
def test_a_json_body_sent_as_another_type_is_415(api, platform, content_type):
    task = open_case(platform).new_tasks[0]
    before = snapshot(platform)
    for user, url, body in (("unit", f"/api/tasks/{task.id}/complete", RECTIFIED),
                            ("inspector", "/api/processes/rectification/instances", CASE)):
        response = api.client.post(url, data=json.dumps(body), content_type=content_type, headers=api.headers(user))
        assert "application/json" in _refused(response, 415, "UnsupportedMediaType", platform, before)["message"]


@pytest.mark.parametrize("header", ['"1.9"', "1.9", '"１"', "１", "W/\"x\"", '"1", "2"', "true", "-1", "1e0",
                                    '"2147483648"', "0x1", '""'])
def test_if_match_takes_nothing_but_a_whole_version(api, platform, header):
    task = open_case(platform).new_tasks[0]
    before = snapshot(platform)
    response = api.post("unit", f"/api/tasks/{task.id}/complete", RECTIFIED, headers={"If-Match": header})
    assert "If-Match" in _refused(response, 400, "BadRequest", platform, before)["message"]


@pytest.mark.parametrize("value", [1.9, 1.0, "１", "1.9", " 1", True, -1, 2**31, [1], {"v": 1}, "1_0"])
def test_expected_version_in_the_body_takes_nothing_but_a_whole_version(api, platform, value):
    task = open_case(platform).new_tasks[0]
    before = snapshot(platform)
    response = api.post("unit", f"/api/tasks/{task.id}/complete", {**RECTIFIED, "expected_version": value})
    assert "expected_version" in _refused(response, 400, "BadRequest", platform, before)["message"]


@pytest.mark.parametrize("form", ['"{v}"', 'W/"{v}"', "{v}", " {v} ", "*"])
def test_if_match_accepts_each_way_of_naming_the_version(api, platform, form):
    out = open_case(platform)
    response = api.post("unit", f"/api/tasks/{out.new_tasks[0].id}/complete", RECTIFIED,
                        headers={"If-Match": form.format(v=out.version)})
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/api/tasks?page=99999999999999999999", "/api/tasks?page=2147483648",
                                 "/api/ledger?page=0", "/api/library?page=-1", "/api/tasks?per_page=%EF%BC%91",
                                 "/api/tasks?page=1.5", "/api/ledger?per_page=", "/api/library?page=1e3"])
def test_page_numbers_beyond_range_are_400(api, platform, url):
    before = snapshot(platform)
    response = api.get("inspector", url)
    assert "page" in _refused(response, 400, "BadRequest", platform, before)["message"]


def test_the_last_page_there_can_be_is_empty(api, platform):
    open_case(platform)
    assert api.get("unit", "/api/tasks?page=2147483647&per_page=100").json["tasks"] == []
    assert api.get("inspector", "/api/ledger?page=2147483647").json["cases"] == []
    assert api.get("unit", "/api/library?page=2147483647").json["measures"] == []


@pytest.mark.parametrize("url", ["/api/tasks/2147483648", "/api/instances/2147483648", "/api/tasks/0",
                                 "/api/tasks/99999999999999999999", "/api/tasks/%EF%BC%91", "/api/instances/-1"])
def test_ids_the_database_cannot_hold_are_404(api, platform, url):
    open_case(platform)
    before = snapshot(platform)
    _refused(api.get("inspector", url), 404, "NotFound", platform, before)


@pytest.mark.parametrize("ids", [[2147483648], [99999999999], [0], [-1]])
def test_attachment_ids_beyond_the_database_range_are_refused_by_field(api, platform, ids):
    task = open_case(platform).new_tasks[0]
    before = snapshot(platform)
    response = api.post("unit", f"/api/tasks/{task.id}/complete", {**RECTIFIED, "attachments": ids})
    assert "attachments" in _refused(response, 422, "FormInvalid", platform, before)["errors"]


@pytest.mark.parametrize("value,where", [("整改\x00完成", "U+0000"), ("\ud800整改完成", "U+D800"),
                                         ("整改\x1b[31m完成", "U+001B")])
def test_nul_control_characters_and_lone_surrogates_are_refused_naming_the_field(api, platform, value, where):
    task = open_case(platform).new_tasks[0]
    before = snapshot(platform)
    body = json.dumps({**RECTIFIED, "report": value})  # json.dumps writes the surrogate as \ud800
    response = api.post("unit", f"/api/tasks/{task.id}/complete", data=body)
    message = _refused(response, 400, "BadRequest", platform, before)["message"]
    assert message == f"字段 report 含有不允许的字符（{where}）"
    response = api.post("inspector", "/api/processes/rectification/instances", data=json.dumps({**CASE,
                                                                                                 "description": value}))
    _refused(response, 400, "BadRequest", platform, before)


@pytest.mark.parametrize("body,reason", [("[" * 10000 + "]" * 10000, "嵌套超过 32 层"),
                                         ('{"a":' * 33 + "1" + "}" * 33, "嵌套超过 32 层"),
                                         ('{"measures": "x", "measures": "y"}', "重复"),
                                         ('{"report": NaN}', "NaN"), ('{"report": 1e400}', "超出范围"),
                                         ('{"report": 123456789012345678901}', "超出范围")])
def test_json_the_product_does_not_take_is_400(api, platform, body, reason):
    task = open_case(platform).new_tasks[0]
    before = snapshot(platform)
    response = api.post("unit", f"/api/tasks/{task.id}/complete", data=body)
    assert reason in _refused(response, 400, "BadRequest", platform, before)["message"]


def test_a_body_over_the_size_limit_is_413(api, platform):
    before = snapshot(platform)
    response = api.post("inspector", "/api/processes/rectification/instances",
                        {**CASE, "description": "长" * (2 * 1024 * 1024)})  # 6 MB as UTF-8
    _refused(response, 413, "RequestEntityTooLarge", platform, before)


def test_unknown_routes_and_methods_answer_in_json(api, platform):
    before = snapshot(platform)
    _refused(api.get("unit", "/api/no-such-thing"), 404, "NotFound", platform, before)
    _refused(api.client.delete("/api/tasks", headers=api.headers("unit")), 405, "MethodNotAllowed", platform, before)


@pytest.mark.parametrize("query,message", [
    ("page=1.5", "查询参数 page 须为用数字 0–9 写成的整数"),
    ("page=%EF%BC%91", "查询参数 page 须为用数字 0–9 写成的整数"),
    ("page=99999999999999999999", "查询参数 page 须为 1 到 2147483647 之间的整数"),
    ("per_page=0", "查询参数 per_page 须为 1 到 2147483647 之间的整数")])
def test_a_bad_number_is_named_with_what_it_must_be(api, platform, query, message):
    assert api.get("unit", f"/api/tasks?{query}").json["message"] == message


def test_a_claim_applies_on_the_version_seen_while_its_task_is_unchanged(api, platform):
    """签收 over the API: the parallel review moved the instance on; the claim still applies, once."""
    out = start(platform, "drafter", "policy_measure", {**MEASURE, "kind": "normative"})
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve"})
    reviews, seen = {t.element_id: t.id for t in out.new_tasks}, out.version
    complete(platform, "amr_reviewer", reviews["competition_review"], {"competition_result": "pass"})
    url = f"/api/tasks/{reviews['legality_review']}/claim"
    claimed = api.post("justice", url, {}, headers={"If-Match": f'"{seen}"'})
    assert claimed.status_code == 200 and claimed.json["assignee"] == "justice"
    assert api.post("justice", url, {"expected_version": seen}).status_code == 200  # mine already: no change
    before = snapshot(platform)
    other = api.post("amr_reviewer", url, {})  # not offered to them
    assert other.status_code in (403, 409) and snapshot(platform) == before


def test_a_claim_of_a_task_changed_since_it_was_seen_is_409(api, platform):
    from sqlalchemy import select

    from workflows.extensions import decide_extension, request_extension
    from workflows.models import RectificationCase

    out = open_case(platform)
    rectify, seen = task_of(out, "rectify"), out.version
    with platform.db.transaction() as session:
        case_id = session.scalars(select(RectificationCase.id)).one()
        req = request_extension(platform, session, "unit", case_id, 3, "需协调第三方系统改造")
    with platform.db.transaction() as session:
        decide_extension(platform, session, "inspector", req.id, True, "同意")
    before = snapshot(platform)
    stale = api.post("unit", f"/api/tasks/{rectify}/claim", {"expected_version": seen})
    assert stale.status_code == 409 and stale.json["error"] == "StaleVersion" and snapshot(platform) == before
    refused = api.post("unit", f"/api/tasks/{rectify}/claim", {"note": "我来办"})
    assert refused.status_code == 400 and snapshot(platform) == before
    assert api.post("unit", f"/api/tasks/{rectify}/claim").status_code == 200
