"""Deadlines that act: the ladder's instants in working days, and what each rung does when it fires.

The rectification diagram carries three non-interrupting timers on 整改, each reading an ISO
instant from the case data: ``remind_at`` (临近提醒, 09:00 on the day three working days before
the deadline), ``due_at`` (the deadline's last second: 超期督办) and ``handover_at`` (five working
days later: 移交纪委监委, a task in the discipline lane). `deadline_plan` computes them; the
worker fires the timers and `react` does the domain's part: the ledger, the history, notices.

Timers fire in whatever order the workers reach them, so each rung climbs `ESCALATION`, a ladder
that only moves forward (`workflows.ladder`): a rung the case already stands on or above does
nothing, and handing over a case not yet supervised supervises it first. Whatever the order, a
case ends on its furthest rung with one notice per rung reached.
"""

from datetime import date, datetime, time, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import parse_instant
from engine.models import DueJob
from engine.worker import MAX_ATTEMPTS, Worker

from .calendar import add_working_days, deadline_instant, deadline_status, is_working_day
from .calendar_overrides import with_calendar
from .ladder import Ladder
from .models import RectificationCase
from .notifications import notify, role_holders, send_email_job, task_people, unit_people
from .platform import LOCAL_TZ

WARN_DAYS = 3
HANDOVER_DAYS = 5
REMIND_HOUR = 9
# Timer element → rung of the ladder. Admins may move the timers or change their instants.
LADDER = {"rectify_remind": "remind", "rectify_deadline": "overdue", "rectify_handover": "handover"}
ESCALATION_LABELS = {"reminded": "已提醒", "overdue": "超期督办", "handed_over": "已移交纪委监委"}
ESCALATION = Ladder(RectificationCase.escalation, ("reminded", "overdue", "handed_over"),
                    {"reminded": RectificationCase.reminded_at, "overdue": RectificationCase.overdue_at,
                     "handed_over": RectificationCase.handed_over_at})


def working_days_before(day: date, n: int) -> date:
    """The working day `n` working days before `day` (`day` itself does not count)."""
    counted = 0
    while counted < n:
        day -= timedelta(days=1)
        counted += is_working_day(day)
    return day


def plan_for_due(due_on: date, now: datetime) -> dict[str, str]:
    """The ladder's instants for a deadline, as the ISO strings the diagram's timers read.

    A reminder whose day has passed (a deadline of three working days or less) goes out at the
    worker's next poll rather than inside the transaction that sets the deadline.
    """
    remind_at = datetime.combine(working_days_before(due_on, WARN_DAYS), time(REMIND_HOUR), tzinfo=LOCAL_TZ)
    remind_at = max(remind_at, now + timedelta(minutes=1))
    return {"due_on": due_on.isoformat(), "due_at": deadline_instant(due_on, 0).isoformat(),
            "remind_at": remind_at.isoformat(), "handover_at": deadline_instant(due_on, HANDOVER_DAYS).isoformat()}


def deadline_plan(platform, days: int) -> dict[str, str]:
    """The ladder for a deadline `days` working days from today (China's official calendar)."""
    return plan_for_due(add_working_days(platform.today(), days), platform.clock())


def case_deadline_label(case: RectificationCase, today: date) -> str:
    """The date and where it stands, e.g. '2026-09-30（剩余 3 个工作日）'."""
    if case.status != "rectifying":
        return case.due_on.isoformat()
    return f"{case.due_on.isoformat()}（{deadline_status(case.due_on, today).label}）"


def case_of_instance(session: Session, instance_id: int) -> RectificationCase | None:
    return session.scalars(select(RectificationCase).where(RectificationCase.instance_id == instance_id)).first()


# -- the rungs ---------------------------------------------------------------------------------


def remind(platform, session: Session, case: RectificationCase, outcome=None) -> None:
    """临近提醒: the unit hears that its deadline is near; a case already past it is not reminded."""
    if deadline_status(case.due_on, platform.today()).level == "overdue":
        return  # 超期督办 speaks for it (a worker that was down fires both late, this one first)
    if not ESCALATION.climb(session, case, "reminded", platform.clock()):
        return  # reminded, overdue or handed over already: a late reminder has nothing to add
    label = case_deadline_label(case, platform.today())
    platform.engine.record(session, case.instance_id, "deadline_reminded", "system", opinion=f"整改期限 {label}",
                           data={"due_on": case.due_on.isoformat()})
    notify(platform, session, unit_people(session, case.responsible_unit), "remind",
           f"临近提醒：{case.case_no} 整改期限 {label}", f"{case.description}\n请在期限内完成整改并报送。",
           instance_id=case.instance_id, case_id=case.id)


