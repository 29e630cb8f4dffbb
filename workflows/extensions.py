"""延期申请: a unit asks for more working days before its deadline; the inspector approves or refuses.

An approved extension moves the deadline in the ledger and in the waiting 整改 task's data, and
the engine re-reads the ladder's timers from it, so their due jobs move in the same transaction.
A reminder that had already gone out is re-armed as a `reminder` due job for the new deadline.
"""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Conflict
from engine.models import DueJob, HumanTask

from .calendar import add_working_days
from .calendar_overrides import with_calendar
from .deadlines import plan_for_due, schedule_reminder
from .errors import FormInvalid, PermissionDenied
from .models import ExtensionRequest, RectificationCase
from .notifications import notify, unit_people
from .organisation import require_user, roles_of

MAX_EXTRA_DAYS = 60
DECIDERS = {"office", "admin"}
STATUS_LABELS = {"pending": "待审批", "approved": "已同意", "refused": "未同意"}


def open_rectify_task(session: Session, case: RectificationCase) -> HumanTask | None:
    return session.scalars(select(HumanTask).where(HumanTask.instance_id == case.instance_id,
                                                   HumanTask.element_id == "rectify",
                                                   HumanTask.status == "open")).first()


def pending_request(session: Session, case_id: int) -> ExtensionRequest | None:
    return session.scalars(select(ExtensionRequest).where(ExtensionRequest.case_id == case_id,
                                                          ExtensionRequest.status == "pending")).first()


def may_decide(user, case: RectificationCase) -> bool:
    return user.username == case.inspector or bool(roles_of(user) & DECIDERS)


def request_extension(platform, session: Session, username: str, case_id: int, extra_days, reason: str
                      ) -> ExtensionRequest:
    """File a request for `extra_days` more working days.

    Raises PermissionDenied (not the responsible unit's case), FormInvalid (days out of range or no
    reason), Conflict (no 整改 under way, the deadline has passed, or a request is already pending).
    """
    user = require_user(session, username)
    case = session.get(RectificationCase, case_id)
    if case is None or case.responsible_unit != user.unit_code:
        raise PermissionDenied("只有责任单位可以申请延期")
    errors = {}
    try:
        extra_days = int(extra_days)
    except (TypeError, ValueError):
        extra_days = 0
    if not 1 <= extra_days <= MAX_EXTRA_DAYS:
        errors["extra_days"] = f"延期天数应为 1–{MAX_EXTRA_DAYS} 个工作日"
    reason = (reason or "").strip()
    if len(reason) < 5:
        errors["reason"] = "请说明延期理由（至少 5 个字）"
    if errors:
        raise FormInvalid(errors)
    task = open_rectify_task(session, case)
    if task is None or case.status != "rectifying":
        raise Conflict("案件不在整改阶段，不能申请延期")
    if platform.today() > case.due_on:
        raise Conflict("已超过整改期限，不能再申请延期")
    if pending_request(session, case.id) is not None:
        raise Conflict("已有待审批的延期申请")
    req = ExtensionRequest(case_id=case.id, instance_id=case.instance_id, task_id=task.id, extra_days=extra_days,
                           reason=reason, old_due_on=case.due_on, status="pending", requested_by=username,
                           requested_at=platform.clock())
    session.add(req)
    session.flush()
    platform.engine.record(session, case.instance_id, "extension_requested", username, task_id=task.id,
                           opinion=reason, data={"request_id": req.id, "extra_days": extra_days})
    notify(platform, session, [case.inspector], "extension_requested",
           f"延期申请：{case.case_no} 申请延长 {extra_days} 个工作日", f"{user.name}：{reason}",
           instance_id=case.instance_id, task_id=task.id, case_id=case.id)
    return req


@with_calendar
def decide_extension(platform, session: Session, username: str, request_id: int, approve: bool,
                     opinion: str = "") -> ExtensionRequest:
    """Approve (the deadline and its timers move) or refuse a pending request.

    Raises PermissionDenied (neither the case's inspector nor the office), Conflict (already
    decided, or the 整改 task is no longer open), and the engine's errors from rescheduling.
    """
    user = require_user(session, username)
    req = session.get(ExtensionRequest, request_id)
    case = session.get(RectificationCase, req.case_id) if req else None
    if case is None or not may_decide(user, case):
        raise PermissionDenied("只有督查人员或领导小组办公室可以审批延期")
    if req.status != "pending":
        raise Conflict("该延期申请已审批")
    opinion = (opinion or "").strip()[:2000]
    now = platform.clock()
    req.decided_by, req.decided_at, req.opinion = username, now, opinion
    if not approve:
        req.status = "refused"
        platform.engine.record(session, case.instance_id, "extension_refused", username, task_id=req.task_id,
                               opinion=opinion or "不同意延期", data={"request_id": req.id})
    else:
        task = open_rectify_task(session, case)
        if task is None:
            raise Conflict("整改任务已办结，无需延期")
        _move_deadline(platform, session, case, task, req, username, opinion)
    word = "同意" if approve else "不同意"
    notify(platform, session, [req.requested_by, *unit_people(session, case.responsible_unit)],
           "extension_decided", f"延期审批：{case.case_no} {word}延期（整改期限 {case.due_on.isoformat()}）",
           opinion, instance_id=case.instance_id, task_id=req.task_id, case_id=case.id)
    return req


def _move_deadline(platform, session, case, task, req, username, opinion) -> None:
    new_due_on = add_working_days(case.due_on, req.extra_days)
    plan = plan_for_due(new_due_on, platform.clock())
    platform.engine.reschedule(session, task.id, plan, username, kind="extension_approved",
                               opinion=opinion or f"同意延期 {req.extra_days} 个工作日")
    req.status, req.new_due_on = "approved", new_due_on
    case.due_on, case.extended_days = new_due_on, (case.extended_days or 0) + req.extra_days
    case.deadline_days = case.deadline_days + req.extra_days
    case.escalation = None if case.escalation == "reminded" else case.escalation
    remind_waiting = session.scalars(select(DueJob.id).where(
        DueJob.instance_id == case.instance_id, DueJob.element_id == "rectify_remind",
        DueJob.status == "pending")).first()
    if remind_waiting is None:  # the diagram's reminder went out for the old deadline
        schedule_reminder(session, case, plan["remind_at"])


def request_view(req: ExtensionRequest) -> dict:
    return {"id": req.id, "extra_days": req.extra_days, "reason": req.reason, "status": req.status,
            "status_label": STATUS_LABELS.get(req.status, req.status), "requested_by": req.requested_by,
            "old_due_on": req.old_due_on.isoformat(), "new_due_on": _iso(req.new_due_on)}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
