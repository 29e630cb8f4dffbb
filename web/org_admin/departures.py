"""停用 and 调动 with the handover step: a person's open tasks and claims, each handed to a colleague or the pool."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine import Conflict
from workflows.models import Unit
from workflows.org_admin import leaving
from workflows.org_admin.edits import OrgInvalid
from workflows.organisation import user_by_login

from ..inbox import PROCESS_LABELS
from ..platform import get_platform
from .common import org_admin_required

bp = Blueprint("org_departures", __name__, url_prefix="/admin/org/people")


def _page(username: str, is_leaving: bool, errors: dict | None = None, status: int = 200):
    with get_platform().db.reading() as session:
        view = leaving.departure(session, current_user.username, username, is_leaving)
        units = session.execute(select(Unit.code, Unit.name).where(Unit.active.is_(True), Unit.code != view.person.unit)
                                .order_by(Unit.sort_order, Unit.kind, Unit.code)).all()
        unit_names = dict(session.execute(select(Unit.code, Unit.name)).all())
    same_unit = [p for p in view.colleagues if p.unit == view.person.unit]
    return render_template("org/departure.html", view=view, leaving=is_leaving, errors=errors or {}, units=units,
                           unit_names=unit_names, same_unit=same_unit, processes=PROCESS_LABELS,
                           chosen=request.form if request.method == "POST" else {}), status


def _plan() -> leaving.Plan:
    """The handover choices posted: per task, and for all; a colleague named by login becomes their username."""
    choices = {k: v for k, v in request.form.items() if k.startswith("task-") and v}
    default = request.form.get("default") or None
    other = (request.form.get("default_login") or "").strip()
    if other:
        with get_platform().db.reading() as session:
            person = user_by_login(session, other)
        if person is None:
            raise OrgInvalid({"default_login": f"账号 {other} 不存在"}, {"default_login": "转交给"})
        default = person.username
    return leaving.read_plan(choices, default)


def _submit(username: str, is_leaving: bool):
    platform = get_platform()
    try:
        plan = _plan()
        with platform.db.transaction() as session:
            if is_leaving:
                done = leaving.deactivate_person(platform, session, current_user.username, username, plan)
            else:
                done = leaving.move_person(platform, session, current_user.username, username,
                                           request.form.get("unit"), plan)
    except OrgInvalid as err:
        return _page(username, is_leaving, err.errors, 422)
    except Conflict as err:
        return _page(username, is_leaving, {"organisation": err.message}, 409)
    if is_leaving:
        flash(_("已停用，交接待办 %(n)s 项", n=len(done)), "success")
    else:
        flash(_("已调动，交接待办 %(n)s 项", n=len(done)), "success")
    return redirect(url_for("org_people.index", q=username), code=303)


@bp.route("/<username>/leave", methods=["GET", "POST"])
@org_admin_required
def leave(username: str):
    """停用: shows the person's open tasks and claims; on submit deactivates them and hands every one over."""
    if request.method == "GET":
        return _page(username, True)
    return _submit(username, True)


@bp.route("/<username>/move", methods=["GET", "POST"])
@org_admin_required
def move(username: str):
    """调动: choose the new unit; the old unit's tasks go back to its pool or to a colleague unless kept."""
    if request.method == "GET":
        return _page(username, False)
    return _submit(username, False)
