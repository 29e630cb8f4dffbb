"""JSON API for organisation admin: units, groups, people, leaving and moving, the workbook.

Bearer tokens as for the rest of /api. People are named by their permanent `username` in paths
and fields (`login` is what they sign in with). Errors: 401 no token, 403 not an organisation
admin, 404 unknown, 409 a task changed meanwhile, 422 with `errors` by field (or, for an import,
by sheet, row and column). Fields are of one JSON type each (text, null to clear an optional one,
true/false, whole numbers, lists of text); a field of another type or one no route reads is a 422.
"""

from functools import wraps

from flask import Blueprint, Response, g, jsonify, request, url_for

from engine.clock import as_utc
from workflows.errors import BadRequest
from workflows.org_admin import groups, leaving, people, units, workbook, workbook_import
from workflows.org_admin import json_fields as shape
from workflows.org_admin.access import may_administer
from workflows.org_admin.handover import held_tasks
from workflows.org_admin.workbook_import import MAX_BYTES, ImportRefused

from .api import json_body, paging
from .api_auth import api_login_required
from .platform import get_platform

bp = Blueprint("api_org", __name__, url_prefix="/api/org")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YES_NO = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def api_org_admin_required(view):
    """Bearer token of someone who may administer the organisation, else 401 or 403."""

    @wraps(view)
    @api_login_required
    def wrapper(*args, **kwargs):
        if not may_administer(g.api_user):
            return jsonify({"error": "Forbidden", "message": "只有系统管理员可以管理组织机构"}), 403
        return view(*args, **kwargs)

    return wrapper


def _yes_no(name: str) -> bool | None:
    """`?name=1|true|yes` or `0|false|no`; None when absent or blank. Raises BadRequest for anything else,
    so that a misspelt `dry_run` never writes and a misspelt filter never lists everything."""
    value = request.args.get(name, "").strip().lower()
    if not value:
        return None
    if value not in YES_NO:
        raise BadRequest(f"查询参数 {name} 须为 1 或 0（true/false）")
    return YES_NO[value]


def _active() -> bool | None:
    return _yes_no("active")


def _arg(name: str) -> str | None:
    return (request.args.get(name) or "").strip()[:100] or None


def _listing(key: str, rows: list, total: int, page: int, per_page: int):
    return jsonify({key: rows, "total": total, "page": page, "per_page": per_page})


def _created(body: dict, location: str):
    response = jsonify(body)
    response.status_code, response.headers["Location"] = 201, location
    return response


# -- units ----------------------------------------------------------------------------------------

@bp.get("/units")
@api_org_admin_required
def unit_list():
    """Units in their order; `q` (code, name, short name), `kind`, `active`, `page`, `per_page`."""
    page, per_page = paging()
    flt = units.UnitFilter(q=_arg("q"), kind=_arg("kind"), active=_active(), limit=per_page,
                           offset=(page - 1) * per_page)
    with get_platform().db.reading() as session:
        rows, total, _counts = units.list_units(session, flt)
    return _listing("units", [units.unit_json(u) for u in rows], total, page, per_page)


@bp.post("/units")
@api_org_admin_required
def unit_create():
    """Add a unit: code, name, kind, optional short_name, head (username), sort_order, active; 201."""
    platform, body = get_platform(), shape.checked(json_body(), shape.UNIT, units.LABELS)
    with platform.db.transaction() as session:
        spec = units.create_unit(platform, session, g.api_user.username, body)
    return _created(units.unit_json(spec), url_for("api_org.unit_get", code=spec.code))


@bp.get("/units/<code>")
@api_org_admin_required
def unit_get(code: str):
    """One unit."""
    with get_platform().db.reading() as session:
        return jsonify(units.unit_json(units.get_unit(session, code)))


@bp.patch("/units/<code>")
@api_org_admin_required
def unit_update(code: str):
    """Change the fields the body gives (`active: false` deactivates the unit); at least one."""
    platform, body = get_platform(), json_body()
    with platform.db.transaction() as session:
        body = shape.checked(body, shape.UNIT_CHANGE, units.LABELS, units.unit_json(units.get_unit(session, code)),
                             changing=True)
        spec = units.update_unit(platform, session, g.api_user.username, code, body)
    return jsonify(units.unit_json(spec))


# -- groups ---------------------------------------------------------------------------------------

@bp.get("/groups")
@api_org_admin_required
def group_list():
    """Groups in their order; `q`, `kind`, `unit` (leads or belongs to), `active`, `page`, `per_page`."""
    page, per_page = paging()
    flt = groups.GroupFilter(q=_arg("q"), kind=_arg("kind"), unit=_arg("unit"), active=_active(), limit=per_page,
                             offset=(page - 1) * per_page)
    with get_platform().db.reading() as session:
        rows, total, members = groups.list_groups(session, flt)
    return _listing("groups", [groups.group_json(r, members.get(r.code, [])) for r in rows], total, page, per_page)


