"""The organisation JSON API: bearer tokens, admins only, errors by field, handovers, the workbook."""

import re
import zipfile
from io import BytesIO

import pytest
from openpyxl import load_workbook

from web import create_app
from workflows.org_admin import workbook
from workflows.org_admin.world import load
from workflows.organisation import require_user
from workflows.services import claim_task
from workflows.tokens import issue_token

from .helpers import CASE, snapshot, start, task_of


def api_of(platform):
    app = create_app({"PLATFORM": platform, "SECRET_KEY": "api-org", "TESTING": True})
    tokens = {}

    def call(method, path, role="admin", **kwargs):
        if role and role not in tokens:
            with platform.db.transaction() as session:
                tokens[role] = issue_token(session, role, platform.clock())
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        return app.test_client().open(path, method=method, headers=headers, **kwargs)

    call.platform = platform
    return call


@pytest.fixture
def api(platform):
    return api_of(platform)


@pytest.fixture
def sqlite_api(sqlite_platform):  # for what does not depend on the database
    return api_of(sqlite_platform)


ROUTES = [("GET", "/api/org/units"), ("POST", "/api/org/units"), ("GET", "/api/org/units/gov_data"),
          ("PATCH", "/api/org/units/gov_data"), ("GET", "/api/org/groups"), ("POST", "/api/org/groups"),
          ("GET", "/api/org/groups/start_business"), ("PATCH", "/api/org/groups/start_business"),
          ("GET", "/api/org/people"), ("POST", "/api/org/people"), ("GET", "/api/org/people/unit"),
          ("PATCH", "/api/org/people/unit"), ("DELETE", "/api/org/people/unit"),
          ("POST", "/api/org/people/unit/rename"), ("POST", "/api/org/people/unit/activate"),
          ("GET", "/api/org/people/unit/tasks"), ("POST", "/api/org/people/unit/deactivate"),
          ("POST", "/api/org/people/unit/move"), ("GET", "/api/org/export"), ("GET", "/api/org/template"),
          ("POST", "/api/org/import")]


@pytest.mark.parametrize("role, status", [(None, 401), ("office", 403), ("unit", 403), ("inspector", 403)])
def test_only_an_admins_token_reaches_the_organisation_api(api, role, status):
    before = snapshot(api.platform)
    for method, path in ROUTES:
        # Each route is sent the body type it takes (a wrong type is a 415 before any check of who asks).
        body = {"data": {"dry_run": "1"}} if path.endswith("/import") else {"json": {"name": "x", "login": "x",
                                                                                       "unit": "tax"}}
        response = api(method, path, role, **body)
        assert response.status_code == status, (method, path)
        assert response.is_json and response.json["error"] in ("Unauthorized", "Forbidden")
    assert snapshot(api.platform) == before
    with api.platform.db.reading() as session:
        assert require_user(session, "unit").login == "unit"


def test_units_groups_and_people_are_listed_created_and_changed(api):
    listed = api("GET", "/api/org/units?kind=street&per_page=2")
    assert listed.status_code == 200 and listed.json["total"] == 6 and len(listed.json["units"]) == 2
    created = api("POST", "/api/org/units", json={"code": "new_bureau", "name": "区数据局", "kind": "区直部门"})
    assert created.status_code == 201 and created.headers["Location"].endswith("/api/org/units/new_bureau")
    assert created.json["kind"] == "bureau" and created.json["active"] is True
    group = api("POST", "/api/org/groups", json={"code": "data_group", "name": "数据专班", "kind": "indicator",
                                                 "lead_unit": "new_bureau", "members": ["new_bureau", "gov_data"],
                                                 "leader": "leader"})
    assert group.status_code == 201 and group.json["members"] == ["gov_data", "new_bureau"]
    person = api("POST", "/api/org/people", json={"login": "shujv1", "name": "舒娟", "unit": "new_bureau",
                                                  "roles": ["unit_staff"], "member_of": ["data_group"],
                                                  "password": "Shujv2026"})
    assert person.status_code == 201 and person.json["member_of"] == ["data_group"]
    changed = api("PATCH", "/api/org/people/shujv1", json={"phone": "13900001111", "roles": ["unit_head"]})
    assert changed.status_code == 200 and changed.json["roles"] == ["unit_head"]
    assert api("PATCH", "/api/org/units/new_bureau", json={"head": "shujv1"}).json["head"] == "shujv1"
    found = api("GET", "/api/org/people?q=舒娟&unit=new_bureau&role=unit_head")
    assert [p["username"] for p in found.json["people"]] == ["shujv1"]
    assert api("GET", "/api/org/groups?unit=new_bureau").json["total"] == 1


