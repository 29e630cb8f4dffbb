"""The JSON API under /api: what the pages do, for other systems, behind bearer tokens.

Errors are JSON (web.errors): 400 bad body, 401 no token, 403 not yours, 404 unknown,
409 conflict (done, claimed or stale), 413 body too large, 415 body not JSON, 422 form invalid
with per-field "errors". web.input_guard refuses bad input before any view here runs.
"""

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import gettext as _

from engine import InstanceNotFound, queries
from engine.clock import as_utc
from engine.models import ProcessInstance
from workflows.errors import BadRequest
from workflows.export import ledger_stats
from workflows.models import PolicyMeasure, RectificationCase
from workflows.organisation import require_user, user_names
from workflows.policy import search_library
from workflows.rectification import ledger
from workflows.services import claim_task, complete_task, instance_for, load_task, start_process

from .api_auth import api_login_required
from .event_labels import event_label
from .input_rules import bounded_int, version_from_if_match, version_number
from .ledger import ledger_filter
from .library import library_query
from .nav import actor_of
from .platform import get_platform

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_PER_PAGE = 100


def _iso(value) -> str | None:
    if value is None:
        return None
    return as_utc(value).isoformat() if hasattr(value, "hour") else value.isoformat()


def task_json(task) -> dict:
    return {"id": task.id, "instance_id": task.instance_id, "process_key": task.process_key,
            "element_id": task.element_id, "name": task.name, "title": task.title, "lane": task.lane,
            "status": task.status, "assignee": task.assignee, "candidate_unit": task.candidate_unit,
            "candidate_group": task.candidate_group, "candidate_role": task.candidate_role,
            "candidate_user": task.candidate_user, "due_at": _iso(task.due_at), "created_at": _iso(task.created_at),
            "completed_at": _iso(task.completed_at), "completed_by": task.completed_by}


def instance_json(instance: ProcessInstance) -> dict:
    return {"id": instance.id, "process_key": instance.process_key, "version": instance.version,
            "status": instance.status, "end_event": instance.end_event, "started_by": instance.started_by,
            "started_at": _iso(instance.started_at), "ended_at": _iso(instance.ended_at),
            "data": instance.data or {}}


def event_json(event, names: dict) -> dict:
    return {"id": event.id, "kind": event.kind, "label": event_label(event.kind), "task_id": event.task_id,
            "element_id": event.element_id,
            "actor": event.actor, "actor_name": names.get(event.actor), "at": _iso(event.at),
            "opinion": event.opinion, "data": event.data or {}}


def case_json(case: RectificationCase) -> dict:
    return {"id": case.id, "case_no": case.case_no, "instance_id": case.instance_id, "source": case.source,
            "description": case.description, "indicator": case.indicator,
            "responsible_unit": case.responsible_unit, "inspector": case.inspector, "status": case.status,
            "rounds": case.rounds, "deadline_days": case.deadline_days, "due_on": _iso(case.due_on),
            "opened_at": _iso(case.opened_at), "closed_at": _iso(case.closed_at),
            "last_opinion": case.last_opinion}


def measure_json(measure: PolicyMeasure) -> dict:
    return {"id": measure.id, "instance_id": measure.instance_id, "title": measure.title,
            "content": measure.content, "group_code": measure.group_code, "basis": measure.basis,
            "kind": measure.kind, "lead_unit": measure.lead_unit, "drafter": measure.drafter,
            "doc_number": measure.doc_number, "filed_on": _iso(measure.filed_on), "filed_by": measure.filed_by}


def outcome_json(outcome) -> dict:
    return {"instance_id": outcome.instance_id, "version": outcome.version, "status": outcome.status,
            "end_event": outcome.end_event, "tasks": [task_json(t) for t in outcome.new_tasks]}


def json_body() -> dict:
    """The request's JSON object; an empty body counts as {}.

    Raises Refusal 415 for a body that is not sent as application/json, 400 for JSON that
    web.input_rules refuses, and BadRequest when the JSON is not an object.
    """
    if not request.get_data():
        return {}
    body = request.get_json()
    if not isinstance(body, dict):
        raise BadRequest(_("请求体须为 JSON 对象"))
    return body


def expected_version(body: dict) -> int | None:
    """`expected_version` from the body (an integer, or its ASCII digits), else from If-Match
    (`3`, `"3"` or `W/"3"`; `*` asks for none). Raises Refusal (400) for anything else: 1.9, "１", true."""
    raw = body.pop("expected_version", None)
    if raw is not None:
        return version_number(raw, "expected_version")
    header = request.headers.get("If-Match")
    return version_from_if_match(header) if header else None


