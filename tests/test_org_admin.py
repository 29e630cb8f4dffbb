"""Organisation admin: the services' rules, the pages, and who may use them."""

import base64
import os
import re

import pytest
from sqlalchemy import select

from engine.queries import done_tasks, open_tasks
from web import create_app
from workflows.errors import FormInvalid, PermissionDenied
from workflows.models import Group, Unit, UserRole
from workflows.org_admin import groups, leaving, people, units
from workflows.org_admin.world import load
from workflows.organisation import actor_for, authenticate, form_options, require_user, user_by_name
from workflows.tokens import issue_token, user_for_token

from .helpers import CASE, MEASURE, RECTIFIED, complete, snapshot, start, task_of


def act(platform, action, *args, by="admin"):
    with platform.db.transaction() as session:
        return action(platform, session, by, *args)


def org(platform):
    with platform.db.reading() as session:
        return load(session)


# -- services -------------------------------------------------------------------------------------

def test_a_unit_is_added_changed_and_refused_with_every_problem_by_field(platform):
    spec = act(platform, units.create_unit, {"code": "street_xinjian", "name": "新建街道", "kind": "乡镇街道",
                                            "short_name": "新建", "sort_order": "15"})
    assert (spec.kind, spec.sort_order, spec.active) == ("street", 15, True)
    before = snapshot(platform), org(platform)
    with pytest.raises(FormInvalid) as refused:
        act(platform, units.create_unit, {"code": "street_xinjian", "name": "区税务局", "kind": "火星"})
    assert set(refused.value.errors) == {"code", "kind", "name"}
    assert "已被单位“新建街道”使用" in refused.value.errors["code"]
    with pytest.raises(FormInvalid) as refused:
        act(platform, units.create_unit, {"code": "ok_code", "name": "区税务局", "kind": "bureau"})
    assert refused.value.errors == {"name": "名称“区税务局”与单位 tax 重复"}
    with pytest.raises(FormInvalid) as refused:
        act(platform, units.update_unit, "gov_data", {"head": "inspector"})
    assert "不属于本单位" in refused.value.errors["head"]
    assert (snapshot(platform), org(platform)) == before
    act(platform, units.update_unit, "gov_data", {"head": "unit_head"})
    assert org(platform).units["gov_data"].head == "unit_head"


def test_a_unit_is_deactivated_only_when_nobody_and_no_active_group_depends_on_it(platform):
    with pytest.raises(FormInvalid) as refused:
        act(platform, units.set_unit_active, "gov_data", False)
    assert "在用人员" in refused.value.errors["active"]
    with pytest.raises(FormInvalid) as refused:
        act(platform, units.set_unit_active, "court", False)
    assert "牵头单位" in refused.value.errors["active"]
    act(platform, units.set_unit_active, "street_houtian", False)
    with platform.db.reading() as session:
        options = form_options(session)
    assert "street_houtian" not in dict(options["responsible_units"])
    with pytest.raises(FormInvalid):  # a retired unit is offered in no new choice, and refused when sent
        start(platform, "inspector", "rectification", {**CASE, "responsible_unit": "street_houtian"})
    with pytest.raises(FormInvalid) as refused:
        act(platform, people.create_person, {"login": "x1", "name": "某", "unit": "street_houtian"})
    assert "已停用" in refused.value.errors["unit"]


def test_a_groups_leader_holds_its_approvals_exactly_while_leading_it(platform):
    act(platform, groups.create_group, {"code": "action_x", "name": "专项行动X组", "kind": "专项行动组",
                                        "lead_unit": "drc", "members": ["drc", "finance"], "leader": "leader"})
    with platform.db.reading() as session:
        assert "action_x" in actor_for(session, require_user(session, "leader")).groups
    out = start(platform, "drafter", "policy_measure", MEASURE)
    approve = task_of(out, "leader_approve")
    act(platform, groups.update_group, "start_business", {"leader": "leader_taxation"})
    with platform.db.reading() as session:
        old, new = (actor_for(session, require_user(session, u)) for u in ("leader", "leader_taxation"))
        assert "start_business" not in old.groups and "start_business" in new.groups
        assert approve in {t.id for t in open_tasks(session, new)}
        assert approve not in {t.id for t in open_tasks(session, old)}
        assert session.get(Group, "start_business").leader == "leader_taxation"


