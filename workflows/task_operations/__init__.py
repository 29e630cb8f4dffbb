"""What a person may do with a task besides completing it (转办, 委派, 加签, 驳回, 撤回, 取消签收 …).

Each operation is one engine action in the caller's transaction, with its own rule of who may
take it, a timeline event with the opinion, a notification to the people it affects, and the
instance version check of a completion (a stale operation is refused with 409). A diagram may
forbid an operation on a user task (workflows.task_settings, key ``deny``): it is then not
offered, and refused with 403 naming it. One module per operation in this package.
"""

from sqlalchemy.orm import Session

from engine import Conflict

from ..errors import PermissionDenied
from ..models import User
from ..services import TaskView, load_task
from ..task_settings import require_allowed


def held_task(session: Session, username: str, task_id, operation: str) -> tuple[User, TaskView]:
    """The open task `username` holds (has claimed), which its diagram lets them `operation`.

    Raises TaskNotFound, PermissionDenied (not theirs, not held by them, or forbidden by the
    diagram) or Conflict (the task is no longer open).
    """
    user, view = load_task(session, username, task_id)
    task = view.task
    if task.status != "open":
        raise Conflict("该任务已办理或已撤销，无法再操作")
    if task.assignee != user.username:
        raise PermissionDenied("只有已签收该任务的人可以这样做，请先签收")
    require_allowed(view.definition, task.element_id, operation)
    return user, view
