"""工作日历 administered: the page (admins edit, everyone reads), the JSON API, `ysflow calendar`, bad input
refused with nothing changed, the admins' warning, and recomputing open deadlines (preview, then apply).

The 2027 dates are examples of what an office may enter, not the published schedule.
"""

import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from engine.clock import as_utc
from engine.models import DueJob, Event, HumanTask, ProcessInstance
from web import create_app
from workflows import calendar_recompute
from workflows.calendar_overrides import calendar_for
from workflows.cli import main
from workflows.deadlines import make_worker
from workflows.models import CalendarOverride, CalendarState, CalendarYear, Notification, RectificationCase
from workflows.tokens import issue_token

from .helpers import RECTIFIED, complete
from .test_calendar import Clock, enter, open_case


@pytest.fixture
def clocked(platform):
    clock = Clock("2026-12-28T10:00:00")  # a Monday
    return platform.at(clock), clock


def client_for(platform, user=None, csrf=False):
    app = create_app({"PLATFORM": platform, "SECRET_KEY": "calendar-tests", "TESTING": True,
                      "WTF_CSRF_ENABLED": csrf})
    client = app.test_client()
    if user:
        data = {"username": user, "password": "demo12345"}
        if csrf:
            data["csrf_token"] = csrf_of(client.get("/login").get_data(True))
        client.post("/login", data=data)
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def calendar_state(platform) -> tuple:
    """Everything an edit may change: the overrides, the years entered and the token."""
    with platform.db.reading() as session:
        rows = [(o.day, o.kind, o.name, o.note, o.updated_by)
                for o in session.scalars(select(CalendarOverride).order_by(CalendarOverride.day))]
        return rows, list(session.scalars(select(CalendarYear.year))), session.scalar(select(CalendarState.token))


def overrides(platform) -> dict[str, tuple[str, str]]:
    return {day.isoformat(): (kind, name) for day, kind, name, _note, _by in calendar_state(platform)[0]}


# --- the page ---------------------------------------------------------------------------------------

EDITS = [("/calendar/overrides", {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}),
         ("/calendar/ranges", {"start": "2027-02-06", "end": "2027-02-13", "name": "春节"}),
         ("/calendar/overrides/2027-01-01/delete", {}),
         ("/calendar/years/2027", {"entered": "1"}),
         ("/calendar/recompute", {"token": "x", "case_id": "1"})]


def test_anonymous_people_are_sent_to_log_in(platform):
    client = client_for(platform)
    before = calendar_state(platform)
    assert client.get("/calendar/?year=2027").status_code == 302
    for url, data in EDITS:
        response = client.post(url, data=data)
        assert response.status_code == 302 and "/login" in response.location
    assert calendar_state(platform) == before


@pytest.mark.parametrize("user", ["unit", "inspector", "office", "leader"])
def test_everyone_logged_in_reads_the_calendar_and_only_admins_edit_it(sqlite_platform, user):
    client = client_for(sqlite_platform, user)
    page = client.get("/calendar/?year=2026").get_data(True)
    assert "工作日历" in page and 'data-date="2026-10-01" data-kind="holiday"' in page
    assert 'data-date="2026-10-10" data-kind="makeup"' in page  # the Saturday worked after National Day
    assert 'id="override-form"' not in page and 'id="range-form"' not in page
    assert "春节" in page and "工作日历" in client.get("/inbox/").get_data(True)  # in everyone's menu
    before = calendar_state(sqlite_platform)
    for url, data in EDITS:
        assert client.post(url, data=data).status_code == 403, url
    assert client.get("/calendar/recompute").status_code == 403
    assert calendar_state(sqlite_platform) == before


