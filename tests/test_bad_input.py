"""Hostile input to every route, on SQLite and PostgreSQL: a clean 4xx with a message, and nothing changes.

The routes come from the app's URL map, so a new route is covered as soon as it exists — and this
module fails until ROUTES says who may call it, with which ids and which valid body. Each hostile
request is built from a valid one (the right person, real ids, a body the view would accept), so
that a value slipping through would reach the view and show up as a 2xx/3xx or a changed database.
"""

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from functools import cache
from io import BytesIO
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes, urlencode

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text, update

from engine.models import Base, DueJob, ProcessDefinition
from web import create_app
from workflows.calendar_overrides import calendar_for
from workflows.extensions import request_extension
from workflows.models import Attachment, Notification, PolicyMeasure
from workflows.notifications import urge_task
from workflows.org_admin import groups as org_groups
from workflows.org_admin import people as org_people
from workflows.org_admin import units as org_units
from workflows.org_admin.leaving import deactivate_person
from workflows.org_admin.workbook import export_workbook
from workflows.org_admin.workbook_import import plan_import
from workflows.tokens import issue_token

from .conftest import BACKENDS, make_platform
from .helpers import CASE, MEASURE, RECTIFIED, complete, snapshot, start, task_of

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
BIG = 5 * 1024 * 1024  # past MAX_CONTENT_LENGTH (4 MB)
BIG_TEXT = "a" * BIG
# People the World adds to its own unit, one for each organisation route that changes a person.
ORG_PEOPLE = ("bi_person", "bi_delete", "bi_delete2", "bi_rename", "bi_rename2", "bi_inactive", "bi_inactive2",
              "bi_leaver", "bi_leaver2", "bi_mover", "bi_mover2")


@dataclass
class Route:
    """Who calls a route, with which path values, and a body the view would accept."""

    user: str | None  # None: nobody logged in
    args: dict = field(default_factory=dict)  # path values; callables take the world's ids
    body: str | None = None  # "json", "form", "multipart" or "xml"
    base: dict | None = None  # a valid body (for "multipart", files are (name, bytes) tuples)
    numbers: tuple[str, ...] = ()  # body fields that take whole numbers
    nullable: tuple[str, ...] = ()  # JSON text fields where null is a value (it clears the field)
    typed: bool = False  # the view also checks the JSON type of its flags, lists and objects, and knows its fields


def _ids(key):
    return lambda ids: ids[key]