def test_a_group_is_refused_without_its_lead_unit_among_members_or_with_unknown_ones(platform):
    with pytest.raises(FormInvalid) as refused:
        act(platform, groups.create_group, {"code": "g1", "name": "某组", "kind": "thematic", "lead_unit": "drc",
                                            "members": "finance、nowhere"})
    assert refused.value.errors == {"members": "单位不存在：nowhere"}
    with pytest.raises(FormInvalid) as refused:
        act(platform, groups.create_group, {"code": "g1", "name": "某组", "kind": "thematic", "lead_unit": "drc",
                                            "members": "finance", "leader": "ghost"})
    assert refused.value.errors == {"leader": "人员 ghost 不存在", "members": "牵头单位须为成员单位之一"}


def test_a_person_added_signs_in_with_the_password_given_and_holds_the_roles_given(platform):
    spec = act(platform, people.create_person, {"login": "zhangsan", "name": "张三", "unit": "gov_data",
                                                "roles": ["unit_staff", "drafter"], "member_of": "开办企业指标组",
                                                "email": "zs@example.cn", "password": "Zs123456"})
    assert spec.username == "zhangsan" and spec.member_of == ("start_business",)
    with platform.db.reading() as session:
        assert authenticate(session, "zhangsan", "Zs123456") is not None
        assert authenticate(session, "zhangsan", "wrong") is None
    with pytest.raises(FormInvalid) as refused:
        act(platform, people.create_person, {"login": "zhangsan", "name": "张三", "unit": "gov_data",
                                             "password": "short"})
    assert set(refused.value.errors) == {"login", "password"}
    for login, field in (("system", "login"), ("张三", "login"), ("", "login")):
        with pytest.raises(FormInvalid) as refused:
            act(platform, people.create_person, {"login": login, "name": "某", "unit": "gov_data"})
        assert field in refused.value.errors
    with pytest.raises(FormInvalid) as refused:
        act(platform, people.create_person, {"login": "zhangsan", "name": "张三", "unit": "gov_data"})
    assert "已被他人使用" in refused.value.errors["login"]


def test_renaming_changes_the_login_and_ends_the_old_name_and_its_tokens_but_keeps_history(platform):
    out = start(platform, "inspector", "rectification", CASE)
    complete(platform, "unit", task_of(out, "rectify"), RECTIFIED)
    with platform.db.transaction() as session:
        token = issue_token(session, "unit", platform.clock())
    act(platform, people.rename_person, "unit", "chenjing")
    with platform.db.reading() as session:
        assert authenticate(session, "unit", "demo12345") is None
        assert authenticate(session, "chenjing", "demo12345").username == "unit"
        assert user_for_token(session, token) is None
        assert [t.element_id for t in done_tasks(session, "unit")] == ["rectify"]  # history keeps its person
    with pytest.raises(FormInvalid):
        act(platform, people.rename_person, "unit2", "chenjing")
    act(platform, people.create_person, {"login": "unit", "name": "新同事", "unit": "tax"})
    assert org(platform).people["unit_2"].login == "unit"  # the old login is free; the username is not


def test_only_a_person_without_history_is_deleted(platform):
    act(platform, people.create_person, {"login": "typo", "name": "录错了", "unit": "gov_data"})
    act(platform, people.delete_person, "typo")
    assert "typo" not in org(platform).people
    start(platform, "inspector", "rectification", CASE)
    before = snapshot(platform)
    with pytest.raises(FormInvalid) as refused:
        act(platform, people.delete_person, "inspector")
    assert "请改为停用" in refused.value.message and "流程记录" in refused.value.message
    assert snapshot(platform) == before
    with pytest.raises(FormInvalid) as refused:  # still named as a group's leader
        act(platform, people.delete_person, "leader_taxation")
    assert "组长" in refused.value.message


