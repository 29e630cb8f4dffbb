"""Notifications: 催办 reaches whoever holds a task, the centre marks read, and e-mail goes out by SMTP."""

import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine.models import Event
from web import create_app
from workflows.deadlines import case_of_instance, make_worker, remind
from workflows.errors import PermissionDenied
from workflows.models import Notification, User
from workflows.notifications import mark_read, unread_count, urge_task

from .conftest import make_platform
from .helpers import CASE, RECTIFIED, complete, start
from .test_deadlines import Clock


def recipients(platform, kind) -> list[str]:
    with platform.db.reading() as session:
        return list(session.scalars(select(Notification.recipient).where(Notification.kind == kind)))


def test_urge_notifies_the_units_people_and_is_recorded(platform):
    out = start(platform, "inspector", "rectification", CASE)
    task = out.new_tasks[0]
    with platform.db.transaction() as session:
        sent = urge_task(platform, session, "office", task.id, "请本周内报送整改材料")
    assert "unit" in {n.recipient for n in sent} and "unit2" not in {n.recipient for n in sent}
    with platform.db.reading() as session:
        event = session.scalars(select(Event).where(Event.kind == "urged")).one()
        assert (event.actor, event.task_id, event.opinion) == ("office", task.id, "请本周内报送整改材料")
        assert unread_count(session, "unit") == 1
    with platform.db.transaction() as session, pytest.raises(PermissionDenied):
        urge_task(platform, session, "unit2", task.id)
    with platform.db.transaction() as session:
        assert mark_read(platform, session, "unit") == 1
    with platform.db.reading() as session:
        assert unread_count(session, "unit") == 0


def test_urge_a_claimed_task_reaches_only_its_assignee(sqlite_platform):
    platform = sqlite_platform
    out = start(platform, "inspector", "rectification", CASE)
    task = out.new_tasks[0]
    with platform.db.transaction() as session:
        platform.engine.claim(session, task.id, "unit")
        sent = urge_task(platform, session, "inspector", task.id)
    assert [n.recipient for n in sent] == ["unit"]


def login(client, username):
    client.post("/logout")
    response = client.post("/login", data={"username": username, "password": "demo12345"})
    assert response.status_code == 302


def test_web_urge_badge_and_mark_read(sqlite_platform):
    platform = sqlite_platform
    out = start(platform, "inspector", "rectification", CASE)
    task = out.new_tasks[0]
    app = create_app({"PLATFORM": platform, "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    login(client, "inspector")
    response = client.post(f"/deadlines/tasks/{task.id}/urge", data={"message": "请抓紧"})
    assert response.status_code == 302
    login(client, "unit")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "催办" in page and 'id="unread-notification-count"' in page
    note = recipients(platform, "urge")
    assert "unit" in note
    with platform.db.reading() as session:
        note_id = session.scalars(select(Notification.id).where(Notification.recipient == "unit")).first()
    assert client.post(f"/notifications/{note_id}/read").status_code == 302
    page = client.get("/notifications/").get_data(as_text=True)
    assert 'id="unread-notification-count"' not in page
    # The unit may not urge, and sees 申请延期 on its case instead.
    assert client.post(f"/deadlines/tasks/{task.id}/urge").status_code == 403
    with platform.db.reading() as session:
        case_id = case_of_instance(session, out.instance_id).id
    response = client.post(f"/deadlines/cases/{case_id}/extension",
                           data={"extra_days": "3", "reason": "需要更多时间整改"})
    assert response.status_code == 302
    login(client, "inspector")
    assert recipients(platform, "extension_requested") == ["inspector"]


def test_an_urge_opens_the_task_while_it_is_still_to_do(platform):
    """催办 offers 办理 straight to the task (one tap on a phone) until the task is done."""
    task = start(platform, "inspector", "rectification", CASE).new_tasks[0]
    with platform.db.transaction() as session:
        urge_task(platform, session, "inspector", task.id, "请抓紧")
    client = create_app({"PLATFORM": platform, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    login(client, "unit")
    assert f'value="/tasks/{task.id}"' in client.get("/notifications/").get_data(as_text=True)
    complete(platform, "unit", task.id, RECTIFIED)
    page = client.get("/notifications/").get_data(as_text=True)
    assert f'value="/tasks/{task.id}"' not in page and f'value="/instances/{task.instance_id}"' in page


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_email_is_sent_by_the_worker_when_smtp_is_configured(sqlite_platform, monkeypatch):
    platform = sqlite_platform
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(port))
        monkeypatch.setenv("SMTP_FROM", "ysflow@example.gov.cn")
        with platform.db.transaction() as session:
            session.scalars(select(User).where(User.username == "unit")).one().email = "unit@example.gov.cn"
        out = start(platform, "inspector", "rectification", CASE)
        with platform.db.transaction() as session:
            urge_task(platform, session, "inspector", out.new_tasks[0].id, "请尽快整改")
        assert inbox.messages == []  # nothing is sent inside the user's transaction
        worker = make_worker(platform, worker_id="mail")
        assert worker.run_once() >= 1
    finally:
        controller.stop()
    assert [rcpt for rcpt, _body in inbox.messages] == [["unit@example.gov.cn"]]
    with platform.db.reading() as session:
        note = session.scalars(select(Notification).where(Notification.recipient == "unit")).one()
        assert note.emailed_at is not None


@pytest.fixture(params=["sqlite", "postgresql"])
def late_clock(request, tmp_path):
    clock = Clock("2026-09-25T12:00:00")
    platform = make_platform(request.param, request, tmp_path, clock=clock)
    yield platform, clock
    platform.db.dispose()


def test_no_near_deadline_reminder_once_the_deadline_has_passed(late_clock):
    """A worker that was down past a deadline supervises the case; it does not remind it as near."""
    platform, clock = late_clock
    out = start(platform, "inspector", "rectification", {**CASE, "deadline_days": 4})  # due Thu 8 Oct
    clock.set("2026-10-09T10:00:00")  # a working day late
    assert make_worker(platform, worker_id="test").run_once() == 1
    assert recipients(platform, "remind") == []
    assert "unit_head" in recipients(platform, "supervise")
    with platform.db.transaction() as session:
        case = case_of_instance(session, out.instance_id)
        remind(platform, session, case)  # what a re-armed reminder job would call
    assert recipients(platform, "remind") == []
    with platform.db.reading() as session:
        kinds = list(session.scalars(select(Event.kind).where(Event.instance_id == out.instance_id)))
        assert "deadline_reminded" not in kinds and "supervised" in kinds
        assert case_of_instance(session, out.instance_id).escalation == "overdue"