ROUTES = {
    "index": Route("unit"),
    "static": Route(None, {"filename": "js/diagram.js"}),
    "auth.login": Route(None, body="form", base={"username": "unit", "password": "demo12345"}),
    "auth.logout": Route("unit", body="form", base={"note": "bye"}),
    "inbox.todo": Route("unit"),
    "inbox.done": Route("unit"),
    "inbox.started": Route("inspector"),
    "inbox.claim": Route("unit", {"task_id": _ids("rectify")}, "form", {"note": "签收"}),
    "library.index": Route("unit"),
    "library.show": Route("unit", {"measure_id": _ids("measure")}),
    "ledger.index": Route("inspector"),
    "ledger.export": Route("inspector"),
    "instances.show": Route("unit", {"instance_id": _ids("case")}),
    "instances.diagram": Route("unit", {"instance_id": _ids("case")}),
    "attachments.download": Route("unit", {"attachment_id": _ids("attachment")}),
    "tasks.show": Route("unit", {"task_id": _ids("rectify")}, "multipart",
                        {**RECTIFIED, "upload_attachments": ("证明.png", PNG)},
                        ("expected_version", "attachments")),
    "start.policy_measure": Route("drafter", body="form", base=MEASURE),
    "start.rectification": Route("inspector", body="form", base={**CASE, "deadline_days": "5"},
                                 numbers=("deadline_days",)),
    "deadlines.urge": Route("office", {"task_id": _ids("rectify")}, "form", {"message": "请尽快办理"}),
    "deadlines.extension_request": Route("unit", {"case_id": _ids("case_id")}, "form",
                                         {"extra_days": "3", "reason": "需要更多时间整改到位"}, ("extra_days",)),
    "deadlines.extension_decide": Route("inspector", {"request_id": _ids("extension")}, "form",
                                        {"decision": "approve", "opinion": "同意延期"}),
    "notifications.index": Route("unit"),
    "notifications.read": Route("unit", {"notification_id": _ids("notification")}, "form", {"open": "/inbox/"}),
    "notifications.read_all": Route("unit", body="form", base={"note": "全部已读"}),
    "admin.index": Route("admin"),
    "admin.download": Route("admin", {"definition_id": _ids("definition")}),
    "admin.edit": Route("admin", {"definition_id": _ids("definition")}),
    "admin.new": Route("admin"),
    "admin.upload": Route("admin", body="multipart", base={"file": ("流程.bpmn", b"")}),  # World fills in
    "admin.deploy": Route("admin", body="json", base={"xml": "", "forms": {}, "dry_run": False}, typed=True),
    "admin.preview": Route("admin", body="json", base={"schema": '{"type": "object", "properties": {}}'}),
    "admin.diff": Route("admin", {"key": "rectification"}),
    "admin.migrate": Route("admin", {"definition_id": _ids("definition")}, "form", {"note": "迁移"}),
    "api.tasks": Route("unit"),
    "api.task": Route("unit", {"task_id": _ids("api_rectify")}),
    "api.complete": Route("unit", {"task_id": _ids("api_rectify")}, "json", RECTIFIED, ("expected_version",)),
    "api.claim": Route("unit", {"task_id": _ids("api_rectify")}, "json", {}, ("expected_version",)),
    "api_task_ops.release": Route("unit", {"task_id": _ids("api_rectify")}, "json", {"reason": "请同事办理"},
                                  ("expected_version",), typed=True),
    "task_ops.release": Route("unit", {"task_id": _ids("rectify")}, "form", {"reason": "请同事办理"},
                              ("expected_version",)),
    "api.start": Route("inspector", {"key": "rectification"}, "json", CASE, ("deadline_days",)),
    "api.instance": Route("unit", {"instance_id": _ids("case")}),
    "api.ledger_cases": Route("inspector"),
    "api.library": Route("unit"),
    "api_definitions.create": Route("admin", body="xml"),
    "api_definitions.index": Route("admin"),
    "api_definitions.versions": Route("admin", {"key": "rectification"}),
    # The organisation admin: each record the World made for the route (bi_…), so that its valid
    # request applies once in VALID_ORDER; optional text fields take null to clear them, and the API
    # checks the type of every field (typed).
    "api_org.unit_list": Route("admin"),
    "api_org.unit_create": Route("admin", body="json", base={
        "code": "bi_api_unit", "name": "坏输入接口局", "kind": "bureau", "short_name": "接口局", "head": None,
        "sort_order": 7, "active": True}, numbers=("sort_order",), nullable=("short_name",), typed=True),
    "api_org.unit_get": Route("admin", {"code": _ids("org_unit")}),
    "api_org.unit_update": Route("admin", {"code": _ids("org_unit")}, "json", {
        "name": "坏输入测试局", "short_name": "测试局", "kind": "区直部门", "head": "bi_person", "sort_order": 9,
        "active": True}, ("sort_order",), nullable=("short_name", "head"), typed=True),
    "api_org.group_list": Route("admin"),
    "api_org.group_create": Route("admin", body="json", base={
        "code": "bi_api_group", "name": "坏输入接口组", "kind": "thematic", "lead_unit": "bi_unit",
        "members": ["bi_unit", "finance"], "leader": "bi_person", "sort_order": 3, "active": True},
        numbers=("sort_order",), nullable=("leader",), typed=True),
    "api_org.group_get": Route("admin", {"code": _ids("org_group")}),
    "api_org.group_update": Route("admin", {"code": _ids("org_group")}, "json", {
        "name": "坏输入测试组", "kind": "专题组", "lead_unit": "bi_unit", "members": ["bi_unit"], "leader": None,
        "sort_order": 4, "active": True}, ("sort_order",), typed=True),
    "api_org.person_list": Route("admin"),
    "api_org.person_create": Route("admin", body="json", base={
        "login": "bi_api_new", "name": "接口新人", "unit": "bi_unit", "phone": "13900001111", "email": "xin@example.cn",
        "roles": ["unit_staff"], "member_of": ["bi_group"], "password": "Newcomer2026"},
        nullable=("phone", "email", "password"), typed=True),
    "api_org.person_get": Route("admin", {"username": _ids("org_person")}),
    "api_org.person_update": Route("admin", {"username": _ids("org_person")}, "json", {
        "name": "坏输入测试员", "phone": "13900002222", "email": "ce@example.cn", "roles": ["unit_staff"],
        "member_of": ["bi_group"]}, nullable=("phone", "email"), typed=True),
    "api_org.person_delete": Route("admin", {"username": "bi_delete"}, "json", {}, typed=True),
    "api_org.person_rename": Route("admin", {"username": "bi_rename"}, "json", {"login": "bi_renamed"}, typed=True),
    "api_org.person_activate": Route("admin", {"username": "bi_inactive"}, "json", {}, typed=True),
    "api_org.person_tasks": Route("admin", {"username": _ids("org_person")}),
    "api_org.person_deactivate": Route("admin", {"username": "bi_leaver"}, "json",
                                       {"handovers": {}, "default": "pool"}, nullable=("default",), typed=True),
    "api_org.person_move": Route("admin", {"username": "bi_mover"}, "json",
                                 {"unit": "finance", "handovers": {}, "default": "keep"}, nullable=("default",),
                                 typed=True),
    "api_org.export": Route("admin"),
    "api_org.template": Route("admin"),
    "api_org.import_": Route("admin", body="multipart", base={"file": ("组织机构.xlsx", b"")}),  # World fills in
    "org_units.index": Route("admin"),
    "org_units.new": Route("admin", body="form", base={"code": "bi_page_unit", "name": "坏输入页面局", "kind": "bureau",
                                                       "short_name": "页面局", "head": "", "sort_order": "4"},
                           numbers=("sort_order",)),
    "org_units.edit": Route("admin", {"code": _ids("org_unit")}, "form", {
        "name": "坏输入测试局", "short_name": "页面改", "kind": "bureau", "head": "bi_person", "sort_order": "5"},
        ("sort_order",)),
    "org_units.set_active": Route("admin", {"code": _ids("org_unit")}, "form", {"active": "1"}),
    "org_groups.index": Route("admin"),
    "org_groups.new": Route("admin", body="form", base={
        "code": "bi_page_group", "name": "坏输入页面组", "kind": "thematic", "lead_unit": "bi_unit",
        "members": "bi_unit", "leader_login": "bi_person", "sort_order": "2"}, numbers=("sort_order",)),
    "org_groups.edit": Route("admin", {"code": _ids("org_group")}, "form", {
        "name": "坏输入测试组", "kind": "thematic", "lead_unit": "bi_unit", "members": "bi_unit", "leader_login": "",
        "sort_order": "6"}, ("sort_order",)),
    "org_groups.set_active": Route("admin", {"code": _ids("org_group")}, "form", {"active": "1"}),
    "org_people.index": Route("admin"),
    "org_people.new": Route("admin", body="form", base={
        "login": "bi_page_new", "name": "页面新人", "unit": "bi_unit", "phone": "", "email": "",
        "roles": "unit_staff", "member_of": "bi_group", "password": "Newcomer2026"}),
    "org_people.edit": Route("admin", {"username": _ids("org_person")}, "form", {
        "name": "坏输入测试员", "phone": "13900003333", "email": "", "roles": "unit_staff", "member_of": "bi_group"}),
    "org_people.rename": Route("admin", {"username": "bi_rename2"}, "form", {"login": "bi_renamed2"}),
    "org_people.activate": Route("admin", {"username": "bi_inactive2"}, "form", {"note": "启用"}),
    "org_people.delete": Route("admin", {"username": "bi_delete2"}, "form", {"note": "删除"}),
    "org_departures.leave": Route("admin", {"username": "bi_leaver2"}, "form", {"default": "pool"}),
    "org_departures.move": Route("admin", {"username": "bi_mover2"}, "form", {"unit": "finance", "default": "keep"}),
    "org_workbook.index": Route("admin"),
    "org_workbook.export": Route("admin"),
    "org_workbook.template": Route("admin"),
    "org_workbook.preview": Route("admin", body="multipart", base={"file": ("组织机构.xlsx", b"")}),  # World fills in
    "org_workbook.confirm": Route("admin", body="form", base={"data": "", "digest": ""}),  # World fills in
    "calendar.index": Route("unit"),
    "calendar.save": Route("admin", body="form", base={"date": "2027-01-01", "kind": "holiday", "name": "元旦",
                                                       "note": "示例", "year": "2027"}),
    "calendar.remove": Route("admin", {"day": "2027-01-01"}, "form", {"note": "删除"}),
    "calendar.save_range": Route("admin", body="form", base={"start": "2027-02-06", "end": "2027-02-13",
                                                             "name": "春节", "note": "示例", "workdays": "2027-02-14",
                                                             "year": "2027"}),
    "calendar.mark": Route("admin", {"year": 2027}, "form", {"entered": "1"}),
    "calendar.recompute_preview": Route("admin"),
    "calendar.recompute_apply": Route("admin", body="form", base={"token": ""}),  # World fills in the token
    "api_calendar.year": Route("unit", {"year": "2027"}),
    "api_calendar.save": Route("admin", body="json", base={"date": "2027-01-02", "kind": "holiday", "name": "元旦",
                                                           "note": "示例"}),
    "api_calendar.remove": Route("admin", {"day": "2027-01-02"}, "json", {}),  # the date in the path: no body
    "api_calendar.mark": Route("admin", {"year": "2027"}, "json", {"entered": True}, typed=True),
    "incidents.index": Route("admin"),
    "incidents.retry": Route("admin", {"job_id": _ids("incident")}, "form", {"note": "重试"}),
    "api_incidents.api_index": Route("admin"),
    "api_incidents.api_retry": Route("admin", {"job_id": _ids("api_incident")}, "json", {"note": "邮件服务器已恢复"}),
}