def test_admin_enters_edits_and_removes_an_override(platform):
    client = client_for(platform, "admin")
    response = client.post("/calendar/overrides", data={"date": "2027-01-01", "kind": "holiday", "name": "元旦",
                                                        "note": "示例", "year": "2027"})
    assert response.status_code == 302 and response.location.endswith("/calendar/?year=2027")
    assert overrides(platform) == {"2027-01-01": ("holiday", "元旦")}
    page = client.get("/calendar/?year=2027").get_data(True)
    assert 'data-date="2027-01-01" data-kind="holiday" data-override="holiday"' in page
    assert 'data-date="2027-01-02" data-kind="weekend"' in page

    form = client.get("/calendar/?year=2027&day=2027-01-01").get_data(True)
    assert "修改 2027-01-01" in form and 'value="元旦"' in form
    client.post("/calendar/overrides", data={"date": "2027-01-01", "kind": "workday", "name": "调休", "year": "2027"})
    assert overrides(platform) == {"2027-01-01": ("workday", "调休")}

    assert client.post("/calendar/overrides/2027-01-01/delete").status_code == 302
    assert overrides(platform) == {}
    assert 'data-date="2027-01-01" data-kind="work"' in client.get("/calendar/?year=2027").get_data(True)


def test_a_whole_holiday_with_its_makeup_days_at_once(platform):
    client = client_for(platform, "admin")
    response = client.post("/calendar/ranges", data={
        "start": "2027-02-06", "end": "2027-02-13", "name": "春节", "workdays": "2027-02-20，2027-02-21",
        "mark_year": "1", "year": "2027"})
    assert response.status_code == 302
    found = overrides(platform)
    assert len(found) == 10
    assert all(found[f"2027-02-{d:02d}"] == ("holiday", "春节") for d in range(6, 14))
    assert found["2027-02-20"] == found["2027-02-21"] == ("workday", "春节")
    assert calendar_state(platform)[1] == [2027]
    page = client.get("/calendar/?year=2027").get_data(True)
    assert "02-06 至 02-13 放假 8 天" in page and "02-20、02-21" in page and "已录入" in page


BAD_INPUT = [
    ("/calendar/overrides", {"date": "2027-02-30", "kind": "holiday"}, "date", "不是有效日期"),
    ("/calendar/overrides", {"date": "", "kind": "holiday"}, "date", "请填写日期"),
    ("/calendar/overrides", {"date": "1999-12-31", "kind": "holiday"}, "date", "2000–2100"),
    ("/calendar/overrides", {"date": "2027-01-01", "kind": "vacation"}, "kind", "类型须为"),
    ("/calendar/overrides", {"date": "2027-01-01"}, "kind", "类型须为"),
    ("/calendar/overrides", {"date": "2027-01-01", "kind": "holiday", "name": "节" * 51}, "name", "不能超过 50"),
    ("/calendar/ranges", {"start": "2027-02-13", "end": "2027-02-06", "name": "春节"}, "end", "不能早于"),
    ("/calendar/ranges", {"start": "2027-01-01", "end": "2027-03-01", "name": "春节"}, "end", "最多录入 31 天"),
    ("/calendar/ranges", {"start": "2027-02-06", "end": "2027-02-13", "name": ""}, "name", "请填写节日名称"),
    ("/calendar/ranges", {"start": "2027-02-06", "end": "2027-02-13", "name": "春节", "workdays": "2027-02-10"},
     "workdays", "在放假期间内"),
    ("/calendar/ranges", {"start": "2027-02-06", "end": "2027-02-13", "name": "春节", "workdays": "2027-02-2x"},
     "workdays", "不是有效日期"),
    ("/calendar/ranges", {"start": "二月六日", "end": "2027-02-13", "name": "春节"}, "start", "不是有效日期"),
    ("/calendar/ranges", {"start": "2027-02-06", "end": "2027-02-13", "name": "春节", "note": "注" * 201},
     "note", "不能超过 200"),
]


