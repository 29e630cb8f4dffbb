"""The escalation ladder only moves forward, whatever order a case's three timers fire in.

Each case's due jobs are pulled forward one at a time, so each fires its own timer alone (the
other timers' instants are still ahead): the order the workers happen to reach them. In every one
of the six orders the case ends handed over, with each rung's time stamp written once by the
firing that reached it, one 督办 and one 移交 notice per recipient, and one 移交 task.
"""

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import permutations

import pytest
from sqlalchemy import select, update

from engine.clock import as_utc
from engine.models import DueJob, Event, HumanTask
from workflows.deadlines import ESCALATION, make_worker, schedule_reminder
from workflows.models import Notification, RectificationCase

from .conftest import make_platform
from .helpers import CASE, start

OPENED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in China; the deadline is a week away
TIMERS = {"remind": "rectify_remind", "overdue": "rectify_deadline", "handover": "rectify_handover"}
RUNGS = ("remind", "overdue", "handover")


class Clock:
    def __init__(self):
        self.now = OPENED

    def __call__(self):
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def clocked(request, tmp_path):
    clock = Clock()
    platform = make_platform(request.param, request, tmp_path, clock=clock)
    yield platform, clock
    platform.db.dispose()


def case_of(platform, instance_id) -> RectificationCase:
    with platform.db.reading() as session:
        return session.scalars(select(RectificationCase).where(RectificationCase.instance_id == instance_id)).one()


def fire_now(platform, clock, instance_id, element_id) -> None:
    """Pull one timer's due job forward to now and let a worker fire it."""
    with platform.db.transaction() as session:
        session.execute(update(DueJob).where(DueJob.instance_id == instance_id, DueJob.element_id == element_id)
                        .values(due_at=clock.now))
    assert make_worker(platform, worker_id=f"w-{element_id}").run_once() == 1


def notices(platform, instance_id, kind) -> Counter:
    with platform.db.reading() as session:
        return Counter(session.scalars(select(Notification.recipient).where(
            Notification.instance_id == instance_id, Notification.kind == kind)))


def ladder_events(platform, instance_id) -> list[str]:
    with platform.db.reading() as session:
        kinds = session.scalars(select(Event.kind).where(Event.instance_id == instance_id).order_by(Event.id))
        return [k for k in kinds if k in ("deadline_reminded", "supervised", "handed_over")]


@pytest.mark.parametrize("order", list(permutations(RUNGS)), ids="-".join)
def test_every_order_of_the_three_timers_ends_on_the_furthest_rung(clocked, order):
    platform, clock = clocked
    iid = start(platform, "inspector", "rectification", {**CASE, "deadline_days": 5}).instance_id
    fired_at = {}
    for n, rung in enumerate(order, start=1):
        clock.now = OPENED + timedelta(minutes=n)
        fired_at[rung] = clock.now
        fire_now(platform, clock, iid, TIMERS[rung])
        assert case_of(platform, iid).escalation is not None

    reminded = order[0] == "remind"  # a reminder after the deadline has nothing to say
    overdue_from = min(fired_at["overdue"], fired_at["handover"])  # handing over supervises first
    case = case_of(platform, iid)
    assert case.escalation == "handed_over"
    assert as_utc(case.reminded_at) == (fired_at["remind"] if reminded else None)
    assert (as_utc(case.overdue_at), as_utc(case.handed_over_at)) == (overdue_from, fired_at["handover"])
    assert ladder_events(platform, iid) == ["deadline_reminded"] * reminded + ["supervised", "handed_over"]
    assert notices(platform, iid, "supervise") == {"unit_head": 1, "inspector": 1}
    assert set(notices(platform, iid, "handover").values()) == {1}
    assert "discipline" in notices(platform, iid, "handover")
    assert bool(notices(platform, iid, "remind")) == reminded
    with platform.db.reading() as session:
        handover_tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                                 HumanTask.element_id == "handover_review")).all()
        jobs = session.scalars(select(DueJob).where(DueJob.instance_id == iid, DueJob.kind == "timer")).all()
    assert len(handover_tasks) == 1
    assert [(j.status, j.leased_by, j.lease_until) for j in jobs] == [("fired", None, None)] * 3


def test_a_reminder_for_a_case_already_overdue_sends_nothing(clocked):
    platform, clock = clocked
    iid = start(platform, "inspector", "rectification", {**CASE, "deadline_days": 5}).instance_id
    fire_now(platform, clock, iid, TIMERS["overdue"])
    overdue_at = as_utc(case_of(platform, iid).overdue_at)
    clock.now += timedelta(minutes=5)
    with platform.db.transaction() as session:  # a 临近提醒 re-armed for the same deadline, come late
        case = session.scalars(select(RectificationCase).where(RectificationCase.instance_id == iid)).one()
        schedule_reminder(session, case, clock.now.isoformat())
    assert make_worker(platform, worker_id="late").run_once() == 1
    case = case_of(platform, iid)
    assert (case.escalation, as_utc(case.overdue_at), case.reminded_at) == ("overdue", overdue_at, None)
    assert notices(platform, iid, "remind") == Counter()


def test_a_ladder_climbs_only_upward_and_stamps_each_rung_once(platform):
    iid = start(platform, "inspector", "rectification", CASE).instance_id
    t1, t2, t3 = (OPENED + timedelta(hours=h) for h in (1, 2, 3))
    with platform.db.transaction() as session:
        case = session.scalars(select(RectificationCase).where(RectificationCase.instance_id == iid)).one()
        assert ESCALATION.climb(session, case, "overdue", t1) is True
        assert (case.escalation, case.overdue_at) == ("overdue", t1)
        assert ESCALATION.climb(session, case, "reminded", t2) is False  # below: nothing moves
        assert ESCALATION.climb(session, case, "overdue", t2) is False  # the same rung: not again
        assert ESCALATION.reached(case, "reminded") and not ESCALATION.reached(case, "handed_over")
        assert ESCALATION.climb(session, case, "handed_over", t3) is True
        with pytest.raises(ValueError):
            ESCALATION.climb(session, case, "closed", t3)
    case = case_of(platform, iid)
    assert (case.escalation, case.reminded_at, as_utc(case.overdue_at), as_utc(case.handed_over_at)) == (
        "handed_over", None, t1, t3)