# Path values per converter; every one must be refused (404 for an id that cannot exist).
PATH_VALUES = {
    "IdConverter": ["0", "-1", "2147483648", "99999999999999999999", "%EF%BC%91", "%D9%A3", "1.5", "1e3",
                    "0x10", "+1", "%00", "1%00", "%FF", "%ED%A0%80", "%C0%B1"],
    "UnicodeConverter": ["%00", "a%00b", "%01", "%1F", "%FF", "%C0%AF", "%ED%A0%80", "a" * 5000],
    "PathConverter": ["%00", "js%2F%00.js", "%FF", "%C0%AF", "%ED%A0%80", "a" * 5000],
}
BAD_TEXT = ["%00", "%01", "%1B", "%FF", "%C0%AF", "%ED%A0%80", "%F4%90%80%80"]
QUERIES = [f"x={v}" for v in BAD_TEXT] + ["%00=1", "%FF=1"] + [
    f"{name}={value}" for name in ("page", "per_page", "from", "to")
    for value in ("99999999999999999999", "2147483648", "0", "-1", "1.5", "%EF%BC%91", "true", "", "1e3", "0x1")
] + ["q=" + "a" * 5000]
# The query parameters the views read, each with a NUL: the gate must stop it before any of them.
KNOWN_PARAMS = ["process", "status", "claimed", "overdue", "q", "group", "doc_number", "unit", "source", "indicator",
                "unread", "key", "name", "lang", "next", "migrate"]
HEADERS = [{"X-Trace": "a\x00b"}, {"X-Trace": "a\x01b"}, {"Authorization": "Bearer \x00"},
           {"Accept-Language": "zh\x1f"}, {"If-Match": "\x00"}]
# One of each kind for every route; the whole table goes to one route of each shape (WHOLE_TABLE).
SAMPLES = {"IdConverter": ["0", "2147483648", "99999999999999999999", "%EF%BC%91", "%00", "%FF"],
           "UnicodeConverter": ["%00", "%FF", "%ED%A0%80", "a" * 5000],
           "PathConverter": ["%00", "%FF", "a" * 5000]}
SAMPLE_QUERIES = ["x=%00", "x=%1B", "x=%FF", "x=%ED%A0%80", "page=99999999999999999999", "page=%EF%BC%91",
                  "per_page=1.5", "process=%00", "q=" + "a" * 5000]
SAMPLE_HEADERS = [{"X-Trace": "a\x00b"}, {"Authorization": "Bearer \x01"}]
WHOLE_TABLE = ["api.task", "api.start", "api.tasks", "api_definitions.versions", "tasks.show", "inbox.todo",
               "admin.diff", "static"]


