"""Incidents: a due job that keeps failing, or whose workers keep dying, stops being retried.

Each lease is an attempt. A failed attempt is retried after a doubling backoff; after the last one
the job is an incident: no worker leases it again, admins see it (page and JSON API) with its
error and attempts, and a retry puts it back once — of two admins retrying at once, one wins.
"""

import os
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import insert, select, text, update

from engine import Conflict
from engine.clock import as_utc
from engine.incidents import list_incidents, retry_incident
from engine.models import DueJob, Event
from engine.worker import Worker
from workflows.deadlines import make_worker
from workflows.models import Notification, RectificationCase, User
from workflows.notifications import urge_task

from .conftest import make_platform
from .helpers import CASE, start
from .test_admin import client_for
from .test_api import Api
from .test_notifications import Inbox, free_port

ROOT = Path(__file__).resolve().parent.parent
OPENED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
# A nightly tally whose script reads a variable nobody set: its timer's job fails every time.
NIGHTLY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="nightly_definitions" targetNamespace="https://yingshang-flow.example/bpmn">
  <bpmn:process id="nightly_tally" name="夜间汇总" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait_night" name="等到夜间">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="wait_night_timer">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="tally" name="汇总"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>total = cases_closed + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait_night" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait_night" targetRef="tally" />
    <bpmn:sequenceFlow id="f3" sourceRef="tally" targetRef="done" />
  </bpmn:process>