@pytest.mark.parametrize("url,data,field,message", BAD_INPUT)
def test_bad_input_is_refused_with_a_field_error_and_changes_nothing(platform, url, data, field, message):
    client = client_for(platform, "admin")
    enter(platform, "2027-02-08", "workday")
    before = calendar_state(platform)
    response = client.post(url, data={**data, "year": "2027"})
    assert response.status_code == 422
    page = response.get_data(True)
    error = re.search(rf'id="error-{field}">([^<]*)<', page)
    assert error and message in error.group(1)
    assert calendar_state(platform) == before


@pytest.mark.parametrize("method,url,status", [
    ("get", "/calendar/?year=abc", 400), ("get", "/calendar/?year=3000", 400),
    ("post", "/calendar/overrides/2027-13-01/delete", 400), ("post", "/calendar/overrides/2027-05-05/delete", 404),
    ("post", "/calendar/years/1066", 400), ("post", "/calendar/recompute?x=1", 409),
])
def test_bad_addresses_answer_4xx_in_chinese_and_change_nothing(sqlite_platform, method, url, status):
    client = client_for(sqlite_platform, "admin")
    before = calendar_state(sqlite_platform)
    response = getattr(client, method)(url, data={"token": "stale", "case_id": "1"} if "recompute" in url else {})
    assert response.status_code == status
    assert re.search(r"[\u4e00-\u9fff]", re.search(r'id="error-message">(.*?)</div>', response.get_data(True),
                                                   re.S).group(1))
    assert calendar_state(sqlite_platform) == before


def test_a_form_without_its_csrf_token_is_refused(sqlite_platform):
    client = client_for(sqlite_platform, "admin", csrf=True)
    before = calendar_state(sqlite_platform)
    response = client.post("/calendar/overrides", data={"date": "2027-01-01", "kind": "holiday"})
    assert response.status_code == 400 and "CSRF" in response.get_data(True)
    assert calendar_state(sqlite_platform) == before
    token = csrf_of(client.get("/calendar/?year=2027").get_data(True))
    client.post("/calendar/overrides", data={"date": "2027-01-01", "kind": "holiday", "csrf_token": token})
    assert overrides(sqlite_platform) == {"2027-01-01": ("holiday", "")}


@pytest.mark.parametrize("today,user,warned", [
    ("2026-11-30T09:00:00", "admin", True), ("2026-11-01T00:00:00", "admin", True),
    ("2026-10-31T23:00:00", "admin", False), ("2026-11-30T09:00:00", "unit", False),
    ("2026-11-30T09:00:00", "office", False),
])
def test_admins_see_a_warning_from_1_november_while_next_year_has_no_schedule(sqlite_platform, today, user, warned):
    platform = sqlite_platform.at(Clock(today))
    client = client_for(platform, user)
    for url in ("/inbox/", "/calendar/", "/ledger/"):
        page = client.get(url).get_data(True)
        assert ('id="calendar-warning"' in page) is warned, url
        assert ("2027 年的节假日安排尚未录入" in page) is warned
    if warned:
        admin = client_for(platform, "admin")
        admin.post("/calendar/years/2027", data={"entered": "1"})
        assert 'id="calendar-warning"' not in client.get("/inbox/").get_data(True)
        admin.post("/calendar/years/2027", data={"entered": "0"})
        assert 'id="calendar-warning"' in client.get("/inbox/").get_data(True)


# --- the JSON API -----------------------------------------------------------------------------------


class Api:
    def __init__(self, platform):
        self.platform, self.tokens = platform, {}
        self.client = create_app({"PLATFORM": platform, "SECRET_KEY": "x", "TESTING": True}).test_client()

    def headers(self, user):
        if user not in self.tokens:
            with self.platform.db.transaction() as session:
                self.tokens[user] = issue_token(session, user, self.platform.clock())
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def __call__(self, method, user, url, body=None, data=None):
        kwargs = {"data": data, "content_type": "application/json"} if data is not None else {"json": body}
        return getattr(self.client, method)(url, headers=self.headers(user), **kwargs)