class World:
    """The app over one database with a little of everything, and a client per person."""

    def __init__(self, platform):
        self.platform = platform
        self.app = create_app({"PLATFORM": platform, "SECRET_KEY": "bad-input", "TESTING": True,
                               "WTF_CSRF_ENABLED": False})
        self.clients, self.tokens = {}, {}
        self.ids = self._build()
        for user in {route.user for name, route in ROUTES.items() if name.startswith("api") and route.user}:
            self.token(user)
        ROUTES["admin.upload"].base = {"file": ("流程.bpmn", self.ids["xml"].encode("utf-8"))}
        ROUTES["admin.deploy"].base = {"xml": self.ids["xml"], "forms": self.ids["forms"], "dry_run": False}
        workbook = ("组织机构.xlsx", self.ids["workbook"])
        ROUTES["api_org.import_"].base = ROUTES["org_workbook.preview"].base = {"file": workbook}
        ROUTES["org_workbook.confirm"].base = {"data": base64.b64encode(self.ids["workbook"]).decode("ascii"),
                                               "digest": self.ids["workbook_digest"]}
        with platform.db.reading() as session:  # the preview's token, as the recompute page posts it
            ROUTES["calendar.recompute_apply"].base = {"token": calendar_for(session).token or ""}

    def _build(self) -> dict:
        platform = self.platform
        case = start(platform, "inspector", "rectification", CASE)
        done = start(platform, "inspector", "rectification", {**CASE, "description": "窗口材料清单未公示"})
        late = start(platform, "inspector", "rectification", {**CASE, "description": "帮办代办服务未落实"})
        api_case = start(platform, "inspector", "rectification", {**CASE, "description": "线上办事指南未更新"})
        client = self.client("unit")
        posted = client.post(f"/tasks/{task_of(done, 'rectify')}", content_type="multipart/form-data",
                             data={**RECTIFIED, "upload_attachments": [(BytesIO(PNG), "窗口照片.png")]})
        assert posted.status_code == 302
        measure = start(platform, "drafter", "policy_measure", MEASURE)
        filed = complete(platform, "leader", task_of(measure, "leader_approve"), {"decision": "approve"})
        complete(platform, "office", task_of(filed, "office_file"), {"doc_number": "营商办〔2026〕9号",
                                                                     "filed_on": "2026-11-20"})
        start(platform, "drafter", "policy_measure", {**MEASURE, "title": "推行涉企经营许可一照通办"})
        with platform.db.transaction() as session:
            urge_task(platform, session, "office", task_of(case, "rectify"), "请尽快办理")
            ext = request_extension(platform, session, "unit", _case_id(session, late.instance_id), 3,
                                    "需要更多时间整改到位")
        with platform.db.transaction() as session:  # two timer jobs that failed for good: incidents
            failed = session.scalars(select(DueJob.id).where(DueJob.instance_id == late.instance_id)
                                     .order_by(DueJob.id).limit(2)).all()
            session.execute(update(DueJob).where(DueJob.id.in_(failed))
                            .values(status="failed", attempts=8, last_error="NameError"))
        org = self._organisation()
        with platform.db.reading() as session:
            return {**org, "case": case.instance_id, "incident": failed[0], "api_incident": failed[1],
                    "rectify": task_of(case, "rectify"),
                    "api_rectify": task_of(api_case, "rectify"),
                    "case_id": _case_id(session, case.instance_id), "extension": ext.id,
                    "attachment": session.scalar(select(func.min(Attachment.id))),
                    "measure": session.scalar(select(func.min(PolicyMeasure.id))),
                    "notification": session.scalar(select(func.min(Notification.id))
                                                   .where(Notification.recipient == "unit")),
                    "definition": session.scalar(select(func.max(ProcessDefinition.id))
                                                 .where(ProcessDefinition.key == "rectification")),
                    "xml": session.scalar(select(ProcessDefinition.bpmn_xml)
                                          .where(ProcessDefinition.key == "rectification")
                                          .order_by(ProcessDefinition.id.desc())),
                    "forms": session.scalar(select(ProcessDefinition.forms)
                                            .where(ProcessDefinition.key == "rectification")
                                            .order_by(ProcessDefinition.id.desc()))}

    def _organisation(self) -> dict:
        """A unit, a group and people of their own for the organisation routes (each person is changed by
        one route: renamed, deleted, reactivated, leaving, moving), and an exported workbook with one
        person added, previewed as the preview page does."""
        platform = self.platform
        with platform.db.transaction() as session:
            org_units.create_unit(platform, session, "admin", {"code": "bi_unit", "name": "坏输入测试局",
                                                                "kind": "bureau"})
            for n, username in enumerate(ORG_PEOPLE):
                org_people.create_person(platform, session, "admin", {"login": username, "name": f"测试员{n}",
                                                                      "unit": "bi_unit", "roles": ["unit_staff"]})
            org_groups.create_group(platform, session, "admin", {"code": "bi_group", "name": "坏输入测试组",
                                                                 "kind": "thematic", "lead_unit": "bi_unit",
                                                                 "members": ["bi_unit"]})
        for username in ("bi_inactive", "bi_inactive2"):
            with platform.db.transaction() as session:
                deactivate_person(platform, session, "admin", username)
        with platform.db.reading() as session:
            book = load_workbook(BytesIO(export_workbook(session)))
        book["人员"].append(["bi_import", "导入新人", "bi_unit", None, None, "单位工作人员", None, "启用"])
        out = BytesIO()
        book.save(out)
        with platform.db.reading() as session:
            plan = plan_import(session, "admin", out.getvalue())
        assert not plan.errors and plan.counts["added"] == 1, plan.errors
        return {"org_unit": "bi_unit", "org_group": "bi_group", "org_person": "bi_person",
                "workbook": out.getvalue(), "workbook_digest": plan.digest}

    def client(self, user: str | None):
        if user not in self.clients:
            client = self.app.test_client()
            if user:
                assert client.post("/login", data={"username": user, "password": "demo12345"}).status_code == 302
            self.clients[user] = client
        return self.clients[user]

    def token(self, user: str) -> str:
        if user not in self.tokens:
            with self.platform.db.transaction() as session:
                self.tokens[user] = issue_token(session, user, self.platform.clock())
        return self.tokens[user]

    def send(self, endpoint: str, method: str, path: str, query: str = "", headers=None, data=None,
             content_type=None, as_anyone: bool = False):
        """One request as a server hands it to the app: PATH_INFO carries the path's raw bytes."""
        route = ROUTES[endpoint]
        headers = dict(headers or {})
        if endpoint.startswith("api") and route.user and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token(route.user)}"
        raw = path + ("?" + query if query else "")
        environ = {"PATH_INFO": unquote_to_bytes(path).decode("latin-1"), "QUERY_STRING": query,
                   "RAW_URI": raw, "REQUEST_URI": raw}
        client = self.client(None if endpoint.startswith("api") or as_anyone else route.user)
        return client.open("/", method=method, headers=headers, data=data, content_type=content_type,
                           environ_overrides=environ)