</bpmn:definitions>"""


class Clock:
    def __init__(self):
        self.now = OPENED

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(params=["sqlite", "postgresql"])
def clocked(request, tmp_path):
    clock = Clock()
    platform = make_platform(request.param, request, tmp_path, clock=clock)
    yield platform, clock
    platform.db.dispose()


def start_nightly(platform) -> int:
    with platform.db.transaction() as session:
        platform.engine.deploy(session, NIGHTLY, forms={}, deployed_by="admin")
    with platform.db.transaction() as session:
        return platform.engine.start(session, "nightly_tally", {}, "admin").instance_id


def job_of(platform, **where) -> DueJob:
    with platform.db.reading() as session:
        return session.scalars(select(DueJob).filter_by(**where)).one()


def test_a_job_that_keeps_failing_backs_off_then_becomes_an_incident(clocked):
    platform, clock = clocked
    instance_id = start_nightly(platform)
    clock.advance(hours=2)
    first, second = (make_worker(platform, worker_id=w, max_attempts=3) for w in ("w1", "w2"))

    assert first.run_once() == 0
    job = job_of(platform, instance_id=instance_id)
    assert (job.status, job.attempts, as_utc(job.lease_until)) == ("pending", 1, clock.now + timedelta(seconds=2))
    assert "cases_closed" in job.last_error
    assert second.lease_due() == []  # backing off: no worker takes it yet
    clock.advance(seconds=3)
    assert second.run_once() == 0
    job = job_of(platform, instance_id=instance_id)
    assert (job.status, job.attempts, as_utc(job.lease_until)) == ("pending", 2, clock.now + timedelta(seconds=4))
    clock.advance(seconds=5)
    assert first.run_once() == 0

    job = job_of(platform, instance_id=instance_id)
    assert (job.status, job.attempts, job.leased_by, job.lease_until) == ("failed", 3, None, None)
    assert as_utc(job.failed_at) == clock.now and "cases_closed" in job.last_error
    clock.advance(days=1)
    assert first.lease_due() == [] and second.lease_due() == []  # never leased again
    with platform.db.reading() as session:
        [incident] = list_incidents(session)
        event = session.scalars(select(Event).where(Event.kind == "job_failed")).one()
    assert (incident.id, incident.process_name, incident.instance_id, incident.element_id, incident.attempts) == (
        job.id, "夜间汇总", instance_id, "wait_night", 3)
    assert incident.error == job.last_error and incident.failed_at == as_utc(job.failed_at)
    assert (event.instance_id, event.element_id, event.data["job_id"]) == (instance_id, "wait_night", job.id)


def test_a_job_whose_workers_die_holding_it_becomes_an_incident_and_a_retry_fires_it_once(clocked):
    platform, clock = clocked
    instance_id = start(platform, "inspector", "rectification", {**CASE, "deadline_days": 5}).instance_id
    remind = job_of(platform, instance_id=instance_id, element_id="rectify_remind")
    clock.now = as_utc(remind.due_at) + timedelta(seconds=1)
    for n in range(1, 4):  # each worker leases it and dies before firing it
        assert make_worker(platform, worker_id=f"doomed{n}", max_attempts=3, lease_seconds=60).lease_due() == [
            (remind.id, instance_id)]
        assert job_of(platform, id=remind.id).attempts == n
        clock.advance(seconds=61)
    survivor = make_worker(platform, worker_id="survivor", max_attempts=3)
    assert survivor.lease_due() == []
    job = job_of(platform, id=remind.id)
    assert (job.status, job.attempts, job.leased_by, job.lease_until) == ("failed", 3, None, None)
    assert "第 3 次执行未在租约期内结束" in job.last_error

    with platform.db.transaction() as session:
        retry_incident(session, remind.id, "admin", clock.now)
    with platform.db.reading() as session:
        retried = session.scalars(select(Event).where(Event.kind == "job_retried")).one()
    assert (retried.actor, retried.instance_id, retried.data["job_id"]) == ("admin", instance_id, remind.id)
    assert survivor.run_once() == 1 and survivor.run_once() == 0
    job = job_of(platform, id=remind.id)
    assert (job.status, job.attempts, job.leased_by, job.lease_until, job.last_error) == ("fired", 1, None, None, None)
    with platform.db.reading() as session:
        case = session.scalars(select(RectificationCase).where(RectificationCase.instance_id == instance_id)).one()
        reminded = session.scalars(select(Notification.recipient).where(Notification.kind == "remind")).all()
    assert case.escalation == "reminded" and sorted(reminded) == sorted(set(reminded))


def failing_email(platform, monkeypatch) -> tuple[int, int]:
    """An e-mail job to a mail server that is not there; returns (job id, the server's port)."""
    port = free_port()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    with platform.db.transaction() as session:
        session.scalars(select(User).where(User.username == "unit")).one().email = "unit@example.gov.cn"
    out = start(platform, "inspector", "rectification", CASE)
    with platform.db.transaction() as session:
        urge_task(platform, session, "inspector", out.new_tasks[0].id, "请尽快整改")
    return job_of(platform, kind="email").id, port


def fail_until_incident(platform, clock, attempts: int) -> None:
    worker = make_worker(platform, worker_id="mail", max_attempts=attempts)
    for _ in range(attempts):
        worker.run_once()
        clock.advance(minutes=10)


def test_admins_see_incidents_and_retry_them_once_over_the_api(clocked, monkeypatch):
    platform, clock = clocked
    job_id, port = failing_email(platform, monkeypatch)
    fail_until_incident(platform, clock, 2)
    api = Api(platform)

    listed = api.get("admin", "/api/incidents")
    assert listed.status_code == 200 and listed.json["total"] == 1
    [row] = listed.json["incidents"]
    assert (row["id"], row["kind"], row["process_key"], row["attempts"]) == (job_id, "email", "rectification", 2)
    assert "ConnectionRefusedError" in row["error"] and row["failed_at"] and row["instance_id"]

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()  # the mail server is back
    try:
        retried = api.post("admin", f"/api/incidents/{job_id}/retry")
        assert retried.status_code == 200 and retried.json == {"id": job_id, "status": "pending", "attempts": 0}
        again = api.post("admin", f"/api/incidents/{job_id}/retry")
        assert again.status_code == 409 and again.json["error"] == "Conflict"
        assert api.post("admin", "/api/incidents/999999/retry").status_code == 404
        worker = make_worker(platform, worker_id="mail-2")
        assert worker.run_once() == 1 and worker.run_once() == 0
    finally:
        controller.stop()
    assert [rcpt for rcpt, _body in inbox.messages] == [["unit@example.gov.cn"]]  # sent once
    assert api.get("admin", "/api/incidents").json == {"incidents": [], "total": 0, "page": 1, "has_next": False}


def test_the_incident_page_lists_each_incident_and_retries_it(clocked, monkeypatch):
    platform, clock = clocked
    instance_id = start_nightly(platform)
    clock.advance(hours=2)
    fail_until_incident(platform, clock, 1)
    job_id = job_of(platform, instance_id=instance_id).id
    client = client_for(platform, "admin")

    assert 'href="/admin/incidents/"' in client.get("/inbox/").get_data(as_text=True)  # in the navigation
    page = client.get("/admin/incidents/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="incident-count">1<' in html
    for shown in ("夜间汇总", f"/instances/{instance_id}", "wait_night", "cases_closed", "已执行 1 次", "重试"):
        assert shown in html, shown
    assert 'name="viewport"' in html  # the page is drawn for phones as for desktops

    done = client.post(f"/admin/incidents/{job_id}/retry")
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/incidents/")
    assert job_of(platform, id=job_id).status == "pending"
    late = client.post(f"/admin/incidents/{job_id}/retry")  # the other admin's click came second
    assert late.status_code == 409 and "已由他人重试" in late.get_data(as_text=True)


NON_ADMINS = ["office", "inspector", "unit", "leader"]


@pytest.mark.parametrize("user", NON_ADMINS)
def test_only_admins_reach_incidents(sqlite_platform, user):
    platform = sqlite_platform
    instance_id = start_nightly(platform)
    with platform.db.transaction() as session:
        session.execute(update(DueJob).where(DueJob.instance_id == instance_id)
                        .values(status="failed", attempts=8, last_error="NameError"))
    job_id = job_of(platform, instance_id=instance_id).id
    client = client_for(platform, user)
    assert client.get("/admin/incidents/").status_code == 403
    assert client.post(f"/admin/incidents/{job_id}/retry").status_code == 403
    assert "/admin/incidents/" not in client.get("/inbox/").get_data(as_text=True)
    api = Api(platform)
    assert api.get(user, "/api/incidents").status_code == 403
    assert api.post(user, f"/api/incidents/{job_id}/retry").status_code == 403
    assert Api(platform).client.get("/api/incidents").status_code == 401
    assert job_of(platform, id=job_id).status == "failed"  # nothing changed


def test_two_admins_retrying_at_once_exactly_one_wins(platform):
    instance_id = start_nightly(platform)
    with platform.db.transaction() as session:
        session.execute(update(DueJob).where(DueJob.instance_id == instance_id)
                        .values(status="failed", attempts=8, last_error="NameError"))
    job_id = job_of(platform, instance_id=instance_id).id
    first_in, release, outcomes = threading.Event(), threading.Event(), {}

    def admin(name: str, hold: bool) -> None:
        try:
            with platform.db.transaction() as session:
                retry_incident(session, job_id, name, OPENED)
                if hold:  # still inside the transaction while the other admin tries
                    first_in.set()
                    release.wait(10)
            outcomes[name] = "retried"
        except Conflict:
            outcomes[name] = "conflict"

    first = threading.Thread(target=admin, args=("admin", True))
    first.start()
    assert first_in.wait(10)
    second = threading.Thread(target=admin, args=("admin2", False))
    second.start()
    second.join(0.3)  # the second is held on the row (PostgreSQL) or on the writer (SQLite)
    release.set()
    first.join(10)
    second.join(10)
    assert outcomes == {"admin": "retried", "admin2": "conflict"}
    with platform.db.reading() as session:
        assert len(session.scalars(select(Event).where(Event.kind == "job_retried")).all()) == 1


def test_the_worker_command_logs_one_line_per_failed_attempt(sqlite_platform):
    platform = sqlite_platform
    instance_id = start_nightly(platform)
    with platform.db.transaction() as session:  # due now by the wall clock the command reads
        session.execute(update(DueJob).where(DueJob.instance_id == instance_id)
                        .values(due_at=datetime.now(UTC) - timedelta(minutes=1)))
    platform.db.dispose()
    command = [sys.executable, "-m", "workflows.cli", "--database-url", platform.db.url, "worker", "--once"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SMTP_HOST": ""})
    assert done.returncode == 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert re.search(r"定时任务 \d+（timer，实例 \d+，元素 wait_night）第 1/8 次执行失败：.*cases_closed.*2 秒后重试",
                     lines[0]), lines


def test_a_job_that_always_times_out_in_the_database_ends_as_an_incident(pg_platform):
    """Only lost races are retried uncounted; a statement timeout is the job's own failure."""
    now = [OPENED]
    with pg_platform.db.transaction() as session:
        session.execute(insert(DueJob), [{"kind": "tally", "due_at": OPENED, "status": "pending", "payload": {},
                                          "attempts": 0}])

    def slow_tally(session, job):
        session.execute(text("SET LOCAL statement_timeout = '20ms'"))
        session.execute(text("SELECT pg_sleep(1)"))

    worker = Worker(pg_platform.db, {"tally": slow_tally}, worker_id="w", clock=lambda: now[0], max_attempts=2)
    for _ in range(3):
        worker.run_once()
        now[0] += timedelta(minutes=10)
    job = job_of(pg_platform, kind="tally")
    assert (job.status, job.attempts) == ("failed", 2)
    assert "statement timeout" in job.last_error
