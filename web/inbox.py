"""The inbox: 待办 (mine or offered to me, with claim), 已办 and 我发起的, with filters and pages."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import queries
from engine.clock import as_utc
from workflows.calendar import deadline_status
from workflows.platform import LOCAL_TZ
from workflows.services import claim_task

from .nav import actor_of
from .platform import get_platform

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
PROCESS_LABELS = {"policy_measure": "政策举措报批备案", "rectification": "问题整改"}


def due_mark(due_at, today):
    """Yellow within three working days, red once overdue; None when there is no deadline."""
    if due_at is None:
        return None
    return deadline_status(as_utc(due_at).astimezone(LOCAL_TZ).date(), today)


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


@bp.route("/")
@login_required
def todo():
    """My open tasks, offered or assigned, oldest first."""
    platform = get_platform()
    size = platform_page_size()
    page, process = _page(), request.args.get("process") or None
    overdue = request.args.get("overdue") == "1"
    flt = queries.TaskFilter(process_key=process, limit=size, offset=(page - 1) * size)
    if overdue:
        today_start = platform.clock().astimezone(LOCAL_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
        flt.overdue_before = today_start
    if request.args.get("claimed") == "mine":
        flt.extra.append(queries.HumanTask.assignee == current_user.username)
    elif request.args.get("claimed") == "free":
        flt.extra.append(queries.HumanTask.assignee.is_(None))
    actor = actor_of(current_user)
    with platform.db.reading() as session:
        tasks = queries.open_tasks(session, actor, flt)
        total = queries.count_open_tasks(session, actor, flt)
    today = platform.today()
    rows = [(t, due_mark(t.due_at, today)) for t in tasks]
    return render_template("inbox/todo.html", rows=rows, total=total, page=page, size=size,
                           process=process, overdue=overdue, processes=PROCESS_LABELS,
                           claimed=request.args.get("claimed", ""))


@bp.route("/done")
@login_required
def done():
    """Tasks I completed, newest first."""
    platform, page = get_platform(), _page()
    size = platform_page_size()
    process = request.args.get("process") or None
    with platform.db.reading() as session:
        tasks = queries.done_tasks(session, current_user.username, process, limit=size + 1,
                                   offset=(page - 1) * size)
    return render_template("inbox/done.html", tasks=tasks[:size], has_next=len(tasks) > size, page=page,
                           process=process, processes=PROCESS_LABELS)


@bp.route("/started")
@login_required
def started():
    """Instances I started, newest first, filtered by process and status."""
    platform, page = get_platform(), _page()
    size = platform_page_size()
    process, status = request.args.get("process") or None, request.args.get("status") or None
    with platform.db.reading() as session:
        instances = queries.started_by(session, current_user.username, process, limit=size + 1,
                                       offset=(page - 1) * size, status=status)
    return render_template("inbox/started.html", instances=instances[:size], has_next=len(instances) > size,
                           page=page, process=process, status=status, processes=PROCESS_LABELS)


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: int):
    """Take an offered task so that colleagues see it is being handled."""
    platform = get_platform()
    with platform.db.transaction() as session:
        claim_task(platform, session, current_user.username, task_id)
    flash("已签收该任务", "success")
    return redirect(request.referrer if _same_site(request.referrer) else url_for("inbox.todo"))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


def platform_page_size() -> int:
    return int(current_app.config.get("PAGE_SIZE", 20))