def test_an_edit_cannot_move_rename_or_deactivate_by_the_back_door(platform):
    for field, value in (("unit", "tax"), ("login", "other"), ("active", False)):
        with pytest.raises(FormInvalid) as refused:
            act(platform, people.update_person, "unit", {field: value})
        assert field in refused.value.errors


def test_only_an_admin_may_change_the_organisation(platform):
    for who in ("office", "unit", "ghost"):
        with pytest.raises(PermissionDenied):
            act(platform, units.create_unit, {"code": "x", "name": "x", "kind": "bureau"}, by=who)
    act(platform, people.create_person, {"login": "gone", "name": "离职管理员", "unit": "office",
                                         "roles": "admin"})
    act(platform, leaving.deactivate_person, "gone")
    with pytest.raises(PermissionDenied):
        act(platform, units.create_unit, {"code": "x", "name": "x", "kind": "bureau"}, by="gone")


def test_upgrading_the_schema_leaves_an_offices_own_organisation_alone(platform):
    act(platform, units.update_unit, "gov_data", {"name": "区行政审批局"})
    act(platform, groups.update_group, "publicity", {"active": False})
    platform.init_db()
    with platform.db.reading() as session:
        assert session.get(Unit, "gov_data").name == "区行政审批局"
        assert session.get(Group, "publicity").active is False


def test_the_seeds_give_every_kind_of_group_and_each_leader_its_role(platform):
    world = org(platform)
    assert {g.kind for g in world.groups.values()} == {"leading_group", "thematic", "indicator", "special_action"}
    with platform.db.reading() as session:
        for group in session.scalars(select(Group)):
            role = session.scalars(select(UserRole).where(UserRole.group_code == group.code,
                                                          UserRole.role == "group_leader")).one()
            assert user_by_name(session, group.leader).id == role.user_id


# -- pages ----------------------------------------------------------------------------------------

@pytest.fixture
def app(sqlite_platform):
    return create_app({"PLATFORM": sqlite_platform, "SECRET_KEY": "org", "TESTING": True,
                       "WTF_CSRF_ENABLED": False})


def client_of(app, login, password="demo12345"):
    client = app.test_client()
    assert client.post("/login", data={"username": login, "password": password}).status_code == 302
    return client


PAGES = ["/admin/org/units/", "/admin/org/units/new", "/admin/org/units/gov_data/edit", "/admin/org/groups/",
         "/admin/org/groups/new", "/admin/org/groups/start_business/edit", "/admin/org/people/",
         "/admin/org/people/new", "/admin/org/people/unit/edit", "/admin/org/people/unit/leave",
         "/admin/org/people/unit/move", "/admin/org/workbook/", "/admin/org/workbook/export.xlsx",
         "/admin/org/workbook/template.xlsx"]
POSTS = ["/admin/org/units/new", "/admin/org/units/gov_data/active", "/admin/org/groups/publicity/active",
         "/admin/org/people/unit/leave", "/admin/org/people/unit/move", "/admin/org/people/unit/rename",
         "/admin/org/people/unit/delete", "/admin/org/people/unit/activate", "/admin/org/workbook/preview",
         "/admin/org/workbook/confirm"]


@pytest.mark.parametrize("role", ["admin", "office", "leader", "drafter", "inspector", "unit", None])
def test_only_admins_reach_the_organisation_pages(app, role):
    client = client_of(app, role) if role else app.test_client()
    for path in PAGES:
        status = client.get(path).status_code
        assert status == (200 if role == "admin" else 403 if role else 302), path
    if role == "admin":
        return
    before = snapshot(app.extensions["ysflow"])
    for path in POSTS:
        assert client.post(path, data={"active": "0", "login": "x"}).status_code in ((403,) if role else (302,))
    assert snapshot(app.extensions["ysflow"]) == before
    with app.extensions["ysflow"].db.reading() as session:
        assert require_user(session, "unit").active


