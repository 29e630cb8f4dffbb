"""Deadline actions on a case or task page: 催办, 延期申请 and its approval, and the deadline badge."""

import os
import threading

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engine.models import HumanTask
from engine.worker import DEFAULT_POLL
from workflows.calendar import deadline_status
from workflows.deadlines import ESCALATION_LABELS, make_worker
from workflows.extensions import decide_extension, may_decide, open_rectify_task, pending_request, request_extension
from workflows.extensions import request_view as extension_view
from workflows.notifications import URGERS, urge_task
from workflows.organisation import require_user

from .platform import get_platform

bp = Blueprint("deadlines", __name__, url_prefix="/deadlines")


def _back(instance_id: int | None = None):
    """Back to the page the button was on, else the instance page."""
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("instances.show", instance_id=instance_id) if instance_id else url_for("inbox.todo"))


@bp.route("/tasks/<int:task_id>/urge", methods=["POST"])
@login_required
def urge(task_id: int):
    """催办: notify whoever holds an open task."""
    platform = get_platform()
    with platform.db.transaction() as session:
        sent = urge_task(platform, session, current_user.username, task_id, request.form.get("message", ""))
        instance_id = session.get(HumanTask, task_id).instance_id
    flash(_("已催办，通知 %(n)s 人", n=len(sent)), "success")
    return _back(instance_id)


@bp.route("/cases/<int:case_id>/extension", methods=["POST"])
@login_required
def extension_request(case_id: int):
    """延期申请 by the responsible unit, before the deadline."""
    platform = get_platform()
    with platform.db.transaction() as session:
        req = request_extension(platform, session, current_user.username, case_id,
                                request.form.get("extra_days"), request.form.get("reason", ""))
        instance_id = req.instance_id
    flash(_("延期申请已提交，等待督查人员审批"), "success")
    return _back(instance_id)


@bp.route("/extensions/<int:request_id>/decide", methods=["POST"])
@login_required
def extension_decide(request_id: int):
    """Approve or refuse a pending 延期申请."""
    platform = get_platform()
    approve = request.form.get("decision") == "approve"
    with platform.db.transaction() as session:
        req = decide_extension(platform, session, current_user.username, request_id, approve,
                               request.form.get("opinion", ""))
        instance_id = req.instance_id
    flash(_("已同意延期") if approve else _("已驳回延期申请"), "success")
    return _back(instance_id)


@bp.app_template_global()
def deadline_panel(instance=None, task=None, case=None) -> dict | None:
    """What the deadline include shows for this page and this person; None when nothing applies."""
    if not current_user.is_authenticated or (instance is None and task is None):
        return None
    platform = get_platform()
    instance_id = instance.id if instance is not None else task.instance_id
    today = platform.today()
    with platform.db.reading() as session:
        user = require_user(session, current_user.username)
        open_tasks = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                                  HumanTask.status == "open")))
        if task is not None:
            open_tasks = [t for t in open_tasks if t.id == task.id]
        panel = {"urge_tasks": open_tasks if current_user.has_role(*URGERS) else [], "deadline": None,
                 "escalation": None, "pending": None, "may_request": False, "may_decide": False, "case": case}
        if case is not None:
            if case.status == "rectifying":
                panel["deadline"] = {"due_on": case.due_on.isoformat(), "status": deadline_status(case.due_on, today)}
            panel["escalation"] = ESCALATION_LABELS.get(case.escalation or "")
            pending = pending_request(session, case.id)
            panel["pending"] = extension_view(pending) if pending else None
            panel["may_decide"] = pending is not None and may_decide(user, case)
            panel["may_request"] = (pending is None and case.status == "rectifying" and today <= case.due_on
                                    and user.unit_code == case.responsible_unit
                                    and open_rectify_task(session, case) is not None)
    panel["next"] = request.full_path.rstrip("?")
    return panel


def init_app(app) -> None:
    """With RUN_WORKER set (config or environment), fire due timers from a thread of this process.

    Meant for the single-process SQLite demo; production runs `ysflow worker` processes instead.
    """
    if not app.config.get("RUN_WORKER", os.environ.get("RUN_WORKER") == "1"):
        return
    stop = threading.Event()
    worker = make_worker(app.extensions["ysflow"], worker_id=f"web:{os.getpid()}")
    thread = threading.Thread(target=worker.run, kwargs={"poll": DEFAULT_POLL, "stop": stop},
                              name="ysflow-timer-worker", daemon=True)
    thread.start()
    app.extensions["ysflow_worker"] = (worker, stop, thread)
