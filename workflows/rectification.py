"""Rectification cases: working-day deadlines, the ledger row, and who may see a case."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .calendar import add_working_days, deadline_instant, deadline_status
from .deadlines import deadline_plan, react
from .errors import FormInvalid, PermissionDenied
from .hooks import ProcessHooks, register
from .models import Attachment, RectificationCase, Unit
from .organisation import require_role, roles_of

SOURCE_LABELS = {"inspection": "督查", "undercover": "明察暗访", "third_party": "第三方评价",
                 "hotline": "12345热线", "monitoring": "监测点"}
STATUS_LABELS = {"rectifying": "整改中", "verifying": "待核查", "closed": "已销号"}
OVERSEERS = {"inspector", "office", "admin", "discipline"}


def deadline(platform, days: int) -> tuple[date, str]:
    """The due date `days` working days from today, and the instant the timer fires."""
    due_on = add_working_days(platform.today(), days)
    return due_on, deadline_instant(platform.today(), days).isoformat()


class RectificationHooks(ProcessHooks):
    def check_starter(self, session, user):
        require_role(user, "inspector")

    def before_start(self, platform, session, user, data):
        if session.get(Unit, data["responsible_unit"]) is None:
            raise FormInvalid({"responsible_unit": "责任单位不存在"})
        plan = deadline_plan(platform, data["deadline_days"])
        due_on = date.fromisoformat(plan["due_on"])
        case = RectificationCase(
            source=data["source"], description=data["description"], indicator=data.get("indicator"),
            responsible_unit=data["responsible_unit"], inspector=user.username, status="rectifying",
            rounds=0, deadline_days=data["deadline_days"], due_on=due_on, opened_at=platform.clock(),
        )
        session.add(case)
        session.flush()
        case.case_no = f"督-{platform.today().year}-{case.id:04d}"
        return {**data, "case_no": case.case_no, "inspector": user.username, **plan}

    def after_start(self, platform, session, user, outcome):
        case = case_by_no(session, outcome.data["case_no"])
        case.instance_id = outcome.instance_id

    def before_complete(self, platform, session, user, task, data):
        if task.element_id == "rectify":
            _check_attachments(session, task.instance_id, data.get("attachments", []))
        if task.element_id == "verify" and data.get("decision") == "fail":
            data = {**data, **deadline_plan(platform, data["deadline_days"])}
        return data

    def after_complete(self, platform, session, user, task, data, outcome):
        case = session.scalars(select(RectificationCase)
                               .where(RectificationCase.instance_id == task.instance_id)).one()
        if task.element_id == "rectify":
            case.status = "verifying"
        elif task.element_id == "verify":
            case.last_opinion = data.get("opinion")
            if data.get("decision") == "pass":
                case.status, case.closed_at = "closed", platform.clock()
            else:
                case.status, case.rounds = "rectifying", case.rounds + 1
                case.deadline_days = data["deadline_days"]
                case.due_on = date.fromisoformat(data["due_on"])
                if case.escalation != "handed_over":
                    case.escalation = None  # a new deadline starts the ladder again


    def after_timers(self, platform, session, outcome):
        for element_id in outcome.fired_timers:
            react(platform, session, outcome.instance_id, element_id, outcome)


register("rectification", RectificationHooks())


def _check_attachments(session: Session, instance_id: int, ids: list[int]) -> None:
    if not ids:
        return
    if any(not 1 <= i <= 2**31 - 1 for i in ids):  # no file has such an id, and PostgreSQL refuses the query
        raise FormInvalid({"attachments": "附件不属于本案件"})
    found = set(session.scalars(select(Attachment.id).where(Attachment.id.in_(ids),
                                                            Attachment.instance_id == instance_id)))
    if found != set(ids):
        raise FormInvalid({"attachments": "附件不属于本案件"})


def case_by_no(session: Session, case_no: str) -> RectificationCase | None:
    return session.scalars(select(RectificationCase).where(RectificationCase.case_no == case_no)).first()


def may_see_case(user, case: RectificationCase) -> bool:
    return bool(roles_of(user) & OVERSEERS) or user.unit_code == case.responsible_unit


def require_case(session: Session, user, case_id: int) -> RectificationCase:
    """The case if the user may see it. Raises PermissionDenied for another unit's case."""
    case = session.get(RectificationCase, case_id)
    if case is None or not may_see_case(user, case):
        raise PermissionDenied("无权查看该案件")
    return case


@dataclass
class LedgerFilter:
    unit: str | None = None
    source: str | None = None
    indicator: str | None = None
    status: str | None = None
    overdue: bool = False
    limit: int = 50
    offset: int = 0


def ledger_query(user, flt: LedgerFilter, today: date):
    query = select(RectificationCase)
    if not roles_of(user) & OVERSEERS:
        query = query.where(RectificationCase.responsible_unit == user.unit_code)
    if flt.unit:
        query = query.where(RectificationCase.responsible_unit == flt.unit)
    if flt.source:
        query = query.where(RectificationCase.source == flt.source)
    if flt.indicator:
        query = query.where(RectificationCase.indicator == flt.indicator)
    if flt.status:
        query = query.where(RectificationCase.status == flt.status)
    if flt.overdue:
        query = query.where(RectificationCase.status == "rectifying", RectificationCase.due_on < today)
    return query


def ledger(session: Session, user, flt: LedgerFilter, today: date) -> tuple[list[RectificationCase], int]:
    """One page of the ledger the user may see, and the total matching count."""
    query = ledger_query(user, flt, today)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(RectificationCase.id.desc()).limit(flt.limit).offset(flt.offset))
    return list(rows), total


def case_deadline(case: RectificationCase, today: date):
    """Yellow/red status of a case's deadline; a closed case is never overdue."""
    if case.status != "rectifying":
        return None
    return deadline_status(case.due_on, today)
