"""Who gets what from the task, start, instance and attachment pages, on SQLite and PostgreSQL."""

from io import BytesIO

import pytest
from werkzeug.datastructures import MultiDict

from web import create_app
from workflows.attachments import Upload, submit_task_form

from .conftest import BACKENDS, make_platform
from .helpers import CASE, MEASURE, RECTIFIED, start, task_of

ROLES = ["admin", "office", "leader", "drafter", "inspector", "unit", "unit_head", "unit2", "discipline"]
MEASURE_PEOPLE = ("admin", "office", "leader", "drafter")
CASE_PEOPLE = ("admin", "office", "inspector", "unit", "unit_head", "discipline")


def only(status: int, *users: str, others: int = 403) -> dict[str, int]:
    return {role: status if role in users else others for role in ROLES}


# name: (path, expected status by role). {measure} waits for the leader; {case} waits for the inspector's
# 核查 and holds {file}; {rectify} is another case of the unit, waiting for its 整改.
ROUTES = {
    "start measure": ("/start/policy_measure", only(200, "drafter")),
    "start case": ("/start/rectification", only(200, "inspector")),
    "leader's task": ("/tasks/{leader_task}", only(200, "leader")),
    "unit's task": ("/tasks/{rectify}", only(200, "unit", "unit_head")),
    "inspector's task": ("/tasks/{verify}", only(200, "inspector")),
    "unknown task": ("/tasks/999999", dict.fromkeys(ROLES, 404)),
    "measure": ("/instances/{measure}", only(200, *MEASURE_PEOPLE)),
    "measure diagram": ("/instances/{measure}/diagram.xml", only(200, *MEASURE_PEOPLE)),
    "case": ("/instances/{case}", only(200, *CASE_PEOPLE)),
    "case diagram": ("/instances/{case}/diagram.xml", only(200, *CASE_PEOPLE)),
    "unknown instance": ("/instances/999999", dict.fromkeys(ROLES, 404)),
    "evidence file": ("/attachments/{file}", only(200, *CASE_PEOPLE)),
    "unknown file": ("/attachments/999999", dict.fromkeys(ROLES, 404)),
}


class World:
    """One database per backend for the whole table, and a logged-in client per role."""

    def __init__(self, platform):
        self.platform = platform
        self.app = create_app({"PLATFORM": platform, "SECRET_KEY": "t", "TESTING": True,
                               "WTF_CSRF_ENABLED": False})
        out = start(platform, "drafter", "policy_measure", MEASURE)
        self.ids = {"measure": out.instance_id, "leader_task": task_of(out, "leader_approve")}
        out = start(platform, "inspector", "rectification", CASE)
        self.ids["case"] = out.instance_id
        with platform.db.transaction() as session:
            out = submit_task_form(platform, session, "unit", task_of(out, "rectify"), MultiDict(RECTIFIED),
                                   {"attachments": [Upload("现场照片.png", b"\x89PNG\r\n\x1a\n" + bytes(32))]},
                                   max_bytes=1024)
        self.ids.update(verify=task_of(out, "verify"), file=out.data["attachments"][0])
        self.ids["rectify"] = task_of(start(platform, "inspector", "rectification", CASE), "rectify")
        self.clients = {}

    def get(self, role: str | None, path: str):
        if role is None:
            return self.app.test_client().get(path.format_map(self.ids))
        if role not in self.clients:
            client = self.app.test_client()
            assert client.post("/login", data={"username": role, "password": "demo12345"}).status_code == 302
            self.clients[role] = client
        return self.clients[role].get(path.format_map(self.ids))


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    platform = make_platform(request.param, request, tmp_path_factory.mktemp("task-access"))
    yield World(platform)
    platform.db.dispose()


@pytest.mark.parametrize("route,role", [(route, role) for route in ROUTES for role in ROLES])
def test_role_gets(world, route, role):
    path, expected = ROUTES[route]
    response = world.get(role, path)
    assert response.status_code == expected[role], response.get_data(as_text=True)[:300]
    if response.status_code != 200:
        body = response.get_data()
        # the file's own signature, not the letters: a random form token may spell "PNG"
        assert CASE["description"].encode() not in body and MEASURE["content"].encode() not in body
        assert b"\x89PNG" not in body


@pytest.mark.parametrize("route", list(ROUTES))
def test_nobody_logged_in_goes_to_login(world, route):
    response = world.get(None, ROUTES[route][0])
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unit2_does_not_see_the_units_task_in_the_inbox(world):
    rectify = f'data-task-id="{world.ids["rectify"]}"'
    assert rectify in world.get("unit", "/inbox/").get_data(as_text=True)
    assert rectify not in world.get("unit2", "/inbox/").get_data(as_text=True)


def test_diagram_xml_is_the_definition_version_of_the_instance(world):
    response = world.get("inspector", "/instances/{case}/diagram.xml")
    assert response.mimetype == "application/xml" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert b'<bpmn:userTask id="verify"' in response.data
    page = world.get("inspector", "/instances/{case}").get_data(as_text=True)
    assert 'id="diagram"' in page and "bpmn-navigated-viewer.production.min.js" in page and "js/diagram.js" in page
    assert "&#34;rectify&#34;" in page  # the finished 整改, marked done
    assert "区政数局" in page and "明察暗访" in page and "赵强" in page  # codes shown as names


def test_file_content_is_served_only_as_a_download(world):
    response = world.get("unit", "/attachments/{file}")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert BytesIO(response.data).read(4) == b"\x89PNG"