def test_bad_input_is_422_with_errors_by_field_and_changes_nothing(api):
    before = snapshot(api.platform)
    response = api("POST", "/api/org/people", json={"login": "", "name": "某", "unit": "mars", "roles": ["king"],
                                                    "email": "no"})
    assert response.status_code == 422 and response.json["error"] == "OrgInvalid"
    assert set(response.json["errors"]) == {"login", "unit", "roles", "email"}
    assert "账号" in response.json["message"]
    assert api("POST", "/api/org/units", data="not json", content_type="application/json").status_code == 400
    assert api("GET", "/api/org/units/nowhere").status_code == 404
    assert api("PATCH", "/api/org/people/unit", json={"unit": "tax"}).status_code == 422
    assert snapshot(api.platform) == before


def test_deactivating_over_the_api_hands_the_tasks_over(api):
    rectify = task_of(start(api.platform, "inspector", "rectification", CASE), "rectify")
    with api.platform.db.transaction() as session:
        claim_task(api.platform, session, "unit", rectify)
    held = api("GET", "/api/org/people/unit/tasks").json
    assert [(t["id"], t["default"]) for t in held["tasks"]] == [(rectify, "pool")]
    refused = api("POST", "/api/org/people/unit/deactivate", json={"handovers": {str(rectify): "ghost"}})
    assert refused.status_code == 422 and f"task-{rectify}" in refused.json["errors"]
    for body in ({"handovers": {"first": "pool"}}, {"handovers": ["pool"]}, {"default": 5},
                 {"handovers": {str(rectify): ["unit_head"]}}):
        assert api("POST", "/api/org/people/unit/deactivate", json=body).status_code == 422, body
    done = api("POST", "/api/org/people/unit/deactivate", json={"handovers": {str(rectify): "unit_head"}})
    assert done.status_code == 200 and done.json["person"]["active"] is False
    assert done.json["handed_over"] == [{"task_id": rectify, "instance_id": done.json["handed_over"][0]["instance_id"],
                                         "to": "unit_head", "unit": None}]


def test_moving_renaming_and_deleting_over_the_api(api):
    moved = api("POST", "/api/org/people/unit2/move", json={"unit": "finance"})
    assert moved.status_code == 200 and moved.json["person"]["unit"] == "finance"
    assert api("POST", "/api/org/people/unit2/move", json={"unit": "finance"}).status_code == 422
    renamed = api("POST", "/api/org/people/unit2/rename", json={"login": "liuyang"})
    assert renamed.json["login"] == "liuyang" and renamed.json["username"] == "unit2"
    api("POST", "/api/org/people", json={"login": "oops", "name": "误建", "unit": "tax"})
    assert api("DELETE", "/api/org/people/oops").status_code == 204
    start(api.platform, "inspector", "rectification", CASE)
    assert api("DELETE", "/api/org/people/inspector").status_code == 422