def test_api_reads_a_year_and_admins_edit_it(platform):
    api = Api(platform)
    new_year = {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}
    response = api("post", "admin", "/api/calendar/overrides", new_year)
    assert response.status_code == 201 and response.get_json()["saved"] == 1
    response = api("post", "admin", "/api/calendar/overrides", {
        "overrides": [{"date": "2027-02-20", "kind": "workday", "name": "春节"},
                      {"date": "2027-02-22", "kind": "休", "name": "春节"}], "scheduled_years": [2027]})
    assert response.status_code == 201 and response.get_json()["scheduled_years"] == [2027]

    year = api("get", "unit", "/api/calendar/2027").get_json()
    assert (year["year"], year["official"], year["entered"], year["scheduled"]) == (2027, False, True, True)
    assert len(year["days"]) == 365
    days = {d["date"]: d for d in year["days"]}
    assert days["2027-01-01"] == {"date": "2027-01-01", "kind": "holiday", "working": False, "name": "元旦",
                                  "override": "holiday"}
    assert days["2027-02-20"]["working"] and days["2027-02-20"]["kind"] == "makeup"
    assert not days["2027-02-22"]["working"]
    assert [o["date"] for o in year["overrides"]] == ["2027-01-01", "2027-02-20", "2027-02-22"]
    assert year["overrides"][0]["updated_by"] == "admin"
    official = api("get", "unit", "/api/calendar/2026").get_json()
    assert official["official"] and {d["date"]: d for d in official["days"]}["2026-10-01"]["name"] == "国庆节"

    assert api("delete", "admin", "/api/calendar/overrides/2027-01-01").get_json() == {"removed": 1}
    response = api("delete", "admin", "/api/calendar/overrides", {"dates": ["2027-02-20", "2027-02-22"]})
    assert response.get_json() == {"removed": 2}
    assert api("post", "admin", "/api/calendar/years/2027", {"entered": False}).get_json()["entered"] is False
    assert calendar_state(platform)[:2] == ([], [])


@pytest.mark.parametrize("method,url,body,status,field", [
    ("post", "/api/calendar/overrides", {"date": "2027-02-30", "kind": "holiday"}, 422, "date"),
    ("post", "/api/calendar/overrides", {"date": "2027-02-01", "kind": "later"}, 422, "kind"),
    ("post", "/api/calendar/overrides", {"overrides": [{"date": "2027-02-01", "kind": "holiday"},
                                                       {"date": "2027-02-31", "kind": "holiday"}]},
     422, "第 2 行 date"),
    ("post", "/api/calendar/overrides", {"overrides": [{"date": "2027-02-01", "kind": "holiday"}],
                                         "scheduled_years": [1800]}, 422, "scheduled_years"),
    ("post", "/api/calendar/overrides", "[1, 2]", 400, None),
    ("post", "/api/calendar/overrides", "{not json", 400, None),
    ("delete", "/api/calendar/overrides/2027-03-03", None, 404, None),
    ("delete", "/api/calendar/overrides", {"dates": ["2027-01-08", "2027-03-03"]}, 404, None),
    ("delete", "/api/calendar/overrides/2027-3-x", None, 422, "date"),
    ("delete", "/api/calendar/overrides", {}, 400, None),
    ("post", "/api/calendar/years/20x7", {"entered": True}, 400, None),
    ("post", "/api/calendar/years/2027", {"entered": "yes"}, 422, "entered"),
    ("get", "/api/calendar/1900", None, 400, None),
])
def test_api_refuses_bad_input_in_json_and_changes_nothing(platform, method, url, body, status, field):
    api = Api(platform)
    enter(platform, "2027-01-08", "holiday")
    before = calendar_state(platform)
    raw = body if isinstance(body, str) else None
    response = api(method, "admin", url, None if raw else body, data=raw)
    assert response.status_code == status
    payload = response.get_json()
    assert set(payload) >= {"error", "message"} and re.search(r"[\u4e00-\u9fff]", payload["message"])
    if field:
        assert field in payload["errors"]
    assert calendar_state(platform) == before