def test_the_menu_offers_the_organisation_to_admins_only(app):
    assert 'href="/admin/org/units/"' in client_of(app, "admin").get("/inbox/").get_data(as_text=True)
    assert 'href="/admin/org/units/"' not in client_of(app, "office").get("/inbox/").get_data(as_text=True)


def test_a_form_with_problems_shows_each_beside_its_field_and_keeps_what_was_typed(app):
    client = client_of(app, "admin")
    response = client.post("/admin/org/people/new", data={"login": "ab cd", "name": "", "unit": "gov_data",
                                                           "email": "bad", "password": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    fields = set(re.findall(r'field-error" data-field="(\w+)"', page))
    assert {"login", "name", "email", "password"} <= fields
    assert 'value="ab cd"' in page and 'value="bad"' in page and 'value="1"' not in page


def test_units_and_people_are_added_on_the_pages(app):
    client = client_of(app, "admin")
    response = client.post("/admin/org/units/new", data={"code": "street_lake", "name": "湖滨街道",
                                                         "kind": "street", "sort_order": "900"})
    assert response.status_code == 303
    response = client.post("/admin/org/people/new", data={"login": "hubin1", "name": "胡斌", "unit": "street_lake",
                                                          "roles": ["unit_staff", "unit_head"],
                                                          "password": "Hubin2026!"})
    assert response.status_code == 303
    client.post("/admin/org/units/street_lake/edit", data={"name": "湖滨街道", "kind": "street", "head": "hubin1",
                                                           "sort_order": "900"})
    listing = client.get("/admin/org/units/?q=湖滨").get_data(as_text=True)
    assert 'data-unit="street_lake"' in listing and "胡斌" in listing
    assert client_of(app, "hubin1", "Hubin2026!").get("/inbox/").status_code == 200


@pytest.mark.parametrize("value", ["１", "1_0", "+1", "-1", "1.0", "0x10", "٣"])
def test_a_sort_order_is_ascii_digits_on_every_form(app, value):
    client = client_of(app, "admin")
    platform = app.extensions["ysflow"]
    before = org(platform)
    for path, form in (("/admin/org/units/new", {"code": "street_lake", "name": "湖滨街道", "kind": "street"}),
                       ("/admin/org/units/gov_data/edit", {"name": "区政务服务和数据管理局", "kind": "bureau"}),
                       ("/admin/org/groups/new", {"code": "lake", "name": "湖滨组", "kind": "thematic",
                                                  "lead_unit": "tax", "members": "tax"})):
        response = client.post(path, data={**form, "sort_order": value})
        assert response.status_code == 422, path
        assert 'data-field="sort_order"' in response.get_data(as_text=True)
    assert org(platform) == before


def test_the_state_buttons_take_one_or_zero_and_nothing_else(app):
    client = client_of(app, "admin")
    platform = app.extensions["ysflow"]
    before = org(platform)
    for path in ("/admin/org/units/street_houtian/active", "/admin/org/groups/publicity/active"):
        for value in ("yes", "true", "", "２"):
            response = client.post(path, data={"active": value})
            assert response.status_code == 400 and "状态须为" in response.get_data(as_text=True), (path, value)
        assert client.post(path, data={}).status_code == 400
    assert org(platform) == before
    assert client.post("/admin/org/units/street_houtian/active", data={"active": "0"}).status_code == 303
    assert not org(platform).units["street_houtian"].active


def test_a_refused_button_answers_422_saying_why_and_changes_nothing(app):
    client = client_of(app, "admin")
    platform = app.extensions["ysflow"]
    start(platform, "inspector", "rectification", CASE)
    act(platform, people.create_person, {"login": "houtian1", "name": "后田一", "unit": "street_houtian"})
    act(platform, leaving.deactivate_person, "houtian1")
    act(platform, units.set_unit_active, "street_houtian", False)
    before = org(platform), snapshot(platform)
    for path, says in (("/admin/org/units/gov_data/active", "未能停用"),
                       ("/admin/org/people/inspector/delete", "已有办理记录"),
                       ("/admin/org/people/houtian1/activate", "已停用")):
        response = client.post(path, data={"active": "0"})
        alerts = re.findall(r'alert-danger[^>]*>(.*?)</', response.get_data(as_text=True), re.S)
        assert response.status_code == 422 and says in "".join(alerts), (path, alerts)
    assert (org(platform), snapshot(platform)) == before


def test_people_are_searched_filtered_and_paged(app):
    platform = app.extensions["ysflow"]
    for n in range(25):
        act(platform, people.create_person, {"login": f"p{n:02d}", "name": f"测试{n:02d}", "unit": "street_weidong",
                                             "roles": "inspector" if n % 5 == 0 else "unit_staff"})
    client = client_of(app, "admin")
    first = client.get("/admin/org/people/?unit=street_weidong").get_data(as_text=True)
    second = client.get("/admin/org/people/?unit=street_weidong&page=2").get_data(as_text=True)
    assert first.count("data-person=") == 20 and second.count("data-person=") == 5
    assert "共 25 人" in first
    by_role = client.get("/admin/org/people/?unit=street_weidong&role=inspector").get_data(as_text=True)
    assert by_role.count("data-person=") == 5
    assert client.get("/admin/org/people/?q=测试07").get_data(as_text=True).count("data-person=") == 1
    act(platform, leaving.deactivate_person, "p07")
    assert client.get("/admin/org/people/?q=p0&active=0").get_data(as_text=True).count("data-person=") == 1


def test_leaving_on_the_page_hands_the_task_over_and_the_timeline_shows_it(app):
    platform = app.extensions["ysflow"]
    out = start(platform, "inspector", "rectification", CASE)
    rectify = task_of(out, "rectify")
    unit = client_of(app, "unit")
    assert unit.post(f"/inbox/tasks/{rectify}/claim").status_code == 302
    admin = client_of(app, "admin")
    page = admin.get("/admin/org/people/unit/leave").get_data(as_text=True)
    assert f'data-task-id="{rectify}"' in page and "已签收" in page
    response = admin.post("/admin/org/people/unit/leave", data={f"task-{rectify}": "unit_head"})
    assert response.status_code == 303
    timeline = admin.get(f"/instances/{out.instance_id}").get_data(as_text=True)
    assert 'data-kind="task_reassigned"' in timeline and "转交杨光" in timeline
    assert unit.get("/inbox/").status_code == 302  # the session ended with the account
    assert app.test_client().post("/login", data={"username": "unit", "password": "demo12345"}).status_code == 401
    assert f"/tasks/{rectify}" in client_of(app, "unit_head").get("/inbox/").get_data(as_text=True)


def test_a_deactivated_persons_token_stops_at_once(app):
    platform = app.extensions["ysflow"]
    with platform.db.transaction() as session:
        token = issue_token(session, "unit2", platform.clock())
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/tasks", headers=headers).status_code == 200
    act(platform, leaving.deactivate_person, "unit2")
    assert app.test_client().get("/api/tasks", headers=headers).status_code == 401


def test_moving_on_the_page_needs_a_unit_and_moves_the_person(app):
    client = client_of(app, "admin")
    response = client.post("/admin/org/people/unit2/move", data={"unit": ""})
    assert response.status_code == 422 and 'data-field="unit"' in response.get_data(as_text=True)
    assert client.post("/admin/org/people/unit2/move", data={"unit": "finance"}).status_code == 303
    with app.extensions["ysflow"].db.reading() as session:
        assert require_user(session, "unit2").unit_code == "finance"


def test_renaming_on_the_page(app):
    client = client_of(app, "admin")
    assert client.post("/admin/org/people/unit2/rename", data={"login": "bad login"}).status_code == 422
    assert client.post("/admin/org/people/unit2/rename", data={"login": "liuyang"}).status_code == 303
    assert app.test_client().post("/login", data={"username": "unit2", "password": "demo12345"}).status_code == 401
    client_of(app, "liuyang")


def test_forms_need_their_csrf_token(sqlite_platform):
    app = create_app({"PLATFORM": sqlite_platform, "SECRET_KEY": "org", "TESTING": True})
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"username": "admin", "password": "demo12345", "csrf_token": token})
    before = snapshot(sqlite_platform)
    assert client.post("/admin/org/units/new", data={"code": "nocsrf", "name": "无令牌", "kind": "bureau"}
                       ).status_code == 400
    assert client.post("/admin/org/workbook/confirm", data={"data": "", "digest": ""}).status_code == 400
    assert snapshot(sqlite_platform) == before
    with sqlite_platform.db.reading() as session:
        assert session.get(Unit, "nocsrf") is None


