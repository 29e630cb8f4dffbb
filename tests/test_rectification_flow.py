"""问题整改, end to end: deadlines in working days, pass, fail and 500 rounds of 不通过."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from engine.models import DueJob
from workflows.calendar import add_working_days
from workflows.models import RectificationCase

from .conftest import make_platform
from .helpers import CASE, RECTIFIED, complete, start, task_of

FRIDAY_NOON = datetime(2026, 9, 25, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, before National Day


def case_of(platform, instance_id) -> RectificationCase:
    with platform.db.reading() as session:
        return session.scalars(select(RectificationCase).where(RectificationCase.instance_id == instance_id)).one()


def test_open_rectify_verify_pass_closes_case(platform):
    out = start(platform, "inspector", "rectification", CASE)
    task = out.new_tasks[0]
    assert (task.element_id, task.candidate_unit) == ("rectify", "gov_data")
    case = case_of(platform, out.instance_id)
    assert case.case_no.startswith("督-") and case.status == "rectifying"
    assert case.due_on == add_working_days(platform.today(), 5)
    out = complete(platform, "unit", task.id, RECTIFIED)
    assert case_of(platform, out.instance_id).status == "verifying"
    verify = out.new_tasks[0]
    assert (verify.element_id, verify.candidate_user) == ("verify", "inspector")
    out = complete(platform, "inspector", verify.id, {"decision": "pass", "opinion": "整改到位"})
    assert (out.status, out.end_event) == ("completed", "closed")
    closed = case_of(platform, out.instance_id)
    assert closed.status == "closed" and closed.closed_at is not None


def test_fail_sends_back_with_reasons_and_new_deadline(platform):
    out = start(platform, "inspector", "rectification", CASE)
    out = complete(platform, "unit", task_of(out, "rectify"), RECTIFIED)
    out = complete(platform, "inspector", task_of(out, "verify"),
                   {"decision": "fail", "opinion": "佐证不足", "deadline_days": 3})
    again = out.new_tasks[0]
    assert again.element_id == "rectify"
    case = case_of(platform, out.instance_id)
    assert (case.status, case.rounds, case.last_opinion) == ("rectifying", 1, "佐证不足")
    assert case.due_on == add_working_days(platform.today(), 3)
    out = complete(platform, "unit", again.id, RECTIFIED)
    out = complete(platform, "inspector", task_of(out, "verify"), {"decision": "pass"})
    assert out.end_event == "closed"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_deadline_counts_working_days_across_national_day(backend, request, tmp_path):
    platform = make_platform(backend, request, tmp_path, clock=lambda: FRIDAY_NOON)
    out = start(platform, "inspector", "rectification", {**CASE, "deadline_days": 3})
    # Fri 25 Sep 2026 + 3 working days: Mon 28, Tue 29, Wed 30 Sep (the holiday starts 1 Oct).
    assert case_of(platform, out.instance_id).due_on == date(2026, 9, 30)
    out2 = start(platform, "inspector", "rectification", {**CASE, "deadline_days": 4})
    # The 4th working day skips the National Day holiday to Thu 8 Oct.
    assert case_of(platform, out2.instance_id).due_on == date(2026, 10, 8)
    task = out.new_tasks[0]
    assert task.due_at.astimezone(UTC) == datetime(2026, 9, 30, 15, 59, 59, tzinfo=UTC)
    with platform.db.reading() as session:
        job = session.scalars(select(DueJob).where(DueJob.instance_id == out.instance_id,
                                                   DueJob.element_id == "rectify_deadline")).one()
    assert (job.kind, job.element_id, job.status) == ("timer", "rectify_deadline", "pending")
    assert job.due_at.replace(tzinfo=UTC) == datetime(2026, 9, 30, 15, 59, 59, tzinfo=UTC)
    platform.db.dispose()


def test_five_hundred_rounds_of_not_passed_still_work(platform):
    out = start(platform, "inspector", "rectification", CASE)
    rectify = task_of(out, "rectify")
    for _ in range(500):
        out = complete(platform, "unit", rectify, RECTIFIED)
        out = complete(platform, "inspector", task_of(out, "verify"),
                       {"decision": "fail", "opinion": "不通过", "deadline_days": 2})
        rectify = task_of(out, "rectify")
    out = complete(platform, "unit", rectify, RECTIFIED)
    out = complete(platform, "inspector", task_of(out, "verify"), {"decision": "pass"})
    assert out.end_event == "closed"
    assert case_of(platform, out.instance_id).rounds == 500
    with platform.db.reading() as session:
        jobs = session.scalars(select(DueJob).where(DueJob.instance_id == out.instance_id)).all()
    # Three ladder timers (临近提醒, 超期督办, 移交) wait on each round of 整改.
    assert len(jobs) == 3 * 501 and {j.status for j in jobs} == {"obsolete"}