def test_api_edits_need_an_admin_token(sqlite_platform):
    api = Api(sqlite_platform)
    before = calendar_state(sqlite_platform)
    for method, url, body in [("post", "/api/calendar/overrides", {"date": "2027-01-01", "kind": "holiday"}),
                              ("delete", "/api/calendar/overrides/2027-01-01", None),
                              ("post", "/api/calendar/years/2027", {"entered": True})]:
        assert api(method, "office", url, body).status_code == 403
        assert getattr(api.client, method)(url, json=body).status_code == 401
    assert api.client.get("/api/calendar/2027").status_code == 401
    assert calendar_state(sqlite_platform) == before


# --- the command line -------------------------------------------------------------------------------


def run(capsys, url, *argv):
    code = main(["--database-url", url, "calendar", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_command_line_sets_lists_imports_marks_and_removes(platform, tmp_path, capsys):
    url = platform.db.url
    code, out, _ = run(capsys, url, "set", "2027-01-01", "holiday", "--name", "元旦", "--note", "示例")
    assert code == 0 and "已保存 2027-01-01：放假 元旦" in out
    csv_file = tmp_path / "2027.csv"
    csv_file.write_text("日期,类型,名称,备注\n2027-02-06,休,春节,\n2027-02-07,holiday,春节,\n\n"
                        "2027-02-20,班,春节,周六上班\n", "utf-8")
    code, out, _ = run(capsys, url, "import", str(csv_file))
    assert code == 0 and "已导入 3 条调整" in out
    json_file = tmp_path / "2027.json"
    json_file.write_text(json.dumps({"overrides": [{"date": "2027-05-03", "kind": "holiday", "name": "劳动节"}],
                                     "scheduled_years": [2027]}, ensure_ascii=False), "utf-8")
    code, out, _ = run(capsys, url, "import", str(json_file))
    assert code == 0 and "标记 2027 年安排已录入" in out

    code, out, _ = run(capsys, url, "list", "2027")
    assert code == 0 and "2027 年工作日历：已录入" in out
    assert "2027-01-01 周五 放假" in out and "[录入]" in out and "2027-02-20 周六 调休上班" in out
    code, out, _ = run(capsys, url, "list", "2026")
    assert "官方安排" in out and "2026-02-14 周六 调休上班 春节" in out and "[官方]" in out

    assert run(capsys, url, "mark", "2027", "--undo")[0] == 0
    assert run(capsys, url, "remove", "2027-01-01", "2027-05-03")[1].strip() == "已删除 2 条调整"
    state = calendar_state(platform)
    assert [row[0].isoformat() for row in state[0]] == ["2027-02-06", "2027-02-07", "2027-02-20"]
    assert state[0][2][2:] == ("春节", "周六上班", "admin") and state[1] == []


@pytest.mark.parametrize("argv,code,message", [
    (["set", "2027-02-30", "holiday"], 2, "不是有效日期"),
    (["set", "2027-02-01", "vacation"], 2, "类型须为"),
    (["set", "2027-02-01", "holiday", "--as", "unit"], 1, "需要以下角色之一"),
    (["remove", "2027-05-05"], 1, "2027-05-05 没有录入的调整"),
    (["remove", "5/5/2027"], 2, "不是有效日期"),
    (["list", "twenty"], 2, "不是有效年份"),
    (["mark", "1999"], 2, "2000–2100"),
    (["import", "/nonexistent/2027.csv"], 2, "不存在"),
    (["import", "BAD_CSV"], 2, "第 3 行 date"),
    (["import", "NO_HEADER"], 2, "第一行须为列名"),
    (["import", "BAD_JSON"], 2, "不是有效的 JSON"),
])
def test_command_line_refuses_bad_input_in_one_line_and_changes_nothing(sqlite_platform, tmp_path, capsys,
                                                                        argv, code, message):
    files = {"BAD_CSV": "date,kind\n2027-02-06,holiday\n2027-02-29,holiday\n",
             "NO_HEADER": "2027-02-06,holiday\n", "BAD_JSON": '[{"date": "2027-02-06",'}
    if argv[-1] in files:
        (tmp_path / "f.txt").write_text(files[argv[-1]], "utf-8")
        argv = [*argv[:-1], str(tmp_path / "f.txt")]
    before = calendar_state(sqlite_platform)
    got, out, err = run(capsys, sqlite_platform.db.url, *argv)
    assert got == code and message in err and len(err.strip().splitlines()) == 1 and not out
    assert calendar_state(sqlite_platform) == before


# --- recomputing open deadlines ----------------------------------------------------------------------


def case_row(platform, case_id):
    with platform.db.reading() as session:
        case = session.get(RectificationCase, case_id)
        data = session.get(ProcessInstance, case.instance_id).data
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == case.instance_id,
                                                       HumanTask.element_id == "rectify")).first()
        jobs = {j.element_id: as_utc(j.due_at) for j in session.scalars(select(DueJob).where(
            DueJob.instance_id == case.instance_id, DueJob.status == "pending", DueJob.kind == "timer"))}
        events = list(session.scalars(select(Event).where(Event.instance_id == case.instance_id,
                                                          Event.kind == "calendar_recomputed")))
        return case, data, task, jobs, events


