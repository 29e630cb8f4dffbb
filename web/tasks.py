"""The task page: one task's form under its instance's data and history, and its submission.

A submission with evidence files is read by web.input_guard even when a file is over its limit, so
that the form comes back with the file refused beside its field and everything typed kept; the
page's script (static/js/upload_check.js) checks the same limits before anything is sent.
"""

from functools import partial
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from engine import Conflict, EngineError
from workflows.attachments import ALLOWED, ALLOWED_LABEL, Upload, file_fields, submit_task_form
from workflows.errors import FormInvalid
from workflows.forms import START_FORM, fields
from workflows.organisation import user_names
from workflows.services import load_task
from workflows.task_settings import allows

from .errors import http_error_response, http_message
from .filters import localtime
from .input_rules import version_number
from .instances import case_file
from .platform import get_platform

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
# The operations besides completing (转办, 加签, 驳回 …): a template each under tasks/ops/, shown below the
# form; each decides from `allowed(operation)` (the diagram's settings) and the task whether it applies.
TASK_OPERATIONS = sorted(f"tasks/ops/{p.name}" for p in (Path(__file__).parent / "templates" / "tasks" / "ops")
                         .glob("*.html"))
UPLOAD_PREFIX = "upload_"
UPLOAD_ACCEPT = ",".join(f".{ext}" for ext in ALLOWED)  # the file picker offers only what is taken


def prefill(view, events) -> dict:
    """Values a task's form starts with.

    A revision (its required fields are start-form fields, e.g. 修改举措) starts from the
    instance's data; a task done before in this instance (整改 after 不通过) starts from what was
    written last time. Opinions and decisions always start empty.
    """
    props = view.schema.get("properties", {})
    start = (view.definition.forms or {}).get(START_FORM, {}).get("properties", {})
    data = view.instance.data or {}
    if set(view.schema.get("required", [])) & set(start):
        return {k: data[k] for k in props if k in data and k != "opinion"}
    earlier = [e for e in events if e.kind == "task_completed" and e.element_id == view.task.element_id]
    if not earlier:
        return {}
    texts = {f.name for f in fields(view.schema) if f.widget in ("text", "textarea")} - {"opinion"}
    return {k: v for k, v in (earlier[-1].data or {}).items() if k in texts}


def done_notice(task, names: dict) -> str:
    """Who finished or holds the task, in the person's own name."""
    if task.status == "completed":
        return _("该任务已由 %(name)s 于 %(at)s 办理", name=names.get(task.completed_by, task.completed_by),
                 at=localtime(task.completed_at))
    return _("该任务已由 %(name)s 签收", name=names.get(task.assignee, task.assignee))


def _render(task_id: int, values=None, errors=None, conflict: str | None = None, status: int = 200):
    with get_platform().db.reading() as session:
        _user, view = load_task(session, current_user.username, task_id)
        context = case_file(session, view.instance, current_user.username)
        names = user_names(session)
        history = [h["event"] for h in context["history"]]
        if values is None:
            values = prefill(view, history)
    task = view.task
    notice = None
    if task.status != "open" or (task.assignee and task.assignee != current_user.username):
        notice = done_notice(task, names)
    has_files = bool(file_fields(view.schema))
    return render_template(
        "tasks/show.html", task=task, view=view, fields=fields(view.schema), values=values,
        errors=errors or {}, conflict=conflict, notice=notice, expected_version=view.instance.version,
        upload_url=url_for("tasks.show", task_id=task.id) if has_files else None,
        allowed_types=ALLOWED_LABEL, upload_accept=UPLOAD_ACCEPT,
        max_mb=current_app.config["UPLOAD_MAX_BYTES"] / 1024 / 1024,
        upload_limits={"file": current_app.config["UPLOAD_MAX_BYTES"],
                       "total": current_app.config["UPLOAD_MAX_TOTAL_BYTES"]},
        task_operations=TASK_OPERATIONS, allowed=partial(allows, view.definition, task.element_id), **context,
    ), status


def _uploads() -> dict[str, list[Upload]]:
    return {name[len(UPLOAD_PREFIX):]: [Upload(f.filename or "", f.read()) for f in request.files.getlist(name)]
            for name in request.files if name.startswith(UPLOAD_PREFIX)}


def _unread_parts() -> dict[str, str]:
    """Messages for what web.input_guard could not read whole: the part being read when the body
    passed its limit (the fields after it never arrived) and text fields longer than allowed."""
    errors = {}
    if request.upload_cut:
        field, filename = request.upload_cut
        limit_mb = "%g" % ((current_app.config["UPLOAD_MAX_TOTAL_BYTES"] + current_app.config["MAX_CONTENT_LENGTH"])
                           / 1024 / 1024)
        errors[field.removeprefix(UPLOAD_PREFIX)] = (
            _("文件“%(name)s”过大，上传内容超过 %(mb)s MB，未能读取", name=filename, mb=limit_mb) if filename
            else _("上传内容超过 %(mb)s MB，此项未能读取", mb=limit_mb))
        errors["_form"] = _("上传内容过大，只读取了前面的部分：请检查各项后重新提交，附件单个不超过 %(mb)g MB",
                            mb=current_app.config["UPLOAD_MAX_BYTES"] / 1024 / 1024)
    for name in request.too_long:
        errors[name] = _("内容过长，只保留了前面的部分")
    return errors


@bp.route("/<int:task_id>", methods=["GET", "POST"])
@login_required
def show(task_id: int):
    """Show a task with its case; on submit, complete it and go back to the inbox."""
    if request.method == "GET":
        return _render(task_id)
    platform, form = get_platform(), request.form
    unread = _unread_parts()
    if unread:
        return _render(task_id, values=form, errors=unread, status=413)
    raw_version = form.get("expected_version")  # web.input_guard has refused anything but a whole number
    version = version_number(raw_version, "expected_version") if raw_version else None
    config = current_app.config
    try:
        with platform.db.transaction() as session:
            submit_task_form(platform, session, current_user.username, task_id, form, _uploads(),
                             config["UPLOAD_MAX_BYTES"], version, config["UPLOAD_MAX_TOTAL_BYTES"])
    except FormInvalid as err:
        return _render(task_id, values=form, errors=err.errors, status=422)
    except Conflict as err:
        return _render(task_id, values=form, conflict=err.message, status=409)
    flash(_("已提交办理"), "success")
    return redirect(url_for("inbox.todo"))


@bp.errorhandler(HTTPException)
def body_refused(err: HTTPException):
    """A submission too large to read (413) comes back as the task's form with the reason on top."""
    if err.code != 413 or request.method != "POST" or not current_user.is_authenticated:
        return http_error_response(err)
    try:
        return _render(request.view_args["task_id"], values={}, errors={"_form": http_message(err)}, status=413)
    except EngineError:  # the task itself cannot be shown to this person: say why the body was refused
        return http_error_response(err)
