"""Policy measures: only a group's lead unit drafts; a filed measure enters the policy library."""

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .errors import PermissionDenied
from .hooks import ProcessHooks, register
from .models import Group, PolicyMeasure
from .organisation import require_role

KIND_LABELS = {"general": "一般举措", "normative": "规范性文件"}


def _check_lead_unit(session: Session, user, group_code: str) -> Group:
    group = session.get(Group, group_code)
    if group is None:
        raise PermissionDenied(f"专题组 {group_code} 不存在")
    if group.lead_unit != user.unit_code:
        raise PermissionDenied(f"只有“{group.name}”的牵头单位可以起草该组的政策举措")
    return group


class PolicyMeasureHooks(ProcessHooks):
    def check_starter(self, session, user):
        require_role(user, "drafter")

    def before_start(self, platform, session, user, data):
        _check_lead_unit(session, user, data["group_code"])
        return {**data, "lead_unit": user.unit_code, "drafter": user.username}

    def before_complete(self, platform, session, user, task, data):
        if task.element_id == "revise" and "group_code" in data:
            _check_lead_unit(session, user, data["group_code"])
        return data

    def after_complete(self, platform, session, user, task, data, outcome):
        if outcome.status == "completed" and outcome.end_event == "filed":
            final = outcome.data
            session.add(PolicyMeasure(
                instance_id=outcome.instance_id, title=final["title"], content=final["content"],
                group_code=final["group_code"], basis=final.get("basis"), kind=final["kind"],
                lead_unit=final["lead_unit"], drafter=final.get("drafter"),
                doc_number=final["doc_number"], filed_on=date.fromisoformat(final["filed_on"]),
                filed_by=user.username, filed_at=platform.clock(),
            ))


register("policy_measure", PolicyMeasureHooks())


def search_library(session: Session, text: str | None = None, group: str | None = None,
                   doc_number: str | None = None, limit: int = 50, offset: int = 0) -> list[PolicyMeasure]:
    """Filed measures matching the title/content text, the group and the 文号, newest first."""
    query = select(PolicyMeasure)
    if text:
        like = f"%{text}%"
        query = query.where(or_(PolicyMeasure.title.ilike(like), PolicyMeasure.content.ilike(like)))
    if group:
        query = query.where(PolicyMeasure.group_code == group)
    if doc_number:
        query = query.where(PolicyMeasure.doc_number.ilike(f"%{doc_number}%"))
    return list(session.scalars(query.order_by(PolicyMeasure.filed_on.desc(), PolicyMeasure.id.desc())
                                .limit(limit).offset(offset)))