def supervise(platform, session: Session, case: RectificationCase, outcome=None) -> None:
    """超期督办: the case turns overdue; the unit's head and the inspector are told."""
    if not ESCALATION.climb(session, case, "overdue", platform.clock()):
        return  # supervised already, or handed over: a late deadline timer changes nothing
    heads = unit_people(session, case.responsible_unit, "unit_head") or unit_people(session, case.responsible_unit)
    platform.engine.record(session, case.instance_id, "supervised", "system",
                           opinion=f"整改期限 {case.due_on.isoformat()} 已到，转入超期督办",
                           data={"due_on": case.due_on.isoformat(), "recipients": heads + [case.inspector]})
    notify(platform, session, [*heads, case.inspector], "supervise",
           f"督办通知：{case.case_no} 已超过整改期限 {case.due_on.isoformat()}",
           f"{case.description}\n责任单位未在期限内完成整改，请单位负责人督促落实。",
           instance_id=case.instance_id, case_id=case.id)


def hand_over(platform, session: Session, case: RectificationCase, outcome=None) -> None:
    """移交: still not rectified after the grace period; the discipline commission takes it up."""
    supervise(platform, session, case)  # a case is overdue before it is handed over, whichever timer came first
    if not ESCALATION.climb(session, case, "handed_over", platform.clock()):
        return
    tasks = [t for t in (outcome.new_tasks if outcome else []) if t.lane == "discipline"]
    people = [p for t in tasks for p in task_people(session, t)] or role_holders(session, "discipline")
    platform.engine.record(session, case.instance_id, "handed_over", "system",
                           opinion=f"超期 {HANDOVER_DAYS} 个工作日仍未整改，移交纪委监委",
                           data={"due_on": case.due_on.isoformat(), "task_ids": [t.id for t in tasks]})
    heads = unit_people(session, case.responsible_unit, "unit_head")
    notify(platform, session, [*people, case.inspector, *heads], "handover",
           f"移交通知：{case.case_no} 超期未整改，已移交纪委监委", case.description,
           instance_id=case.instance_id, task_id=tasks[0].id if tasks else None, case_id=case.id)


RUNGS = {"remind": remind, "overdue": supervise, "handover": hand_over}


def react(platform, session: Session, instance_id: int, element_id: str, outcome) -> None:
    """The domain's part of a fired timer; timers outside the ladder only leave their event."""
    rung = RUNGS.get(LADDER.get(element_id, ""))
    case = case_of_instance(session, instance_id) if rung else None
    if case is not None:
        rung(platform, session, case, outcome)


# -- worker handlers ---------------------------------------------------------------------------


@with_calendar
def fire_timer_job(platform, session: Session, job: DueJob) -> None:
    """Handler for `timer` jobs: fire the BPMN timer (and any others due), then climb the ladder."""
    outcome, fired = platform.engine.fire_due(session, job)
    if outcome is None:
        job.status = "obsolete"  # its timer no longer waits
        return
    for element_id in fired:
        react(platform, session, job.instance_id, element_id, outcome)


@with_calendar
def send_reminder(platform, session: Session, job: DueJob) -> None:
    """Handler for `reminder` jobs: a case's re-armed 临近提醒, or a plain message to people."""
    payload = job.payload or {}
    if payload.get("case_id"):
        case = session.get(RectificationCase, payload["case_id"])
        # A later extension or the unit's report makes this reminder stale.
        if case is not None and case.status == "rectifying" and case.due_on.isoformat() == payload.get("due_on"):
            remind(platform, session, case)
        return
    notify(platform, session, payload.get("recipients", []), payload.get("kind", "reminder"),
           payload.get("title", "提醒"), payload.get("body", ""), instance_id=job.instance_id)
    if job.instance_id is not None:
        platform.engine.record(session, job.instance_id, "reminder_sent", "system", data={"job_id": job.id})


def schedule_reminder(session: Session, case: RectificationCase, remind_at: str) -> DueJob:
    job = DueJob(instance_id=case.instance_id, kind="reminder", due_at=parse_instant(remind_at),
                 status="pending", payload={"case_id": case.id, "due_on": case.due_on.isoformat()})
    session.add(job)
    return job


def handlers(platform) -> dict:
    """Every due-job kind the product fires."""
    return {"timer": partial(fire_timer_job, platform), "reminder": partial(send_reminder, platform),
            "email": send_email_job}


def make_worker(platform, worker_id: str | None = None, batch: int = 50, lease_seconds: float = 60,
                max_attempts: int = MAX_ATTEMPTS) -> Worker:
    """A worker for this platform's database that reads the platform's clock."""
    return Worker(platform.db, handlers(platform), worker_id=worker_id, clock=platform.clock, batch=batch,
                  lease_seconds=lease_seconds, max_attempts=max_attempts)