@bp.post("/groups")
@api_org_admin_required
def group_create():
    """Add a group: code, name, kind, lead_unit, members (unit codes), optional leader (username); 201."""
    platform, body = get_platform(), shape.checked(json_body(), shape.GROUP, groups.LABELS)
    with platform.db.transaction() as session:
        spec = groups.create_group(platform, session, g.api_user.username, body)
    return _created(groups.group_json(spec, spec.members), url_for("api_org.group_get", code=spec.code))


@bp.get("/groups/<code>")
@api_org_admin_required
def group_get(code: str):
    """One group with its member units."""
    with get_platform().db.reading() as session:
        group, members = groups.get_group(session, code)
        return jsonify(groups.group_json(group, members))


@bp.patch("/groups/<code>")
@api_org_admin_required
def group_update(code: str):
    """Change the fields the body gives; at least one."""
    platform, body = get_platform(), json_body()
    with platform.db.transaction() as session:
        shown = groups.group_json(*groups.get_group(session, code))
        body = shape.checked(body, shape.GROUP_CHANGE, groups.LABELS, shown, changing=True)
        spec = groups.update_group(platform, session, g.api_user.username, code, body)
    return jsonify(groups.group_json(spec, spec.members))


# -- people ---------------------------------------------------------------------------------------

@bp.get("/people")
@api_org_admin_required
def person_list():
    """People; `q` (login, name, phone, e-mail), `unit`, `role`, `group`, `active`, `page`, `per_page`."""
    page, per_page = paging()
    flt = people.PersonFilter(q=_arg("q"), unit=_arg("unit"), role=_arg("role"), group=_arg("group"),
                              active=_active(), limit=per_page, offset=(page - 1) * per_page)
    with get_platform().db.reading() as session:
        rows, total = people.list_people(session, flt)
        return _listing("people", [people.person_json(p) for p in rows], total, page, per_page)


def _person(session, username: str) -> dict:
    return people.person_json(people.get_person(session, username))


@bp.post("/people")
@api_org_admin_required
def person_create():
    """Add a person: login, name, unit, optional phone, email, roles, member_of, password; 201."""
    platform, body = get_platform(), shape.checked(json_body(), shape.NEW_PERSON, people.LABELS)
    with platform.db.transaction() as session:
        spec = people.create_person(platform, session, g.api_user.username, body)
        payload = _person(session, spec.username)
    return _created(payload, url_for("api_org.person_get", username=spec.username))


@bp.get("/people/<username>")
@api_org_admin_required
def person_get(username: str):
    """One person."""
    with get_platform().db.reading() as session:
        return jsonify(_person(session, username))


@bp.patch("/people/<username>")
@api_org_admin_required
def person_update(username: str):
    """Change name, phone, email, roles, member_of (unit, login and state have their own actions); at least one."""
    platform, body = get_platform(), json_body()
    with platform.db.transaction() as session:
        body = shape.checked(body, shape.PERSON, people.LABELS, _person(session, username), changing=True)
        people.update_person(platform, session, g.api_user.username, username, body)
        payload = _person(session, username)
    return jsonify(payload)


@bp.delete("/people/<username>")
@api_org_admin_required
def person_delete(username: str):
    """Delete a person who left no trace (422 naming the traces otherwise: deactivate them instead)."""
    platform = get_platform()
    shape.checked(json_body(), shape.NOTHING, people.LABELS)
    with platform.db.transaction() as session:
        people.delete_person(platform, session, g.api_user.username, username)
    return Response(status=204)


@bp.post("/people/<username>/rename")
@api_org_admin_required
def person_rename(username: str):
    """Body `{"login": …}`: the new sign-in name; the old one and the person's API tokens stop working."""
    platform, body = get_platform(), shape.checked(json_body(), shape.RENAME, people.LABELS)
    with platform.db.transaction() as session:
        people.rename_person(platform, session, g.api_user.username, username, body.get("login"))
        payload = _person(session, username)
    return jsonify(payload)


@bp.post("/people/<username>/activate")
@api_org_admin_required
def person_activate(username: str):
    """Reactivate a person."""
    platform = get_platform()
    shape.checked(json_body(), shape.NOTHING, people.LABELS)
    with platform.db.transaction() as session:
        people.activate_person(platform, session, g.api_user.username, username)
        payload = _person(session, username)
    return jsonify(payload)