def _case_id(session, instance_id: int) -> int:
    return session.scalar(text("SELECT id FROM rectification_case WHERE instance_id = :i"), {"i": instance_id})


def fingerprint(platform) -> dict:
    """Every table's row count and the rows of the tables actions write, beside helpers.snapshot."""
    runtime = ("process_instance", "human_task", "event", "due_job", "attachment", "notification",
               "extension_request", "rectification_case", "policy_measure", "process_definition", "unit",
               "work_group", "work_group_member", "app_user", "user_role")
    tables = Base.metadata.tables
    with platform.db.reading() as session:
        counts = {t: session.scalar(select(func.count()).select_from(tables[t])) for t in tables}
        rows = {t: repr(session.execute(select(tables[t]).order_by(*tables[t].primary_key.columns)).all())
                for t in runtime}
    return {"snapshot": snapshot(platform), "counts": counts, "rows": rows}


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    platform = make_platform(request.param, request, tmp_path_factory.mktemp("bad_input"))
    made = World(platform)
    yield made
    platform.db.dispose()


@cache
def rules():
    """The app's URL rules (an app on no database: only its URL map is read)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PLATFORM": object()})
    return app, list(app.url_map.iter_rules())


def _rule_ids():
    return sorted({rule.endpoint for rule in rules()[1]})


def path_of(rule, ids: dict, **override) -> str:
    """The rule's path with valid values, and `override` (raw, percent-encoded) in place of some."""
    route = ROUTES[rule.endpoint]
    values = {name: (value(ids) if callable(value) else value) for name, value in route.args.items()}
    values = {name: quote(str(value), safe="/") for name, value in values.items()} | override
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule)


def methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def assert_refused(world, endpoint: str, response, label: str, before: dict) -> None:
    status = response.status_code
    where = f"{endpoint} {label!r}"
    assert 400 <= status < 500, f"{where}: {status} {response.get_data(as_text=True)[:300]}"
    if endpoint.startswith("api") or response.is_json:
        assert response.is_json, f"{where}: not JSON"
        assert set(response.json) >= {"error", "message"} and response.json["message"], where
        assert re.search(r"[\u4e00-\u9fff]", response.json["message"]), f"{where}: {response.json}"
    else:
        assert response.mimetype == "text/html", where
    assert snapshot(world.platform) == before, where


# --- the table covers the app ------------------------------------------------------------------------


def test_every_route_is_in_the_table_and_every_converter_has_values():
    app, found = rules()
    assert set(ROUTES) == {rule.endpoint for rule in found}, "add the new route to ROUTES"
    for rule in found:
        for converter in rule._converters.values():
            assert type(converter).__name__ in PATH_VALUES, f"{rule.rule}: no hostile values for {converter}"
        if {"POST", "PUT", "PATCH", "DELETE"} & rule.methods:
            assert ROUTES[rule.endpoint].body, f"{rule.rule}: say which body it takes"


# --- the valid requests the hostile ones are made from are accepted ------------------------------------

# Each route's valid body, in an order in which each still applies (the logout last).
VALID_ORDER = ["auth.login", "deadlines.urge", "inbox.claim", "task_ops.release", "notifications.read",
               "notifications.read_all", "deadlines.extension_request", "deadlines.extension_decide",
               "start.policy_measure", "start.rectification", "api.start", "api.claim", "api_task_ops.release",
               "api.complete", "tasks.show", "admin.preview",
               "admin.upload", "admin.deploy", "api_definitions.create", "admin.migrate", "incidents.retry",
               "api_incidents.api_retry", "calendar.recompute_apply", "calendar.save", "calendar.remove",
               "calendar.save_range", "calendar.mark", "api_calendar.save", "api_calendar.remove",
               "api_calendar.mark", "org_workbook.preview", "org_workbook.confirm", "api_org.import_",
               "api_org.unit_create", "api_org.unit_update", "api_org.group_create", "api_org.group_update",
               "api_org.person_create", "api_org.person_update", "api_org.person_rename", "api_org.person_activate",
               "api_org.person_deactivate", "api_org.person_move", "api_org.person_delete", "org_units.new",
               "org_units.edit", "org_units.set_active", "org_groups.new", "org_groups.edit", "org_groups.set_active",
               "org_people.new", "org_people.edit", "org_people.rename", "org_people.activate",
               "org_departures.leave", "org_departures.move", "org_people.delete", "auth.logout"]


