"""Deadlines that act: the ladder (临近提醒, 超期督办, 移交) and 延期, on China's official calendar.

A mutable test clock walks cases across weekends, the 2026 Mid-Autumn (25–27 Sep) and National Day
(1–7 Oct) holidays and their make-up working days (Sun 20 Sep, Sat 10 Oct); the worker reads the same clock.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from engine import Conflict
from engine.models import DueJob, Event, HumanTask, ProcessInstance
from workflows.calendar import deadline_status
from workflows.deadlines import make_worker
from workflows.errors import PermissionDenied
from workflows.extensions import decide_extension, request_extension
from workflows.models import Notification, RectificationCase

from .conftest import make_platform
from .helpers import CASE, RECTIFIED, complete, start, task_of

SHANGHAI = "+08:00"


class Clock:
    def __init__(self, at: str):
        self.now = datetime.fromisoformat(at + SHANGHAI).astimezone(UTC)

    def set(self, at: str) -> None:
        self.now = datetime.fromisoformat(at + SHANGHAI).astimezone(UTC)

    def __call__(self):
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def clocked(request, tmp_path):
    clock = Clock("2026-09-25T12:00:00")  # Friday, the Mid-Autumn holiday before National Day
    platform = make_platform(request.param, request, tmp_path, clock=clock)
    yield platform, clock
    platform.db.dispose()


def case_of(platform, instance_id) -> RectificationCase:
    with platform.db.reading() as session:
        return session.scalars(select(RectificationCase).where(RectificationCase.instance_id == instance_id)).one()


def kinds(platform, instance_id) -> list[str]:
    with platform.db.reading() as session:
        return list(session.scalars(select(Event.kind).where(Event.instance_id == instance_id).order_by(Event.id)))


def notes(platform, kind) -> dict[str, list[str]]:
    with platform.db.reading() as session:
        rows = session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id))
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row.recipient, []).append(row.title)
        return found


def run_worker(platform) -> int:
    return make_worker(platform, worker_id="test").run_once()


def test_ladder_reminds_supervises_and_hands_over_across_national_day(clocked):
    platform, clock = clocked
    out = start(platform, "inspector", "rectification", {**CASE, "deadline_days": 4})
    data = out.data
    # 4 working days from Fri 25 Sep: 28, 29, 30 Sep, then National Day, then Thu 8 Oct.
    assert data["due_on"] == "2026-10-08" and data["due_at"] == "2026-10-08T23:59:59+08:00"
    assert data["remind_at"] == "2026-09-28T09:00:00+08:00"  # three working days before
    # Five working days after: Fri 9, Sat 10 (make-up day), Mon 12, Tue 13, Wed 14 Oct.
    assert data["handover_at"] == "2026-10-14T23:59:59+08:00"
    iid = out.instance_id

    clock.set("2026-09-27T20:00:00")  # Sunday: nothing is due yet
    assert run_worker(platform) == 0 and case_of(platform, iid).escalation is None

    clock.set("2026-09-28T09:00:01")
    assert run_worker(platform) == 1
    case = case_of(platform, iid)
    assert case.escalation == "reminded" and case.reminded_at is not None
    assert deadline_status(case.due_on, date(2026, 9, 28)).label == "剩余 3 个工作日"
    assert {"unit", "unit_head"} <= set(notes(platform, "remind"))
    assert "剩余 3 个工作日" in notes(platform, "remind")["unit"][0]

    clock.set("2026-10-07T12:00:00")  # still the holiday: the deadline is tomorrow night
    assert run_worker(platform) == 0
    clock.set("2026-10-09T00:00:00")
    assert run_worker(platform) == 1
    case = case_of(platform, iid)
    assert case.escalation == "overdue" and case.status == "rectifying"
    assert set(notes(platform, "supervise")) == {"unit_head", "inspector"}
    # On the make-up Saturday the case is two working days late (Fri 9 and Sat 10 Oct).
    assert deadline_status(case.due_on, date(2026, 10, 10)).label == "超期 2 个工作日"

    clock.set("2026-10-14T23:00:00")
    assert run_worker(platform) == 0
    clock.set("2026-10-15T00:00:00")
    assert run_worker(platform) == 1
    case = case_of(platform, iid)
    assert case.escalation == "handed_over" and case.handed_over_at is not None
    assert "discipline" in notes(platform, "handover")
    with platform.db.reading() as session:
        review = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                         HumanTask.element_id == "handover_review")).one()
        jobs = session.scalars(select(DueJob).where(DueJob.instance_id == iid, DueJob.kind == "timer")).all()
    assert (review.candidate_role, review.status) == ("discipline", "open")
    assert sorted(j.status for j in jobs) == ["fired"] * 3
    history = kinds(platform, iid)
    assert [k for k in history if k in ("deadline_reminded", "supervised", "handed_over")] == [
        "deadline_reminded", "supervised", "handed_over"]
    assert history.count("timer_fired") == 3

    # The unit still rectifies; the discipline commission records its finding.
    out = complete(platform, "unit", task_of_open(platform, iid, "rectify"), RECTIFIED)
    out = complete(platform, "inspector", task_of(out, "verify"), {"decision": "pass"})
    assert case_of(platform, iid).status == "closed"
    out = complete(platform, "discipline", review.id, {"finding": "admonish", "opinion": "约谈单位负责人"})
    assert out.status == "completed"


def test_a_late_worker_fires_every_rung_once_and_in_order(clocked):
    platform, clock = clocked
    out = start(platform, "inspector", "rectification", {**CASE, "deadline_days": 4})
    clock.set("2026-11-02T10:00:00")  # the worker was down for weeks
    assert run_worker(platform) == 1
    history = kinds(platform, out.instance_id)
    # Past the deadline there is no near-deadline reminder (its timer still fires, silently).
    assert [k for k in history if k in ("deadline_reminded", "supervised", "handed_over")] == [
        "supervised", "handed_over"]
    assert run_worker(platform) == 0


def test_approved_extension_moves_deadline_and_timers(clocked):
    platform, clock = clocked
    clock.set("2026-09-18T12:00:00")  # Friday; Sunday 20 Sep is a make-up working day
    out = start(platform, "inspector", "rectification", {**CASE, "deadline_days": 3})
    iid, rectify = out.instance_id, task_of(out, "rectify")
    assert out.data["due_on"] == "2026-09-22"  # Sun 20, Mon 21, Tue 22
    clock.set("2026-09-18T12:05:00")
    assert run_worker(platform) == 1  # a short deadline is reminded at once
    assert case_of(platform, iid).escalation == "reminded"

    clock.set("2026-09-21T10:00:00")
    with platform.db.transaction() as session:
        case_id = case_of(platform, iid).id
        req = request_extension(platform, session, "unit", case_id, 3, "需协调第三方系统改造")
    with platform.db.transaction() as session, pytest.raises(Conflict):
        request_extension(platform, session, "unit", case_id, 2, "再申请一次延期")
    with platform.db.transaction() as session, pytest.raises(PermissionDenied):
        decide_extension(platform, session, "unit", req.id, True)
    with platform.db.transaction() as session:
        decide_extension(platform, session, "inspector", req.id, True, "同意")

    case = case_of(platform, iid)
    # Three more working days after Tue 22 Sep: 23, 24 and, after the Mid-Autumn holiday (25–27), 28 Sep.
    assert (case.due_on, case.extended_days, case.escalation) == (date(2026, 9, 28), 3, None)
    with platform.db.reading() as session:
        instance = session.get(ProcessInstance, iid)
        task = session.get(HumanTask, rectify)
        jobs = {j.element_id or j.kind: j for j in session.scalars(
            select(DueJob).where(DueJob.instance_id == iid, DueJob.status == "pending"))}
    assert instance.data["due_on"] == "2026-09-28"
    # 移交 five working days later: 29, 30 Sep, 8, 9 Oct and the make-up Saturday 10 Oct.
    assert instance.data["handover_at"] == "2026-10-10T23:59:59+08:00"
    assert task.due_at.astimezone(UTC) == datetime(2026, 9, 28, 15, 59, 59, tzinfo=UTC)
    assert jobs["rectify_deadline"].due_at.replace(tzinfo=UTC) == datetime(2026, 9, 28, 15, 59, 59, tzinfo=UTC)
    assert jobs["rectify_handover"].due_at.replace(tzinfo=UTC) == datetime(2026, 10, 10, 15, 59, 59, tzinfo=UTC)
    # The diagram's reminder went out for the old deadline; a reminder job re-arms it (Tue 22 Sep 09:00).
    assert jobs["reminder"].due_at.replace(tzinfo=UTC) == datetime(2026, 9, 22, 1, 0, tzinfo=UTC)
    assert "extension_approved" in kinds(platform, iid)
    assert "unit" in notes(platform, "extension_decided")

    clock.set("2026-09-22T09:00:01")
    assert run_worker(platform) == 1
    assert len(notes(platform, "remind")["unit"]) == 2
    clock.set("2026-09-28T23:00:00")  # the old deadline has passed; the new one has not
    assert run_worker(platform) == 0
    assert case_of(platform, iid).escalation == "reminded"
    clock.set("2026-09-29T00:00:01")
    assert run_worker(platform) == 1
    assert case_of(platform, iid).escalation == "overdue"
    with platform.db.transaction() as session, pytest.raises(Conflict):
        request_extension(platform, session, "unit", case_id, 2, "期限已过还想延期")


def test_refused_extension_keeps_deadline(clocked):
    platform, clock = clocked
    out = start(platform, "inspector", "rectification", {**CASE, "deadline_days": 4})
    with platform.db.transaction() as session:
        case_id = case_of(platform, out.instance_id).id
        with pytest.raises(PermissionDenied):
            request_extension(platform, session, "unit2", case_id, 3, "不是本单位的案件")
        req = request_extension(platform, session, "unit", case_id, 3, "人手不足需要延期")
    with platform.db.transaction() as session:
        decide_extension(platform, session, "inspector", req.id, False, "期限合理，不予延期")
    case = case_of(platform, out.instance_id)
    assert case.due_on == date(2026, 10, 8) and case.extended_days == 0
    assert "extension_refused" in kinds(platform, out.instance_id)


def task_of_open(platform, instance_id, element_id) -> int:
    with platform.db.reading() as session:
        return session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                          HumanTask.element_id == element_id,
                                                          HumanTask.status == "open")).one()


def test_a_late_report_after_a_missed_worker_run_is_still_supervised_first(clocked):
    """The worker never ran; the unit reports after its deadline. The overdue rungs fire before the report."""
    platform, clock = clocked
    out = start(platform, "inspector", "rectification", {**CASE, "deadline_days": 4})  # due Thu 8 Oct
    clock.set("2026-10-09T10:00:00")  # a day late, before the 移交 five working days on
    out = complete(platform, "unit", task_of(out, "rectify"), RECTIFIED)
    assert out.fired_timers == ["rectify_remind", "rectify_deadline"]
    assert [t.element_id for t in out.new_tasks] == ["verify"]
    case = case_of(platform, out.instance_id)
    assert (case.status, case.escalation) == ("verifying", "overdue")
    history = kinds(platform, out.instance_id)
    assert history.index("timer_fired") < history.index("task_completed") and "supervised" in history
    with platform.db.reading() as session:
        jobs = {j.element_id: j.status for j in session.scalars(
            select(DueJob).where(DueJob.instance_id == out.instance_id, DueJob.kind == "timer"))}
    assert jobs == {"rectify_remind": "fired", "rectify_deadline": "fired", "rectify_handover": "obsolete"}
    assert run_worker(platform) == 0  # nothing left for a worker to do twice