def test_the_workbook_over_the_api_previews_then_imports(api):
    exported = api("GET", "/api/org/export")
    assert exported.status_code == 200 and exported.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(exported.data))
    book["人员"].append(["new1", "新人", "gov_data", None, None, "单位工作人员", None, "启用"])
    book["人员"].append(["new2", "新人二", "mars", None, None, None, None, None])
    out = BytesIO()
    book.save(out)
    bad = out.getvalue()
    preview = api("POST", "/api/org/import?dry_run=1", data={"file": (BytesIO(bad), "org.xlsx")})
    assert preview.status_code == 422 and preview.json["ok"] is False
    [error] = preview.json["errors"]
    assert (error["sheet"], error["column"], error["row"]) == ("人员", "单位编码", book["人员"].max_row)
    before = snapshot(api.platform)
    refused = api("POST", "/api/org/import", data={"file": (BytesIO(bad), "org.xlsx")})
    assert refused.status_code == 422 and refused.json["errors"][0]["row"] == book["人员"].max_row
    assert snapshot(api.platform) == before
    book["人员"].delete_rows(book["人员"].max_row)
    out = BytesIO()
    book.save(out)
    preview = api("POST", "/api/org/import?dry_run=1", data={"file": (BytesIO(out.getvalue()), "org.xlsx")})
    assert preview.status_code == 200 and preview.json["counts"]["added"] == 1
    done = api("POST", "/api/org/import", data={"file": (BytesIO(out.getvalue()), "org.xlsx")})
    assert done.status_code == 200 and done.json["added"][0]["key"] == "new1"
    assert api("GET", "/api/org/people/new1").json["name"] == "新人"
    assert api("POST", "/api/org/import", data={}).status_code == 422


def org_state(platform):
    with platform.db.reading() as session:
        return load(session)


WRONG_FIELDS = [  # (method, path, body, the field refused)
    ("POST", "/api/org/units", {"code": "x1", "name": True, "kind": "bureau"}, "name"),
    ("POST", "/api/org/units", {"code": 15, "name": "十五局", "kind": "bureau"}, "code"),
    ("POST", "/api/org/units", {"code": "x1", "name": "某局", "kind": ["bureau"]}, "kind"),
    ("POST", "/api/org/units", {"code": "x1", "name": "某局", "kind": "bureau", "active": "false"}, "active"),
    ("POST", "/api/org/units", {"code": "x1", "name": "某局", "kind": "bureau", "sort_order": "15"}, "sort_order"),
    ("POST", "/api/org/units", {"code": "x1", "name": "某局", "kind": "bureau", "sort_order": 1.5}, "sort_order"),
    ("POST", "/api/org/units", {"code": "x1", "name": "某局", "kind": "bureau", "colour": "red"}, "colour"),
    ("PATCH", "/api/org/units/gov_data", {"name": 1}, "name"),
    ("PATCH", "/api/org/units/gov_data", {"active": 0}, "active"),
    ("PATCH", "/api/org/units/gov_data", {"code": "tax"}, "code"),
    ("PATCH", "/api/org/units/gov_data", {"kind_label": "国企"}, "kind_label"),
    ("POST", "/api/org/groups", {"code": "g1", "name": "某组", "kind": "thematic", "lead_unit": "tax",
                                 "members": "tax"}, "members"),
    ("PATCH", "/api/org/groups/start_business", {"members": ["tax", 5]}, "members"),
    ("PATCH", "/api/org/groups/start_business", {"leader": False}, "leader"),
    ("POST", "/api/org/people", {"login": "p1", "name": "某人", "unit": "tax", "roles": "unit_staff"}, "roles"),
    ("POST", "/api/org/people", {"login": "p1", "name": "某人", "unit": "tax", "password": 12345678}, "password"),
    ("POST", "/api/org/people", {"login": "p1", "name": {}, "unit": "tax"}, "name"),
    ("PATCH", "/api/org/people/unit", {"phone": 13900001111}, "phone"),
    ("PATCH", "/api/org/people/unit", {"member_of": None}, "member_of"),
    ("PATCH", "/api/org/people/unit", {"username": "someone"}, "username"),
    ("POST", "/api/org/people/unit2/rename", {"login": None}, "login"),
    ("POST", "/api/org/people/unit2/rename", {"login": "liuyang", "force": True}, "force"),
    ("POST", "/api/org/people/unit2/move", {"unit": "finance", "default": ["pool"]}, "default"),
    ("POST", "/api/org/people/unit2/move", {"unit": "finance", "handovers": ["pool"]}, "handovers"),
    ("POST", "/api/org/people/unit2/deactivate", {"default": "pool", "reason": "调离"}, "reason"),
    ("POST", "/api/org/people/unit2/activate", {"active": True}, "active"),
    ("DELETE", "/api/org/people/unit2", {"force": True}, "force"),
]