def test_the_workbook_is_previewed_then_confirmed_on_the_page_with_its_csrf_token(sqlite_platform):
    from io import BytesIO

    from openpyxl import load_workbook

    from workflows.org_admin import workbook

    app = create_app({"PLATFORM": sqlite_platform, "SECRET_KEY": "org", "TESTING": True})
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "admin", "password": "demo12345", "csrf_token": token})
    with sqlite_platform.db.reading() as session:
        book = load_workbook(BytesIO(workbook.export_workbook(session)))
    for n in range(300):
        book["人员"].append([f"staff{n}", f"员工{n}", "tax", None, None, "单位工作人员", None, "启用"])
    for _n in range(200):  # notes of the office's own: the workbook goes back and forth in a large field
        book["说明"].append([base64.b64encode(os.urandom(3000)).decode()])
    out = BytesIO()
    book.save(out)
    assert len(out.getvalue()) * 4 // 3 > 500_000
    preview = client.post("/admin/org/workbook/preview", data={"csrf_token": token,
                                                               "file": (BytesIO(out.getvalue()), "org.xlsx")})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "确认后将新增 300 条" in page
    fields = dict(re.findall(r'name="(data|digest)" value="([^"]+)"', page))
    before = snapshot(sqlite_platform)
    assert client.post("/admin/org/workbook/confirm", data={**fields, "digest": "0" * 64,
                                                            "csrf_token": token}).status_code == 422
    assert snapshot(sqlite_platform) == before
    done = client.post("/admin/org/workbook/confirm", data={**fields, "csrf_token": token})
    assert done.status_code == 303
    assert "新增 300 条" in client.get(done.headers["Location"]).get_data(as_text=True)
    with sqlite_platform.db.reading() as session:
        assert user_by_name(session, "staff299").unit_code == "tax"