def everything(platform) -> tuple:
    with platform.db.reading() as session:
        return (sorted((c.id, c.due_on, c.escalation) for c in session.scalars(select(RectificationCase))),
                sorted((j.id, j.due_at, j.status) for j in session.scalars(select(DueJob))),
                session.scalar(select(func.count()).select_from(Event)),
                sorted((t.id, t.due_at) for t in session.scalars(select(HumanTask))))


def test_recompute_previews_then_moves_open_deadlines_in_one_step(clocked):
    platform, clock = clocked
    _out, soon, _task = open_case(platform, 4)  # due Fri 1 Jan 2027 on the plain calendar
    _out, later, _task = open_case(platform, 10)  # due Mon 11 Jan
    out, done, task = open_case(platform, 4)
    complete(platform, "unit", task.id, RECTIFIED)  # awaiting 核查: no deadline runs
    client = client_for(platform, "admin")
    client.post("/calendar/overrides", data={"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert case_row(platform, soon.id)[0].due_on == date(2027, 1, 1)  # the edit alone moves nothing

    before = everything(platform)
    page = client.get("/calendar/recompute").get_data(True)
    assert everything(platform) == before
    assert "在办案件 2 件" in page
    rows = re.findall(r'<tr data-case-id="(\d+)">', page)
    assert sorted(set(map(int, rows))) == [soon.id, later.id]
    assert soon.case_no in page and "区政数局" in page
    assert "2027-01-01" in page and "2027-01-04" in page and "2027-01-12" in page
    token = re.search(r'name="token" value="([^"]*)"', page).group(1)

    stale = client.post("/calendar/recompute", data={"token": "0" * 32, "case_id": [soon.id, later.id]})
    assert stale.status_code == 409 and "重新预览" in stale.get_data(True)
    assert everything(platform) == before

    response = client.post("/calendar/recompute", data={"token": token, "case_id": [soon.id, later.id]})
    assert response.status_code == 302
    case, data, task, jobs, events = case_row(platform, soon.id)
    assert case.due_on == date(2027, 1, 4)
    assert data["due_on"] == "2027-01-04" and data["due_at"] == "2027-01-04T23:59:59+08:00"
    assert data["handover_at"] == "2027-01-11T23:59:59+08:00"
    assert as_utc(task.due_at) == datetime(2027, 1, 4, 15, 59, 59, tzinfo=UTC)
    assert jobs["rectify_deadline"] == datetime(2027, 1, 4, 15, 59, 59, tzinfo=UTC)
    assert jobs["rectify_handover"] == datetime(2027, 1, 11, 15, 59, 59, tzinfo=UTC)
    assert len(events) == 1 and "整改期限 2027-01-01 → 2027-01-04" in events[0].opinion
    assert case_row(platform, later.id)[0].due_on == date(2027, 1, 12)
    assert case_row(platform, done.id)[4] == []
    assert "按工作日历调整期限" in client.get(f"/instances/{case.instance_id}").get_data(True)
    assert 'id="recompute-none"' in client.get("/calendar/recompute").get_data(True)

    clock.set("2027-01-02T08:00:00")  # the old deadline has passed; the new one has not
    make_worker(platform, worker_id="test").run_once()
    assert case_row(platform, soon.id)[0].escalation != "overdue"
    clock.set("2027-01-05T00:00:01")
    make_worker(platform, worker_id="test").run_once()
    assert case_row(platform, soon.id)[0].escalation == "overdue"


def test_recompute_on_the_command_line_and_only_previewed_cases_move(clocked, capsys):
    platform, _clock = clocked
    _out, first, _task = open_case(platform, 4)
    _out, second, _task = open_case(platform, 4)
    enter(platform, "2027-01-01", "holiday")
    url = platform.db.url
    code, out, _ = run(capsys, url, "recompute")
    assert code == 0 and "在办 2 件，2 件的期限会变化" in out and first.case_no in out
    assert case_row(platform, first.id)[0].due_on == date(2027, 1, 1)

    client = client_for(platform, "admin")
    token = re.search(r'name="token" value="([^"]*)"', client.get("/calendar/recompute").get_data(True)).group(1)
    client.post("/calendar/recompute", data={"token": token, "case_id": [first.id]})
    assert case_row(platform, first.id)[0].due_on == date(2027, 1, 4)
    assert case_row(platform, second.id)[0].due_on == date(2027, 1, 1)

    code, out, _ = run(capsys, url, "recompute", "--apply")
    assert code == 0 and "已重新计算 1 件案件的期限" in out
    assert case_row(platform, second.id)[0].due_on == date(2027, 1, 4)
    with platform.db.reading() as session:
        assert calendar_for(session).is_working_day(date(2027, 1, 4))


def test_a_reminder_already_sent_is_sent_again_for_the_moved_deadline(clocked):
    platform, clock = clocked
    clock.set("2027-01-04T10:00:00")  # a Monday; the plain calendar
    _out, case, _task = open_case(platform, 8)  # 5–8, 11–14 Jan: due Thu 14 Jan, reminded Mon 11 Jan 09:00
    assert case.due_on == date(2027, 1, 14)
    clock.set("2027-01-11T09:00:01")
    make_worker(platform, worker_id="test").run_once()
    assert case_row(platform, case.id)[0].escalation == "reminded"

    enter(platform, "2027-01-05", "holiday")  # due Fri 15 Jan, reminder Tue 12 Jan 09:00
    with platform.db.transaction() as session:
        found = calendar_recompute.preview(platform, session, "admin")
        assert [c.moved for c in found.changes] == [["due_on", "remind_at", "due_at", "handover_at"]]
        calendar_recompute.apply(platform, session, "admin", found.token, {case.id})
    moved, _data, _task, jobs, _events = case_row(platform, case.id)
    assert moved.due_on == date(2027, 1, 15) and moved.escalation is None
    assert jobs["rectify_deadline"] == datetime(2027, 1, 15, 15, 59, 59, tzinfo=UTC)
    assert "rectify_remind" not in jobs  # the diagram's reminder went out; a reminder job stands in

    clock.set("2027-01-12T09:00:01")
    assert make_worker(platform, worker_id="test").run_once() == 1
    assert case_row(platform, case.id)[0].escalation == "reminded"
    with platform.db.reading() as session:
        titles = list(session.scalars(select(Notification.title).where(Notification.kind == "remind",
                                                                       Notification.recipient == "unit")))
    assert len(titles) == 2 and "剩余 3 个工作日" in titles[1]
