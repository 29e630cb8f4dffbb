"""Who may see and do what: every demo role against the inbox, library, ledger and API routes."""

import shutil

import pytest
from sqlalchemy import select

from web import create_app
from workflows.models import PolicyMeasure, RectificationCase
from workflows.platform import Platform
from workflows.tokens import issue_token

from .helpers import CASE, MEASURE, RECTIFIED, complete, start, task_of

ROLES = ["admin", "office", "leader", "drafter", "inspector", "unit", "unit2"]
ALL_200 = dict.fromkeys(ROLES, 200)


def only(status: int, *users: str, others: int = 403) -> dict[str, int]:
    return {role: status if role in users else others for role in ROLES}


# name: (method, path, body, expected status by role). {task} and {instance} are a case of gov_data
# (unit's unit); {fresh_task} is a new case's task for routes that change it; {measure} is filed.
ROUTES = {
    "inbox todo": ("GET", "/inbox/", None, ALL_200),
    "inbox done": ("GET", "/inbox/done", None, ALL_200),
    "inbox started": ("GET", "/inbox/started", None, ALL_200),
    "inbox claim": ("POST", "/inbox/tasks/{fresh_task}/claim", None, only(302, "unit")),
    "library": ("GET", "/library/?q=一日办结", None, ALL_200),
    "library measure": ("GET", "/library/{measure}", None, ALL_200),
    "library unknown": ("GET", "/library/999999", None, dict.fromkeys(ROLES, 404)),
    "ledger": ("GET", "/ledger/?overdue=1", None, ALL_200),
    "ledger export": ("GET", "/ledger/export.xlsx", None, ALL_200),
    "api tasks": ("GET", "/api/tasks", None, ALL_200),
    "api task": ("GET", "/api/tasks/{task}", None, only(200, "unit")),
    "api task unknown": ("GET", "/api/tasks/999999", None, dict.fromkeys(ROLES, 404)),
    "api complete": ("POST", "/api/tasks/{fresh_task}/complete", RECTIFIED, only(200, "unit")),
    "api start case": ("POST", "/api/processes/rectification/instances", CASE, only(201, "inspector")),
    "api start measure": ("POST", "/api/processes/policy_measure/instances", MEASURE, only(201, "drafter")),
    "api instance": ("GET", "/api/instances/{instance}", None, only(200, "admin", "office", "inspector", "unit")),
    "api instance unknown": ("GET", "/api/instances/999999", None, dict.fromkeys(ROLES, 404)),
    "api ledger": ("GET", "/api/ledger", None, ALL_200),
    "api library": ("GET", "/api/library?q=一日办结", None, ALL_200),
}


class World:
    """One SQLite database for the whole table: a case of gov_data, a filed measure, a client per role."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self.app = create_app({"PLATFORM": platform, "SECRET_KEY": "access", "TESTING": True,
                               "WTF_CSRF_ENABLED": False})
        out = start(platform, "inspector", "rectification", CASE)
        self.case = {"task": task_of(out, "rectify"), "instance": out.instance_id}
        out = start(platform, "drafter", "policy_measure", MEASURE)
        out = complete(platform, "leader", task_of(out, "leader_approve"), {"decision": "approve"})
        complete(platform, "office", task_of(out, "office_file"),
                 {"doc_number": "营商办〔2026〕1号", "filed_on": "2026-11-20"})
        with platform.db.reading() as session:
            self.case["measure"] = session.scalars(select(PolicyMeasure.id)).one()
            self.case["case"] = session.scalars(select(RectificationCase.id)).one()
        self.clients: dict[str, object] = {}
        self.tokens: dict[str, str] = {}

    def ids(self) -> dict:
        world = self

        class Ids(dict):
            def __missing__(self, key):
                if key == "fresh_task":
                    return task_of(start(world.platform, "inspector", "rectification", CASE), "rectify")
                raise KeyError(key)

        return Ids(self.case)

    def client_of(self, role: str):
        """A browser session logged in as `role`."""
        if role not in self.clients:
            client = self.app.test_client()
            assert client.post("/login", data={"username": role, "password": "demo12345"}).status_code == 302
            self.clients[role] = client
        return self.clients[role]

    def bearer(self, role: str) -> dict:
        if role not in self.tokens:
            with self.platform.db.transaction() as session:
                self.tokens[role] = issue_token(session, role, self.platform.clock())
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def call(self, role: str | None, method: str, path: str, body):
        url = path.format_map(self.ids())
        if url.startswith("/api/"):
            headers = self.bearer(role) if role else {}
            return self.app.test_client().open(url, method=method, json=body, headers=headers)
        client = self.client_of(role) if role else self.app.test_client()
        return client.open(url, method=method, data=body)


@pytest.fixture(scope="module")
def world(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("access") / "db.sqlite3"
    shutil.copy(sqlite_template, path)
    platform = Platform(f"sqlite:///{path}")
    yield World(platform)
    platform.db.dispose()


@pytest.mark.parametrize("route,role", [(route, role) for route in ROUTES for role in ROLES])
def test_role_may_see_and_do(world, route, role):
    method, path, body, expected = ROUTES[route]
    response = world.call(role, method, path, body)
    assert response.status_code == expected[role], response.get_data(as_text=True)[:300]
    if path.startswith("/api/"):
        assert response.is_json


@pytest.mark.parametrize("route", list(ROUTES))
def test_nobody_logged_in_goes_to_login_or_gets_401(world, route):
    method, path, body, _expected = ROUTES[route]
    response = world.call(None, method, path, body)
    if path.startswith("/api/"):
        assert response.status_code == 401 and response.json["error"] == "Unauthorized"
    else:
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role,sees", [("admin", True), ("office", True), ("inspector", True), ("unit", True),
                                       ("unit2", False), ("leader", False), ("drafter", False)])
def test_ledger_shows_a_case_to_overseers_and_its_unit_only(world, role, sees):
    page = world.call(role, "GET", "/ledger/", None).get_data(as_text=True)
    assert (f'data-case-id="{world.case["case"]}"' in page) is sees
    assert (CASE["description"] in page) is sees
    cases = world.call(role, "GET", "/api/ledger", None).json["cases"]
    assert (world.case["case"] in [c["id"] for c in cases]) is sees


@pytest.mark.parametrize("role,filter_shown", [("office", True), ("inspector", True), ("unit", False)])
def test_unit_filter_is_for_overseers(world, role, filter_shown):
    page = world.call(role, "GET", "/ledger/", None).get_data(as_text=True)
    assert ('name="unit"' in page) is filter_shown


@pytest.mark.parametrize("role", ROLES)
def test_navigation_offers_library_and_ledger_to_everyone(world, role):
    page = world.call(role, "GET", "/inbox/", None).get_data(as_text=True)
    assert 'href="/library/"' in page and 'href="/ledger/"' in page


def test_language_is_chosen_with_lang_and_kept_in_the_session(world):
    client = world.app.test_client()
    client.post("/login", data={"username": "office", "password": "demo12345"})
    assert "整改台账" in client.get("/ledger/").get_data(as_text=True)
    english = client.get("/ledger/?lang=en").get_data(as_text=True)
    assert "Rectification ledger" in english and "Policy library" in english and "To-do" in english
    assert "Search" in client.get("/library/").get_data(as_text=True)
    assert "Overdue only" in client.get("/inbox/").get_data(as_text=True)
    assert "政策库" in client.get("/library/?lang=zh_CN").get_data(as_text=True)
    assert "政策库" in client.get("/library/?lang=xx").get_data(as_text=True)
