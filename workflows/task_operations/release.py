"""取消签收: the person who claimed a task gives it back to the people it is offered to."""

from sqlalchemy.orm import Session

from engine import Conflict

from ..notifications import notify, unit_people
from . import held_task


def release_task(platform, session: Session, username: str, task_id, reason: str | None = None,
                 expected_version: int | None = None):
    """Give a claimed task back to its pool (its unit, group or role); the unit's people are told.

    Raises TaskNotFound, PermissionDenied (not held by them, or forbidden by the diagram),
    Conflict (a task offered to them alone has no pool to go back to) or StaleVersion.
    """
    user, view = held_task(session, username, task_id, "release")
    task = view.task
    if not (task.candidate_unit or task.candidate_group or task.candidate_role):
        raise Conflict("该任务只交由你个人办理，没有可退回的待签收人")
    done = platform.engine.reassign(session, task.id, user.username, reason=reason or None, kind="task_released",
                                    expected_version=expected_version)
    if task.candidate_unit:
        others = [p for p in unit_people(session, task.candidate_unit) if p != user.username]
        notify(platform, session, others, "task_released", f"任务回到待签收：{task.name}",
               reason or f"{user.name} 取消了签收", instance_id=task.instance_id, task_id=task.id)
    return done
