"""The task page and the start pages through the Flask test client: forms, refusals, conflicts, CSRF."""

import re
import threading
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from sqlalchemy import select

from engine.models import HumanTask, ProcessInstance
from web import create_app

from .browser.conftest import LiveServer
from .helpers import MEASURE, complete, snapshot, start, task_of

FILED = {"doc_number": "营商办〔2026〕7号", "filed_on": "2026-11-20"}


def make_app(platform, **config):
    return create_app({"PLATFORM": platform, "SECRET_KEY": "t", "TESTING": True, "WTF_CSRF_ENABLED": False,
                       **config})


def logged_in(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "demo12345"}).status_code == 302
    return client


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def at_office(platform) -> int:
    """A measure the leader approved, waiting for the office to file it; returns the filing task."""
    out = start(platform, "drafter", "policy_measure", MEASURE)
    out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve"})
    return task_of(out, "office_file")


def test_task_page_shows_form_data_history_and_version(platform):
    out = start(platform, "drafter", "policy_measure", MEASURE)
    task = task_of(out, "leader_approve")
    page = logged_in(make_app(platform), "leader").get(f"/tasks/{task}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="decision"' in html and 'value="approve"' in html and 'name="opinion"' in html
    assert f'name="expected_version" value="{out.version}"' in html
    assert 'name="csrf_token"' in html
    text = page_text(page)
    assert MEASURE["title"] in text and "开办企业指标组" in text and "区市场监管局" in text
    assert "张婷 发起" in text  # the drafter by her Chinese name, not her login


def test_return_with_opinion_then_drafter_sees_it_and_a_prefilled_form(platform):
    out = start(platform, "drafter", "policy_measure", MEASURE)
    app = make_app(platform)
    leader = logged_in(app, "leader")
    response = leader.post(f"/tasks/{task_of(out, 'leader_approve')}",
                           data={"decision": "return", "opinion": "请补充制定依据", "expected_version": out.version})
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox/")
    assert "已提交办理" in page_text(leader.get("/inbox/"))
    with platform.db.reading() as session:
        revise = session.scalars(select(HumanTask).where(HumanTask.element_id == "revise")).one()
    page = logged_in(app, "drafter").get(f"/tasks/{revise.id}")
    text, html = page_text(page), page.get_data(as_text=True)
    assert "周建华" in text and "退回修改" in text and "请补充制定依据" in text
    assert f'value="{MEASURE["title"]}"' in html  # revise starts from the measure as drafted
    assert 'value="start_business" selected' in html
    assert "请补充制定依据</textarea>" not in html  # the leader's opinion is not the drafter's 修改说明


def test_form_failing_its_schema_is_422_with_messages_and_saves_nothing(platform):
    task = at_office(platform)
    client = logged_in(make_app(platform), "office")
    before = snapshot(platform)
    response = client.post(f"/tasks/{task}", data={"doc_number": "x", "filed_on": "20-11-2026"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="err-doc_number">至少 3 个字', html)
    assert re.search(r'id="err-filed_on">日期格式应为 YYYY-MM-DD', html)
    assert 'value="x"' in html  # what was typed is kept
    assert snapshot(platform) == before


def test_conditional_opinion_is_required_when_returning(platform):
    out = start(platform, "drafter", "policy_measure", MEASURE)
    before = snapshot(platform)
    response = logged_in(make_app(platform), "leader").post(f"/tasks/{task_of(out, 'leader_approve')}",
                                                            data={"decision": "reject"})
    assert response.status_code == 422 and 'id="err-opinion">必填' in response.get_data(as_text=True)
    assert snapshot(platform) == before


def test_second_submit_is_409_with_who_and_applied_once(platform):
    task = at_office(platform)
    app = make_app(platform)
    office, admin = logged_in(app, "office"), logged_in(app, "admin")
    version = _version(platform, task)
    assert office.post(f"/tasks/{task}", data={**FILED, "expected_version": version}).status_code == 302
    before = snapshot(platform)
    late = admin.post(f"/tasks/{task}", data={**FILED, "expected_version": version})
    assert late.status_code == 409
    assert re.search(r"该任务已由 李娜 于 \d{4}-\d\d-\d\d \d\d:\d\d 办理", page_text(late))
    assert 'id="task-form"' not in late.get_data(as_text=True)
    assert snapshot(platform) == before


def test_stale_version_is_refused_and_the_page_offers_the_fresh_one(platform):
    task = at_office(platform)
    before = snapshot(platform)
    response = logged_in(make_app(platform), "office").post(
        f"/tasks/{task}", data={**FILED, "expected_version": _version(platform, task) - 1})
    assert response.status_code == 409 and "已被他人更新" in page_text(response)
    assert f'name="expected_version" value="{_version(platform, task)}"' in response.get_data(as_text=True)
    assert snapshot(platform) == before


def test_unknown_task_is_404_and_someone_elses_is_403(sqlite_platform):
    out = start(sqlite_platform, "drafter", "policy_measure", MEASURE)
    app = make_app(sqlite_platform)
    assert logged_in(app, "leader").get("/tasks/999999").status_code == 404
    before = snapshot(sqlite_platform)
    unit = logged_in(app, "unit")
    task = task_of(out, "leader_approve")
    assert unit.get(f"/tasks/{task}").status_code == 403
    response = unit.post(f"/tasks/{task}", data={"decision": "approve"})
    assert response.status_code == 403 and "无权" in page_text(response)
    assert snapshot(sqlite_platform) == before


def test_post_without_csrf_token_is_refused(sqlite_platform):
    task = at_office(sqlite_platform)
    app = create_app({"PLATFORM": sqlite_platform, "SECRET_KEY": "t", "TESTING": True})
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    assert client.post("/login", data={"username": "office", "password": "demo12345",
                                       "csrf_token": token}).status_code == 302
    before = snapshot(sqlite_platform)
    response = client.post(f"/tasks/{task}", data=FILED)
    assert response.status_code == 400 and "CSRF" in page_text(response)
    assert snapshot(sqlite_platform) == before
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/tasks/{task}").get_data(as_text=True))[1]
    assert client.post(f"/tasks/{task}", data={**FILED, "csrf_token": token}).status_code == 302


def test_drafter_starts_a_measure_and_lands_on_its_page(platform):
    client = logged_in(make_app(platform), "drafter")
    assert 'href="/start/policy_measure"' in client.get("/inbox/").get_data(as_text=True)
    before = snapshot(platform)
    refused = client.post("/start/policy_measure", data={**MEASURE, "content": "太短"})
    assert refused.status_code == 422 and 'id="err-content">至少 10 个字' in refused.get_data(as_text=True)
    assert snapshot(platform) == before
    response = client.post("/start/policy_measure", data=MEASURE)
    assert response.status_code == 302 and "/instances/" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "组长审批" in page_text(page) and "开办企业指标组 · 组长" in page_text(page)


def test_drafter_of_another_groups_lead_unit_is_refused_with_the_form_kept(sqlite_platform):
    client = logged_in(make_app(sqlite_platform), "drafter")
    before = snapshot(sqlite_platform)
    response = client.post("/start/policy_measure", data={**MEASURE, "group_code": "taxation"})
    assert response.status_code == 403 and "牵头单位" in page_text(response)
    assert f'value="{MEASURE["title"]}"' in response.get_data(as_text=True)
    assert snapshot(sqlite_platform) == before


@pytest.mark.parametrize("username,path,status", [
    ("drafter", "/start/policy_measure", 200), ("inspector", "/start/policy_measure", 403),
    ("unit", "/start/policy_measure", 403), ("inspector", "/start/rectification", 200),
    ("drafter", "/start/rectification", 403), ("unit", "/start/rectification", 403),
])
def test_start_pages_are_for_their_roles(sqlite_platform, username, path, status):
    client = logged_in(make_app(sqlite_platform), username)
    assert client.get(path).status_code == status
    nav = client.get("/inbox/").get_data(as_text=True)
    assert (f'href="{path}"' in nav) is (status == 200)


def test_two_people_filing_at_once_over_http_exactly_one_wins(pg_platform):
    task = at_office(pg_platform)
    app = create_app({"PLATFORM": pg_platform, "SECRET_KEY": "race", "TESTING": True})
    with LiveServer(app) as server:
        people = [_HttpPerson(server.url, name) for name in ("office", "admin")]
        forms = [p.task_form(task) for p in people]
        barrier, results = threading.Barrier(2), {}

        def submit(person, form):
            barrier.wait()
            results[person.username] = person.post(f"/tasks/{task}", {**form, **FILED})

        threads = [threading.Thread(target=submit, args=pair) for pair in zip(people, forms, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    statuses = sorted(status for status, _body in results.values())
    assert statuses == [302, 409], results
    loser = next(body for status, body in results.values() if status == 409)
    assert "已由" in loser
    with pg_platform.db.reading() as session:
        row = session.get(HumanTask, task)
        assert row.status == "completed" and row.completed_by in ("office", "admin")
        instance = session.get(ProcessInstance, row.instance_id)
        assert (instance.status, instance.end_event) == ("completed", "filed")


def _version(platform, task_id: int) -> int:
    with platform.db.reading() as session:
        return session.get(ProcessInstance, session.get(HumanTask, task_id).instance_id).version


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class _HttpPerson:
    """A person with their own cookies, talking real HTTP to the live server (CSRF on)."""

    def __init__(self, base: str, username: str):
        self.base, self.username = base, username
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect)
        token = self._token(self.get("/login")[1])
        status, _body = self.post("/login", {"username": username, "password": "demo12345", "csrf_token": token})
        assert status == 302

    def _token(self, html: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def task_form(self, task_id: int) -> dict:
        status, html = self.get(f"/tasks/{task_id}")
        assert status == 200
        version = re.search(r'name="expected_version" value="(\d+)"', html)[1]
        return {"csrf_token": self._token(html), "expected_version": version}

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()