def paging() -> tuple[int, int]:
    """`page` (from 1) and `per_page` (1–100, default 20) from the query string.

    Raises Refusal (400) for values that are not whole numbers in range; web.input_guard already
    refuses them for every route, this keeps the view honest on its own.
    """
    page = bounded_int(request.args.get("page", "1"), "page")
    per_page = min(bounded_int(request.args.get("per_page", "20"), "per_page"), MAX_PER_PAGE)
    return page, per_page


@bp.get("/tasks")
@api_login_required
def tasks():
    """My open tasks (待办), oldest first, paginated; optional `process` filter."""
    page, per_page = paging()
    flt = queries.TaskFilter(process_key=request.args.get("process") or None, limit=per_page,
                             offset=(page - 1) * per_page)
    actor = actor_of(g.api_user)
    with get_platform().db.reading() as session:
        rows = queries.open_tasks(session, actor, flt)
        total = queries.count_open_tasks(session, actor, flt)
    return jsonify({"tasks": [task_json(t) for t in rows], "total": total, "page": page, "per_page": per_page})


@bp.get("/tasks/<int:task_id>")
@api_login_required
def task(task_id: int):
    """One task of mine: the task, its expanded form schema, and its instance's id, version and data."""
    with get_platform().db.reading() as session:
        _user, view = load_task(session, g.api_user.username, task_id)
    response = jsonify({"task": task_json(view.task), "form": view.schema, "instance_id": view.instance.id,
                        "version": view.instance.version, "data": view.instance.data or {}})
    response.headers["ETag"] = f'"{view.instance.version}"'
    return response


@bp.post("/tasks/<int:task_id>/complete")
@api_login_required
def complete(task_id: int):
    """Complete a task with the body as its form data (and `opinion`); 200 with the outcome."""
    platform, body = get_platform(), json_body()
    version = expected_version(body)
    with platform.db.transaction() as session:
        outcome = complete_task(platform, session, g.api_user.username, task_id, body, version)
        payload = outcome_json(outcome)
    return jsonify(payload)


@bp.post("/tasks/<int:task_id>/claim")
@api_login_required
def claim(task_id: int):
    """签收: take an offered task as mine (`If-Match` or `expected_version` as for a completion); 200 with it."""
    platform, body = get_platform(), json_body()
    version = expected_version(body)
    if body:
        raise BadRequest(_("签收不接受其他字段：%(names)s", names="、".join(sorted(body))))
    with platform.db.transaction() as session:
        payload = task_json(claim_task(platform, session, g.api_user.username, task_id, version))
    return jsonify(payload)


@bp.post("/processes/<key>/instances")
@api_login_required
def start(key: str):
    """Start a process with the body as its start form's data; 201 with the instance and first tasks."""
    platform, body = get_platform(), json_body()
    with platform.db.transaction() as session:
        outcome = start_process(platform, session, g.api_user.username, key, body)
        payload = outcome_json(outcome)
    response = jsonify(payload)
    response.status_code = 201
    response.headers["Location"] = url_for("api.instance", instance_id=payload["instance_id"])
    return response


@bp.get("/instances/<int:instance_id>")
@api_login_required
def instance(instance_id: int):
    """An instance I may see: its data, open tasks and events. 404 if unknown, 403 if not mine."""
    with get_platform().db.reading() as session:
        if session.get(ProcessInstance, instance_id) is None:
            raise InstanceNotFound(instance_id)
        found = instance_for(session, g.api_user.username, instance_id)
        open_tasks = queries.instance_tasks(session, instance_id)
        events, names = queries.instance_events(session, instance_id), user_names(session)
        payload = {"instance": instance_json(found), "tasks": [task_json(t) for t in open_tasks],
                   "events": [event_json(e, names) for e in events]}
    return jsonify(payload)


@bp.get("/ledger")
@api_login_required
def ledger_cases():
    """The rectification ledger I may see, with the page's filters, paging and statistics."""
    platform, (page, per_page) = get_platform(), paging()
    flt, _page = ledger_filter(request.args, per_page)
    flt.offset = (page - 1) * per_page
    today = platform.today()
    with platform.db.reading() as session:
        user = require_user(session, g.api_user.username)
        cases, total = ledger(session, user, flt, today)
        stats = ledger_stats(session, user, flt, today)
    return jsonify({"cases": [case_json(c) for c in cases], "total": total, "page": page, "per_page": per_page,
                    "stats": {"total": stats.total, "closed": stats.closed, "overdue": stats.overdue,
                              "closed_rate": stats.closed_rate}})


@bp.get("/library")
@api_login_required
def library():
    """Search the policy library by `q` (title/content), `group` and `doc_number`, paginated."""
    page, per_page = paging()
    with get_platform().db.reading() as session:
        found = search_library(session, **library_query(request.args), limit=per_page + 1,
                               offset=(page - 1) * per_page)
    return jsonify({"measures": [measure_json(m) for m in found[:per_page]], "page": page, "per_page": per_page,
                    "has_next": len(found) > per_page})
