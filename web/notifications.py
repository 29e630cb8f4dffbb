"""The notification centre: 催办, 临近提醒, 督办, 移交 and 延期 messages, with mark-as-read."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from engine.models import OPEN, HumanTask, ProcessInstance
from engine.queries import offered_to
from workflows import notifications
from workflows.notifications import KIND_LABELS

from .nav import actor_of
from .notification_text import body_text, title_text
from .platform import get_platform

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE = 30


@bp.route("/")
@login_required
def index():
    """My notifications, newest first; `?unread=1` shows only the unread ones."""
    platform = get_platform()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    unread_only = request.args.get("unread") == "1"
    with platform.db.reading() as session:
        rows = notifications.inbox(session, current_user.username, unread_only, limit=PAGE + 1,
                                   offset=(page - 1) * PAGE)
        unread = notifications.unread_count(session, current_user.username)
        has_next, rows = len(rows) > PAGE, rows[:PAGE]
        ids = {note.instance_id for note in rows if note.instance_id}
        keys = dict(session.execute(select(ProcessInstance.id, ProcessInstance.process_key)
                                    .where(ProcessInstance.id.in_(ids))).all()) if ids else {}
        open_task_ids = _still_mine(session, {note.task_id for note in rows if note.task_id})
    texts = {note.id: (title_text(note.title, keys.get(note.instance_id)),
                       body_text(note.body, keys.get(note.instance_id))) for note in rows}
    return render_template("notifications/index.html", rows=rows, texts=texts, has_next=has_next, page=page,
                           unread_only=unread_only, unread=unread, kinds=KIND_LABELS, open_task_ids=open_task_ids)


def _still_mine(session, task_ids: set[int]) -> set[int]:
    """The tasks among these that are still open and mine to do, so a notice can open them directly."""
    if not task_ids:
        return set()
    query = select(HumanTask.id).where(HumanTask.id.in_(task_ids), HumanTask.status == OPEN,
                                       offered_to(actor_of(current_user)))
    return set(session.scalars(query))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int):
    """Mark one notification read, then open its case if it has one."""
    platform = get_platform()
    with platform.db.transaction() as session:
        notifications.mark_read(platform, session, current_user.username, notification_id)
    target = request.form.get("open")
    if target and target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark every notification read."""
    platform = get_platform()
    with platform.db.transaction() as session:
        notifications.mark_read(platform, session, current_user.username)
    return redirect(url_for("notifications.index"))


def unread_for(username: str) -> int:
    """The badge count in the navigation bar."""
    with get_platform().db.reading() as session:
        return notifications.unread_count(session, username)
