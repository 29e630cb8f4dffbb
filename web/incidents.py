"""异常任务: due jobs that failed every attempt, listed for admins with a retry, as pages and as JSON."""

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import Conflict, NotFound
from workflows import incidents
from workflows.errors import BadRequest
from workflows.incidents import KIND_LABELS

from .admin import admin_required
from .api import json_body
from .api_definitions import api_admin_required
from .platform import get_platform

bp = Blueprint("incidents", __name__, url_prefix="/admin/incidents")
api_bp = Blueprint("api_incidents", __name__, url_prefix="/api/incidents")
PAGE = 30
MAX_PAGE = 100_000


def _page() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def _listing(status: int = 200):
    page = _page()
    with get_platform().db.reading() as session:
        rows = incidents.incident_list(session, current_user.username, limit=PAGE + 1, offset=(page - 1) * PAGE)
        total = incidents.incident_count(session, current_user.username)
    return render_template("incidents/index.html", rows=rows[:PAGE], has_next=len(rows) > PAGE, page=page,
                           total=total, kinds=KIND_LABELS), status


@bp.route("/")
@admin_required
def index():
    """Every incident, the latest first, each with its error and a retry button."""
    return _listing()


@bp.route("/<int:job_id>/retry", methods=["POST"])
@admin_required
def retry(job_id: int):
    """Put one failed job back for the workers; a job retried already answers 409 with the list."""
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            incidents.retry(platform, session, current_user.username, job_id, request.form.get("note"))
    except (Conflict, NotFound) as err:
        flash(err.message, "warning")
        return _listing(err.status)
    flash(_("已重试异常任务 %(id)s，定时任务执行器将重新执行", id=job_id), "success")
    return redirect(url_for("incidents.index"), code=303)


@api_bp.route("", methods=["GET"])
@api_admin_required
def api_index():
    """Incidents as JSON, the latest first (`?page=`)."""
    page = _page()
    with get_platform().db.reading() as session:
        rows = incidents.incident_list(session, g.api_user.username, limit=PAGE + 1, offset=(page - 1) * PAGE)
        total = incidents.incident_count(session, g.api_user.username)
    return jsonify({"incidents": [row.as_dict() for row in rows[:PAGE]], "total": total, "page": page,
                    "has_next": len(rows) > PAGE})


@api_bp.route("/<int:job_id>/retry", methods=["POST"])
@api_admin_required
def api_retry(job_id: int):
    """Retry one incident (body: optional `note`): 200 with the job back as pending, 404 for no such job,
    409 if retried already."""
    platform, body = get_platform(), json_body()
    unknown = sorted(set(body) - {"note"})
    if unknown:
        raise BadRequest(_("不认识的字段：%(names)s", names="、".join(unknown)))
    if "note" in body and not isinstance(body["note"], str):
        raise BadRequest(_("note（重试说明）须为文本"))
    with platform.db.transaction() as session:
        job = incidents.retry(platform, session, g.api_user.username, job_id, body.get("note"))
        body = {"id": job.id, "status": job.status, "attempts": job.attempts}
    return jsonify(body)