def test_a_json_field_of_the_wrong_type_or_that_no_one_reads_is_422_and_changes_nothing(api):
    before = snapshot(api.platform), org_state(api.platform)
    for method, path, body, field in WRONG_FIELDS:
        response = api(method, path, json=body)
        assert response.status_code == 422, (method, path, body, response.json)
        assert response.json["error"] == "OrgInvalid" and field in response.json["errors"], (path, body)
        assert re.search("[\u4e00-\u9fff]", response.json["errors"][field])
    assert (snapshot(api.platform), org_state(api.platform)) == before


def test_a_change_must_change_something(api):
    before = org_state(api.platform)
    for path, body in (("/api/org/units/gov_data", {}), ("/api/org/units/gov_data", {"code": "gov_data"}),
                       ("/api/org/groups/start_business", {}), ("/api/org/people/unit", {}),
                       ("/api/org/people/unit", {"username": "unit", "leads": []})):
        response = api("PATCH", path, json=body)
        assert response.status_code == 422 and "没有要修改的字段" in response.json["message"], (path, body)
        response = api("PATCH", path)
        assert response.status_code == 422, path
    assert org_state(api.platform) == before


def test_null_clears_an_optional_field_and_a_record_sent_back_unchanged_is_taken(api):
    unit = api("GET", "/api/org/units/gov_data").json
    assert api("PATCH", "/api/org/units/gov_data", json={**unit, "short_name": "政数局"}).status_code == 200
    cleared = api("PATCH", "/api/org/units/gov_data", json={"short_name": None})
    assert cleared.status_code == 200 and cleared.json["short_name"] is None
    person = api("GET", "/api/org/people/unit").json
    changed = api("PATCH", "/api/org/people/unit", json={**person, "phone": "13900001111"})
    assert changed.status_code == 200 and changed.json["phone"] == "13900001111"


def test_a_misspelt_switch_in_the_query_is_refused_never_taken_as_its_default(api):
    with api.platform.db.reading() as session:
        book = load_workbook(BytesIO(workbook.export_workbook(session)))
    book["人员"].append(["new1", "新人", "gov_data", None, None, "单位工作人员", None, "启用"])
    out = BytesIO()
    book.save(out)
    before = org_state(api.platform)
    for value in ("on", "ja", "2", "是", "dry"):
        response = api("POST", f"/api/org/import?dry_run={value}", data={"file": (BytesIO(out.getvalue()), "o.xlsx")})
        assert response.status_code == 400 and "dry_run" in response.json["message"], value
    assert org_state(api.platform) == before
    for path in ("/api/org/units?active=yes!", "/api/org/groups?active=2", "/api/org/people?active=maybe",
                 "/api/org/people/unit/tasks?for=moving"):
        response = api("GET", path)
        assert response.status_code == 400 and re.search("[\u4e00-\u9fff]", response.json["message"]), path
    assert api("GET", "/api/org/units?active=0").json["total"] == 0
    assert api("POST", "/api/org/import?dry_run=yes",
               data={"file": (BytesIO(out.getvalue()), "o.xlsx")}).json["counts"]["added"] == 1


