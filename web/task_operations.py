"""The task page's operations besides completing (转办, 委派, 加签, 驳回, 撤回, 取消签收 …), as forms.

Each posts to its own route here and goes back to the inbox, or to the task page saying why not;
the operation itself is a `workflows.task_operations` service run in one transaction.
"""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine import EngineError
from workflows.task_operations.release import release_task

from .input_rules import version_number
from .platform import get_platform

bp = Blueprint("task_ops", __name__, url_prefix="/tasks")


def form_version() -> int | None:
    """The instance version the page was drawn at, from the form's expected_version field."""
    raw = request.form.get("expected_version")
    return version_number(raw, "expected_version") if raw else None


def run(task_id: int, operation, done_message: str, **kwargs):
    """Run `operation(platform, session, username, task_id, …)`; flash what happened, either way."""
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            operation(platform, session, current_user.username, task_id, expected_version=form_version(), **kwargs)
    except EngineError as err:
        flash(err.message, "warning")
        return redirect(url_for("tasks.show", task_id=task_id), code=303)
    flash(done_message, "success")
    return redirect(url_for("inbox.todo"), code=303)


@bp.route("/<int:task_id>/release", methods=["POST"])
@login_required
def release(task_id: int):
    """取消签收: give a claimed task back to the people it is offered to."""
    return run(task_id, release_task, _("已取消签收，任务回到待签收"), reason=request.form.get("reason", "").strip())