def valid_body(route: Route, ids: dict) -> tuple[bytes, str]:
    if route.body == "json":
        return json.dumps(route.base, ensure_ascii=False).encode(), "application/json"
    if route.body == "xml":
        return ids["xml"].encode("utf-8"), "application/xml"
    if route.body == "multipart":
        return multipart_body(route.base)
    return urlencode(route.base).encode(), "application/x-www-form-urlencoded"


def test_the_valid_requests_behind_the_hostile_ones_are_accepted(request, tmp_path):
    assert sorted(VALID_ORDER) == sorted(name for name, route in ROUTES.items() if route.body)
    world = World(make_platform("sqlite", request, tmp_path))
    try:
        for endpoint in VALID_ORDER:
            rule = next(r for r in rules()[1] if r.endpoint == endpoint)
            method = next(m for m in methods(rule) if m != "GET")
            data, content_type = valid_body(ROUTES[endpoint], world.ids)
            response = world.send(endpoint, method, path_of(rule, world.ids), data=data, content_type=content_type)
            assert response.status_code < 400, f"{endpoint}: {response.status_code} {response.get_data(True)[:300]}"
            # Some pages refuse with a redirect and a warning to show on the next page.
            with world.client(ROUTES[endpoint].user).session_transaction() as session:
                warned = [m for category, m in session.pop("_flashes", []) if category == "danger"]
            assert not warned, f"{endpoint}: {warned}"
    finally:
        world.platform.db.dispose()


# --- paths, query strings and headers on every route --------------------------------------------------


def _refuse_all(world, endpoint: str, paths: dict, queries: list[str], headers: list[dict], as_anyone: bool):
    """Send every hostile path, query and header to each method of the endpoint's rules."""
    for rule in [r for r in rules()[1] if r.endpoint == endpoint]:
        for method in methods(rule):
            before = snapshot(world.platform)
            for name, converter in rule._converters.items():
                for value in paths[type(converter).__name__]:
                    response = world.send(endpoint, method, path_of(rule, world.ids, **{name: value}),
                                          as_anyone=as_anyone)
                    assert_refused(world, endpoint, response, f"{method} path {name}={value[:40]}", before)
            good = path_of(rule, world.ids)
            for query in queries:
                response = world.send(endpoint, method, good, query, as_anyone=as_anyone)
                assert_refused(world, endpoint, response, f"{method} ?{query[:40]}", before)
            for header in headers:
                response = world.send(endpoint, method, good, headers=header, as_anyone=as_anyone)
                assert_refused(world, endpoint, response, f"{method} header {header!r}", before)
        other = "PATCH" if "PATCH" not in rule.methods else "PUT"
        response = world.send(endpoint, other, path_of(rule, world.ids), as_anyone=as_anyone)
        assert_refused(world, endpoint, response, f"{other} (not allowed)", snapshot(world.platform))


@pytest.mark.parametrize("endpoint", _rule_ids())
def test_every_route_refuses_each_kind_of_hostile_path_query_and_header(world, endpoint):
    # Pages are asked by nobody logged in: the gate comes before the login check, so a value it let
    # through would be answered with the login page's redirect, not a 4xx. The API needs its token.
    start_state = fingerprint(world.platform)
    _refuse_all(world, endpoint, SAMPLES, SAMPLE_QUERIES, SAMPLE_HEADERS, as_anyone=True)
    assert fingerprint(world.platform) == start_state


@pytest.mark.parametrize("endpoint", WHOLE_TABLE)
def test_the_whole_table_reaches_one_route_of_each_shape(world, endpoint):
    start_state = fingerprint(world.platform)
    _refuse_all(world, endpoint, PATH_VALUES, QUERIES + [f"{name}=%00" for name in KNOWN_PARAMS], HEADERS,
                as_anyone=False)
    assert fingerprint(world.platform) == start_state


# --- bodies on every route that takes one --------------------------------------------------------------