def test_a_handover_for_a_task_the_person_does_not_hold_is_refused_not_dropped(api):
    rectify = task_of(start(api.platform, "inspector", "rectification", CASE), "rectify")
    with api.platform.db.transaction() as session:
        claim_task(api.platform, session, "unit", rectify)
    before = snapshot(api.platform), org_state(api.platform)
    # A mistyped id, an id past what the database holds, and ids written other than in ASCII digits: the task
    # meant would silently go to the default (here kept by a person who leaves: refused; pool: taken).
    for key in (str(rectify + 1), "2147483648", "9" * 5000, "１", "1_0", "+1", f"task-{rectify}x"):
        response = api("POST", "/api/org/people/unit/deactivate", json={"handovers": {key: "unit_head"}})
        assert response.status_code == 422 and "handovers" in response.json["errors"], key
    assert (snapshot(api.platform), org_state(api.platform)) == before
    done = api("POST", "/api/org/people/unit/deactivate", json={"handovers": {f"task-{rectify}": "unit_head"}})
    assert done.status_code == 200 and done.json["handed_over"][0]["to"] == "unit_head"


def test_over_long_values_are_refused_and_a_refusal_never_echoes_a_whole_list(api):
    person = {"login": "p1", "name": "某人", "unit": "tax"}
    before = org_state(api.platform)
    response = api("POST", "/api/org/people", json={**person, "password": "Aa1!" * 33})
    assert response.status_code == 422 and "不能超过 128 位" in response.json["errors"]["password"]
    response = api("POST", "/api/org/people", json={**person, "roles": ["unit_staff"] * 501})
    assert response.status_code == 422 and "最多 500 项" in response.json["errors"]["roles"]
    response = api("POST", "/api/org/people", json={**person, "member_of": [f"g{n:03}" for n in range(300)]})
    assert response.status_code == 422 and "等 300 项" in response.json["errors"]["member_of"]
    assert len(response.get_data()) < 2000
    group = {"code": "g1", "name": "某组", "kind": "thematic", "lead_unit": "tax"}
    response = api("POST", "/api/org/groups", json={**group, "members": ["tax"] + [f"u{n:03}" for n in range(300)]})
    assert response.status_code == 422 and "等 300 项" in response.json["errors"]["members"]
    assert org_state(api.platform) == before


def _crafted(good: bytes, part: str, change) -> bytes:
    """The workbook `good` with one part's XML changed as a hand-made file could have it."""
    source, out = zipfile.ZipFile(BytesIO(good)), BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            archive.writestr(item.filename, change(data) if item.filename == part else data)
    return out.getvalue()


CRAFTED = {  # openpyxl raises ParseError, ValueError, XMLSyntaxError and TypeError on these
    "a control character": ("xl/worksheets/sheet2.xml", lambda d: d.replace(b"<t>", b"<t>&#1;", 1)),
    "a number cell holding text": ("xl/worksheets/sheet2.xml", lambda d: re.sub(
        rb'<c r="A2"[^>]*>.*?</c>', b'<c r="A2" t="n"><v>abc</v></c>', d, count=1)),
    "a cell past the last column": ("xl/worksheets/sheet2.xml", lambda d: d.replace(b'<c r="A2"', b'<c r="ZZZZ2"', 1)),
    "styles cut short": ("xl/styles.xml", lambda d: d[: len(d) // 2]),
    "a sheet without a name": ("xl/workbook.xml", lambda d: d.replace(b"<sheets>", b"<sheets><sheet/>")),
    "65 MB once unpacked": ("xl/worksheets/sheet2.xml", lambda d: d.replace(b"</sheetData>",
                                                                           b" " * (65 << 20) + b"</sheetData>")),
}


@pytest.mark.parametrize("label", CRAFTED)
def test_a_crafted_workbook_is_refused_in_chinese_never_a_500(sqlite_api, label):
    api = sqlite_api
    with api.platform.db.reading() as session:
        good = workbook.export_workbook(session)
    data = _crafted(good, *CRAFTED[label])
    before = org_state(api.platform)
    for query in ("?dry_run=1", ""):
        response = api("POST", f"/api/org/import{query}", data={"file": (BytesIO(data), "o.xlsx")})
        assert response.status_code == 422 and response.json["error"] == "ImportRefused", response.json
        assert "无法读取" in response.json["message"] or "解压后过大" in response.json["message"]
    assert org_state(api.platform) == before