def test_the_organisation_pages_speak_english_on_request(app):
    client = client_of(app, "admin")
    page = client.get("/admin/org/people/unit/leave?lang=en").get_data(as_text=True)
    assert "Organisation" in page and "Deactivate and hand over" in page
    assert "组织机构" in client.get("/admin/org/units/?lang=zh_CN").get_data(as_text=True)


def test_two_admins_removing_each_other_at_once_leave_one_admin(pg_platform):
    import threading

    act(pg_platform, people.create_person, {"login": "admin2", "name": "副管理员", "unit": "office",
                                            "roles": "admin"})
    holding, second_done, outcome = threading.Event(), threading.Event(), {}

    def first():
        with pg_platform.db.transaction() as session:
            people.update_person(pg_platform, session, "admin2", "admin", {"roles": ["office"]})
            holding.set()
            second_done.wait(timeout=1.5)  # gives the second change every chance to run meanwhile

    def second():
        holding.wait()
        try:
            act(pg_platform, people.update_person, "admin2", {"roles": ["office"]}, by="admin")
            outcome["second"] = "applied"
        except (PermissionDenied, FormInvalid) as err:
            outcome["second"] = err.message
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    admins = [p for p in org(pg_platform).people.values() if p.active and "admin" in p.roles]
    assert len(admins) == 1 and outcome["second"] != "applied"