def _json_bodies(base: dict, numbers: tuple[str, ...], nullable: tuple[str, ...] = (), typed: bool = False):
    """(label, raw body, content type, whether the view itself must refuse it) for JSON routes, each a
    valid body with one thing wrong."""
    fields = list(base) or ["x"]
    good = json.dumps(base, ensure_ascii=False)

    def put(n: int, raw_value: str) -> bytes:  # the n-th field (round robin) gets a raw JSON value
        name = fields[n % len(fields)]
        return json.dumps({**base, name: "__V__"}, ensure_ascii=False).replace('"__V__"', raw_value).encode()

    values = ['"a\\u0000b"', '"\\ud800"', '"a\\udfffb"', '"\\u001b[31m"', '"\\u0007"', "NaN", "Infinity", "-Infinity",
              "1e400", "123456789012345678901234567890", "[" * 10000 + "]" * 10000, "[" * 40 + "]" * 40,
              '{"a": ' * 40 + "1" + "}" * 40]
    for n, value in enumerate(values):
        yield f"field {value[:20]}", put(n, value), "application/json", False
    for n, raw in enumerate([b'"\xff"', b'"\xc0\xaf"', b'"\xed\xa0\x80"', b'"\xf4\x90\x80\x80"', b'"\x00"']):
        yield f"bytes {raw!r}", put(n, "__RAW__").replace(b"__RAW__", raw), "application/json", False
    for number in numbers:
        for value in ("2147483648", "99999999999999999999", "1.9", '"１"', "true", "-1", '"1e3"', "[1]"):
            body = json.dumps({**base, number: "__V__"}).replace('"__V__"', value).encode()
            yield f"{number}={value}", body, "application/json", True
    for name in [k for k, v in base.items() if isinstance(v, str)]:  # text fields given other types
        for value in ("true", "1", "[]", "{}") + (() if name in nullable else ("null",)):
            body = json.dumps({**base, name: "__V__"}).replace('"__V__"', value).encode()
            yield f"{name}={value[:12]}", body, "application/json", True
    for name, value in base.items() if typed else ():  # flags, lists and objects given other types
        wrong = (('"true"', "1", "null", "[]") if isinstance(value, bool) else
                 ('"a"', "[1]", "[null]", '[["a"]]', "{}", "true", "null") if isinstance(value, list) else
                 ('"a"', "[]", "1", "null", '{"1": 1}') if isinstance(value, dict) else ())
        for raw in wrong:
            body = json.dumps({**base, name: "__V__"}).replace('"__V__"', raw).encode()
            yield f"{name}={raw}", body, "application/json", True
    if typed:
        yield "unknown field", json.dumps({**base, "no_such_field": "x"}).encode(), "application/json", True
    yield "duplicate key", (f'{{"{fields[0]}": 1, ' + good[1:]).encode(), "application/json", False
    yield "NUL in a key", ('{"a\\u0000": 1, ' + good[1:]).encode(), "application/json", False
    yield "truncated", good[:max(1, len(good) - 3)].encode(), "application/json", False  # "{}" → "{"
    yield "not JSON", b"{not json", "application/json", False
    yield "UTF-8 BOM", b"\xef\xbb\xbf" + good.encode(), "application/json", False
    yield "UTF-16", good.encode("utf-16"), "application/json", False
    for other in ("[]", "1", "null", '"x"', "true"):
        yield f"not an object {other}", other.encode(), "application/json", False
    for wrong in ("text/plain", None, "application/x-www-form-urlencoded", "application/xml", "multipart/form-data"):
        yield f"sent as {wrong}", good.encode(), wrong, False
    yield "too large", json.dumps({**base, fields[0]: BIG_TEXT}).encode(), "application/json", False