def _task_json(task, default: str) -> dict:
    return {"id": task.id, "instance_id": task.instance_id, "process_key": task.process_key, "name": task.name,
            "title": task.title, "assignee": task.assignee, "candidate_user": task.candidate_user,
            "candidate_unit": task.candidate_unit, "due_at": as_utc(task.due_at).isoformat() if task.due_at else None,
            "default": default}


@bp.get("/people/<username>/tasks")
@api_org_admin_required
def person_tasks(username: str):
    """The open tasks the person claimed or was offered personally, each with its default handover
    when they leave (`?for=leave`, the default) or move (`?for=move`)."""
    purpose = request.args.get("for", "leave")
    if purpose not in ("leave", "move"):
        raise BadRequest("查询参数 for 须为 leave（停用）或 move（调动）")
    leaving_ = purpose == "leave"
    with get_platform().db.reading() as session:
        view = leaving.departure(session, g.api_user.username, username, leaving_)
        return jsonify({"tasks": [_task_json(t, view.defaults[t.id]) for t in view.tasks],
                        "vacated": view.vacated})


def _plan(body: dict) -> leaving.Plan:
    return leaving.read_plan(body.get("handovers") or {}, body.get("default"))


@bp.post("/people/<username>/deactivate")
@api_org_admin_required
def person_deactivate(username: str):
    """停用 with handover. Body: `handovers` {task id: "pool" | username}, `default` for the rest (pool)."""
    platform, body = get_platform(), shape.checked(json_body(), shape.DEACTIVATE, people.LABELS)
    plan = _plan(body)
    with platform.db.transaction() as session:
        done = leaving.deactivate_person(platform, session, g.api_user.username, username, plan)
        payload = {"person": _person(session, username), "handed_over": _handed(done)}
    return jsonify(payload)


@bp.post("/people/<username>/move")
@api_org_admin_required
def person_move(username: str):
    """调动 with handover. Body: `unit`, `handovers` {task id: "pool" | "keep" | username}, `default`."""
    platform, body = get_platform(), shape.checked(json_body(), shape.MOVE, people.LABELS)
    plan = _plan(body)
    with platform.db.transaction() as session:
        done = leaving.move_person(platform, session, g.api_user.username, username, body.get("unit"), plan)
        payload = {"person": _person(session, username), "handed_over": _handed(done),
                   "kept": [t.id for t in held_tasks(session, username)]}
    return jsonify(payload)


def _handed(done: list) -> list[dict]:
    return [{"task_id": r.task_id, "instance_id": r.instance_id, "to": r.after.assignee,
             "unit": None if r.after.assignee else r.after.candidate_unit} for r in done]


# -- the workbook ---------------------------------------------------------------------------------

@bp.get("/export")
@api_org_admin_required
def export():
    """The whole organisation as an .xlsx workbook."""
    with get_platform().db.reading() as session:
        data = workbook.export_workbook(session)
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": 'attachment; filename="organisation.xlsx"'})


@bp.get("/template")
@api_org_admin_required
def template():
    """The empty workbook with a note on every column."""
    return Response(workbook.template_workbook(), mimetype=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="organisation-template.xlsx"'})


def _plan_json(plan) -> dict:
    def change(c):
        return {"sheet": c.sheet, "row": c.row, "key": c.key, "name": c.name,
                "fields": [{"field": label, "old": old, "new": new} for label, old, new in c.fields]}

    return {"ok": not plan.errors, "counts": plan.counts, "errors": [e.as_dict() for e in plan.errors],
            "added": [change(c) for c in plan.added], "changed": [change(c) for c in plan.changed],
            "deactivated": [change(c) for c in plan.deactivated], "handovers": plan.handovers}


@bp.post("/import")
@api_org_admin_required
def import_():
    """Multipart `file`: the workbook. `?dry_run=1` previews (200 with what would change, or 422 with
    every error by sheet, row and column); otherwise it is written in one transaction or not at all."""
    upload = request.files.get("file")
    data = upload.read(MAX_BYTES + 1) if upload is not None else b""
    platform = get_platform()
    try:
        if _yes_no("dry_run"):
            with platform.db.reading() as session:
                plan = workbook_import.plan_import(session, g.api_user.username, data)
            return jsonify(_plan_json(plan)), 422 if plan.errors else 200
        with platform.db.transaction() as session:
            plan = workbook_import.run_import(platform, session, g.api_user.username, data)
    except ImportRefused as err:
        return jsonify({"error": "ImportRefused", "message": err.message,
                        "errors": [e.as_dict() for e in err.errors]}), 422
    return jsonify(_plan_json(plan))
