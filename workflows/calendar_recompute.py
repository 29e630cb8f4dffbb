"""Recomputing open deadlines after the calendar changed: a preview first, then one transaction.

Editing the calendar moves no deadline already set. When an admin asks, each open case's
deadline is counted again on the calendar now in force: a round of 整改 began on the day the case
was opened or last sent back by 核查, and its deadline is `deadline_days` working days after that
day (an approved extension adds its days to `deadline_days`). The ladder's instants follow the
deadline. Applying moves them through the engine's reschedule, as an approved extension does, so
the due jobs and the inbox move in the same transaction and each case gets a timeline event.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import Conflict
from engine.clock import as_utc, parse_instant
from engine.models import DueJob, Event, HumanTask, ProcessInstance

from .calendar import LOCAL_TZ, add_working_days, using, working_days_before
from .calendar_overrides import calendar_for, require_editor
from .deadlines import REMIND_HOUR, WARN_DAYS, plan_for_due, react, schedule_reminder
from .models import RectificationCase, Unit

INSTANTS = ("remind_at", "due_at", "handover_at")
LABELS = {"due_on": "整改期限", "remind_at": "临近提醒", "due_at": "超期督办", "handover_at": "移交纪委监委"}


@dataclass
class Change:
    """One open case whose deadline or ladder would move: what it has and what it would get."""

    case_id: int
    case_no: str
    unit: str
    task_id: int
    old: dict[str, str]
    new: dict[str, str]
    moved: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        """(label, old, new) of each value that moves, for the preview."""
        return [(LABELS[k], _shown(self.old.get(k)), _shown(self.new[k])) for k in self.moved]


@dataclass
class Preview:
    token: str | None
    changes: list[Change]
    open_cases: int


def _shown(value: str | None) -> str:
    instant = parse_instant(value) if value and "T" in value else None
    return instant.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if instant else (value or "—")


def _local_day(at: datetime) -> date:
    return as_utc(at).astimezone(LOCAL_TZ).date()


def _open_cases(session: Session) -> list[tuple[RectificationCase, int, dict]]:
    """Cases in 整改 with their open 整改 task and their instance's data."""
    rows = session.execute(
        select(RectificationCase, HumanTask.id, ProcessInstance.data)
        .join(HumanTask, (HumanTask.instance_id == RectificationCase.instance_id)
              & (HumanTask.element_id == "rectify") & (HumanTask.status == "open"))
        .join(ProcessInstance, ProcessInstance.id == RectificationCase.instance_id)
        .where(RectificationCase.status == "rectifying").order_by(RectificationCase.id))
    return [(case, task_id, data or {}) for case, task_id, data in rows]


def _rounds_began(session: Session, instance_ids: list[int]) -> dict[int, datetime]:
    """When each instance's current round began, if after the opening: its last 核查 sent it back."""
    if not instance_ids:
        return {}
    rows = session.execute(select(Event.instance_id, func.max(Event.at))
                           .where(Event.instance_id.in_(instance_ids), Event.kind == "task_completed",
                                  Event.element_id == "verify")
                           .group_by(Event.instance_id))
    return dict(rows.all())


def _moved(old: dict, new: dict, unclamped_remind: datetime, now: datetime) -> list[str]:
    moved = ["due_on"] if old.get("due_on") != new["due_on"] else []
    for key in INSTANTS:
        before = parse_instant(old.get(key))
        after = unclamped_remind if key == "remind_at" else parse_instant(new[key])
        if before == after or (key == "remind_at" and before and before <= now and after <= now):
            continue  # a reminder already behind us on both calendars does not move
        moved.append(key)
    return moved


def _changes(session: Session, now: datetime) -> tuple[list[Change], int]:
    """Every open case whose deadline or instants differ on the calendar now in force."""
    cases = _open_cases(session)
    began = _rounds_began(session, [case.instance_id for case, _, _ in cases])
    units = dict(session.execute(select(Unit.code, Unit.name)).all())
    changes = []
    for case, task_id, data in cases:
        start = _local_day(began.get(case.instance_id) or case.opened_at)
        due_on = add_working_days(start, case.deadline_days)
        new = plan_for_due(due_on, now)
        old = {"due_on": case.due_on.isoformat(), **{k: data.get(k) for k in INSTANTS}}
        unclamped = datetime.combine(working_days_before(due_on, WARN_DAYS), time(REMIND_HOUR), tzinfo=LOCAL_TZ)
        moved = _moved(old, new, unclamped, now)
        if moved:
            changes.append(Change(case.id, case.case_no or f"#{case.id}", units.get(case.responsible_unit,
                                  case.responsible_unit), task_id, old, new, moved))
    return changes, len(cases)


def preview(platform, session: Session, username: str) -> Preview:
    """What recomputing would change, on the calendar as it is now. Raises PermissionDenied."""
    require_editor(session, username)
    calendar = calendar_for(session)
    with using(calendar):
        changes, total = _changes(session, platform.clock())
    return Preview(calendar.token, changes, total)


def apply(platform, session: Session, username: str, token: str | None, case_ids: set[int]) -> list[Change]:
    """Move the deadlines of the previewed cases (`case_ids`) that still differ; one transaction.

    Raises PermissionDenied, Conflict when the calendar changed since the preview (its `token`),
    and the engine's errors from rescheduling (then nothing moves).
    """
    require_editor(session, username)
    calendar = calendar_for(session)
    if calendar.token != token:
        raise Conflict("工作日历在预览后又有修改，请重新预览后再确认")
    now = platform.clock()
    with using(calendar):
        changes = [c for c in _changes(session, now)[0] if c.case_id in case_ids]
        for change in changes:
            _move(platform, session, username, change, now)
    return changes


def _move(platform, session: Session, username: str, change: Change, now: datetime) -> None:
    case = session.get(RectificationCase, change.case_id)
    opinion = "工作日历调整，重新计算：" + "；".join(f"{label} {old} → {new}" for label, old, new in change.rows)
    outcome = platform.engine.reschedule(session, change.task_id, change.new, username,
                                         kind="calendar_recomputed", opinion=opinion)
    case.due_on = date.fromisoformat(change.new["due_on"])
    if "remind_at" in change.moved and parse_instant(change.new["remind_at"]) > now:
        remind_waiting = session.scalars(select(DueJob.id).where(
            DueJob.instance_id == case.instance_id, DueJob.element_id == "rectify_remind",
            DueJob.status == "pending")).first()
        if remind_waiting is None:  # the diagram's reminder went out on the old calendar
            case.escalation = None if case.escalation == "reminded" else case.escalation
            schedule_reminder(session, case, change.new["remind_at"])
    for element_id in outcome.fired_timers:  # a deadline moved into the past acts now
        react(platform, session, case.instance_id, element_id, outcome)