def _form_bodies(base: dict, numbers: tuple[str, ...], multipart: bool):
    """(label, raw body, content type, whether the view itself must refuse it) for form routes:
    urlencoded and multipart, one thing wrong each."""
    texts = {k: v for k, v in base.items() if not isinstance(v, tuple)} or {"note": "说明"}
    files = {k: v for k, v in base.items() if isinstance(v, tuple)}
    fields = list(texts)

    def encoded(n: int, raw_value: str) -> bytes:  # urlencoded, the n-th field holding a raw %-escaped value
        name = fields[n % len(fields)]
        return (urlencode({**texts, name: "__V__"}).replace("__V__", raw_value)).encode()

    for n, value in enumerate(BAD_TEXT + ["a%00b", "%7F%00", "%E2%80%AE%00"]):
        yield f"urlencoded {value}", encoded(n, value), "application/x-www-form-urlencoded", False
    yield "NUL in a name", (urlencode(texts) + "&a%00=1").encode(), "application/x-www-form-urlencoded", False
    yield "raw byte 0xFF", (urlencode(texts) + "&x=\xff").encode("latin-1"), "application/x-www-form-urlencoded", \
        False
    for number in numbers:
        for value in ("2147483648", "99999999999999999999", "1.9", "%EF%BC%91", "-1", "0x10", "1_0", "true"):
            body = urlencode({**texts, number: "__V__"}).replace("__V__", value).encode()
            yield f"{number}={value}", body, "application/x-www-form-urlencoded", True
    for n, raw in enumerate([b"a\x00b", b"\x01", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80"]):
        name = fields[n % len(fields)]
        yield f"multipart {raw!r}", *multipart_body({**texts, name: raw, **files}), False
    for n, name in enumerate(["a\x00.png", "\x1b.png"]):
        yield f"file name {name!r}", *multipart_body({**texts, f"upload_{n}": (name, PNG)}), False
    body, ctype = multipart_body({**texts, **files})
    yield "multipart without boundary", body, "multipart/form-data", False
    yield "multipart cut short", body[: len(body) // 2], ctype, False
    yield "multipart with a part without a name", body.replace(b'name="', b'nome="', 1), ctype, False
    good = urlencode(texts).encode()
    for wrong in ("application/json", "text/plain", None, "application/xml"):
        yield f"sent as {wrong}", json.dumps(texts).encode() if wrong == "application/json" else good, wrong, False
    big = {**texts, fields[0]: BIG_TEXT}
    if multipart:  # on the task page a text too long comes back in the form (web.tasks), so ask as its person
        yield "too large (multipart)", *multipart_body({**big, **files}), True
    yield "too large (urlencoded)", urlencode(big).encode(), "application/x-www-form-urlencoded", False


def multipart_body(parts: dict) -> tuple[bytes, str]:
    """A multipart body with `parts` in order; values are text, raw bytes, or (file name, bytes)."""
    boundary = "----ysflow-bad-input"
    chunks = []
    for name, value in parts.items():
        if isinstance(value, tuple):
            head = f'name="{name}"; filename="{value[0]}"\r\nContent-Type: application/octet-stream'.encode()
            content = value[1]
        else:
            head, content = f'name="{name}"'.encode(), value if isinstance(value, bytes) else value.encode()
        chunks += [f"--{boundary}\r\nContent-Disposition: form-data; ".encode(), head, b"\r\n\r\n", content, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _xml_bodies(xml: str):
    yield "XML with NUL", xml.replace("<bpmn:process ", "<bpmn:process \x00", 1).encode(), "application/xml", True
    yield "XML not UTF-8", b"\xff\xfe" + xml.encode(), "application/xml", True
    yield "sent as JSON", json.dumps({"xml": xml}).encode(), "application/json", False
    yield "sent as text", xml.encode(), "text/plain", False
    yield "no type", xml.encode(), None, False
    yield "too large", xml.encode() + b" " * BIG, "application/xml", False


def bodies(route: Route, ids: dict):
    if route.body == "json":
        return _json_bodies(route.base, route.numbers, route.nullable, route.typed)
    if route.body == "xml":
        return _xml_bodies(ids["xml"])
    return _form_bodies(route.base, route.numbers, route.body == "multipart")


@pytest.mark.parametrize("endpoint", [e for e in ROUTES if ROUTES[e].body])
def test_hostile_bodies_are_refused(world, endpoint):
    start_state = fingerprint(world.platform)
    rule = next(r for r in rules()[1] if r.endpoint == endpoint)
    method = next(m for m in methods(rule) if m != "GET")
    for label, data, content_type, by_the_view in bodies(ROUTES[endpoint], world.ids):
        before = snapshot(world.platform)
        # What the gate refuses is sent by nobody logged in: a miss would get the login redirect.
        response = world.send(endpoint, method, path_of(rule, world.ids), data=data, content_type=content_type,
                              as_anyone=not by_the_view)
        assert_refused(world, endpoint, response, label, before)
    assert fingerprint(world.platform) == start_state


def test_unknown_addresses_are_404_in_chinese(world):
    for path in ("/no-such-page", "/tasks/1/no-such-step", "/api/no-such-thing", "/api/tasks/1/no-such-step"):
        before = snapshot(world.platform)
        response = world.client("unit").get(path)
        assert response.status_code == 404 and snapshot(world.platform) == before
        if path.startswith("/api/"):
            assert response.json == {"error": "NotFound", "message": "请求的资源不存在"}
        else:
            assert "页面不存在" in response.get_data(as_text=True)


# --- what still reaches the database ------------------------------------------------------------------


def test_a_value_the_database_refuses_is_a_400_and_not_a_traceback(pg_platform):
    """The last line of defence: a DataError (PostgreSQL refusing a value) is a 400 in Chinese."""
    app = create_app({"PLATFORM": pg_platform, "SECRET_KEY": "x", "TESTING": True})

    @app.route("/api/out-of-range")
    def out_of_range():  # what a view would do with a number no check had bounded
        with pg_platform.db.reading() as session:
            return {"value": session.scalar(text("SELECT CAST(:v AS integer)"), {"v": 2**40})}

    @app.route("/out-of-range")
    def out_of_range_page():
        return out_of_range()

    response = app.test_client().get("/api/out-of-range")
    assert response.status_code == 400 and response.json["error"] == "BadRequest"
    assert "超出允许的范围" in response.json["message"]
    response = app.test_client().get("/out-of-range")
    assert response.status_code == 400 and "超出允许的范围" in response.get_data(as_text=True)


# --- through gunicorn, as the README runs it ------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _raw_request(port: int, head: bytes) -> tuple[int, dict, bytes]:
    """Send a request as written and read the whole answer (the server closes the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    header, _, body = raw.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in fields.items()}, body


@pytest.fixture
def gunicorn_app(request, tmp_path):
    """The app under gunicorn, started from the repository root as the README says (so that it reads
    gunicorn.conf.py by itself), on a free port, over a copy of the test database."""
    database = tmp_path / "app.sqlite3"
    shutil.copy(request.getfixturevalue("sqlite_template"), database)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "gunicorn-test",
           "PYTHONPATH": str(ROOT)}
    for _attempt in range(3):  # another process may take the port between choosing and binding it
        port = _free_port()
        server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
                                   "web:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if _raw_request(port, b"GET /login HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        if server.poll() is None and time.monotonic() < deadline:
            break
        server.kill()
        server.wait()
    else:
        pytest.fail(f"gunicorn did not start: {server.stderr.read().decode()[-2000:]}")
    yield port
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def test_long_urls_get_the_apps_own_414_through_gunicorn(gunicorn_app):
    port = gunicorn_app
    for length in (4200, 9000, 100_000):
        for path, kind in ((f"/api/tasks?q={'a' * length}", "json"), (f"/inbox/?q={'a' * length}", "html")):
            status, headers, body = _raw_request(
                port, f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
            assert status == 414, (length, path[:20], body[:200])
            if kind == "json":
                assert headers["content-type"] == "application/json"
                assert json.loads(body) == {"error": "RequestURITooLong", "message": "请求地址过长（上限 4096 字节）"}
            else:
                text = body.decode("utf-8")
                assert headers["content-type"].startswith("text/html") and 'id="error-message"' in text
                assert "请求地址过长" in text


def test_other_bad_requests_through_gunicorn_are_clean_4xx(gunicorn_app):
    port = gunicorn_app
    cases = [
        (b"GET /api/tasks/%00 HTTP/1.1\r\nHost: t\r\n", 400),
        (b"GET /api/tasks/99999999999 HTTP/1.1\r\nHost: t\r\n", 404),
        (b"GET /api/tasks?page=%FF HTTP/1.1\r\nHost: t\r\n", 400),
        (b"GET /api/tasks HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \xe9\xe9\r\n", 401),
        (b"POST /api/processes/rectification/instances HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
         b"Authorization: Bearer x\r\nContent-Length: 2\r\n\r\n{}", 415),
    ]
    for head, expected in cases:
        if not head.endswith(b"}"):
            head += b"\r\n"
        status, headers, body = _raw_request(port, head.replace(b"Host: t\r\n", b"Host: t\r\nConnection: close\r\n"))
        assert status == expected, (head[:60], body[:200])
        assert headers["content-type"] == "application/json"
        assert re.search("[\u4e00-\u9fff]", json.loads(body)["message"])
