"""组织机构 · 工作组: the list with search and filters, add and edit forms, deactivate and reactivate."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from workflows.models import Unit, User
from workflows.org_admin import groups as service
from workflows.org_admin.edits import OrgInvalid
from workflows.organisation import GROUP_KINDS, unit_names, user_names

from ..platform import get_platform
from .common import active_arg, form_values, org_admin_required, page_args, posted_active, text_arg

bp = Blueprint("org_groups", __name__, url_prefix="/admin/org/groups")


@bp.route("/")
@org_admin_required
def index():
    """Groups in their order: search by code or name, filter by kind, unit and state, 20 a page."""
    return _listing()


def _listing(status: int = 200, q: str | None = None):
    page, limit, offset = page_args()
    flt = service.GroupFilter(q=q or text_arg("q"), kind=text_arg("kind"), unit=text_arg("unit"), active=active_arg(),
                              limit=limit, offset=offset)
    with get_platform().db.reading() as session:
        rows, total, members = service.list_groups(session, flt)
        units, people = unit_names(session), user_names(session)
    return render_template("org/groups.html", rows=rows, total=total, members=members, page=page, units=units,
                           people=people, has_next=offset + len(rows) < total, kinds=GROUP_KINDS, flt=flt), status


def _form(group: dict, errors: dict, status: int = 200, creating: bool = False):
    with get_platform().db.reading() as session:
        units = session.execute(select(Unit.code, Unit.name).where(Unit.active.is_(True))
                                .order_by(Unit.sort_order, Unit.kind, Unit.code)).all()
        people = session.execute(select(User.username, User.login, User.name).where(User.active.is_(True))
                                 .order_by(User.login)).all()
    leader = group.get("leader")
    logins = {u: login for u, login, _n in people}
    return render_template("org/group_form.html", group=group, errors=errors, kinds=GROUP_KINDS, units=units,
                           people=people, leader_login=logins.get(leader, leader or ""), creating=creating), status


def _values() -> dict:
    values = form_values("members")
    values["leader"] = values.pop("leader_login", "")
    return values


@bp.route("/new", methods=["GET", "POST"])
@org_admin_required
def new():
    """Add a group with its lead unit, member units and leader."""
    if request.method == "GET":
        return _form({"kind": "thematic", "members": [], "sort_order": 0}, {}, creating=True)
    values = _values()
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            spec = service.create_group(platform, session, current_user.username, values, people_by="login")
    except OrgInvalid as err:
        return _form(values, err.errors, 422, creating=True)
    flash(_("已添加工作组“%(name)s”", name=spec.name), "success")
    return redirect(url_for("org_groups.index", q=spec.code), code=303)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@org_admin_required
def edit(code: str):
    """Change a group's name, kind, lead unit, members, leader and order."""
    platform = get_platform()
    if request.method == "GET":
        with platform.db.reading() as session:
            group, members = service.get_group(session, code)
            values = service.group_json(group, members)
        return _form(values, {})
    values = _values()
    values.pop("code", None)
    try:
        with platform.db.transaction() as session:
            spec = service.update_group(platform, session, current_user.username, code, values, people_by="login")
    except OrgInvalid as err:
        return _form({**values, "code": code}, err.errors, 422)
    flash(_("已保存工作组“%(name)s”", name=spec.name), "success")
    return redirect(url_for("org_groups.index", q=code), code=303)


@bp.route("/<code>/active", methods=["POST"])
@org_admin_required
def set_active(code: str):
    """停用 or 启用 a group (422 with the list and why, when the rules refuse it)."""
    active = posted_active()
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            spec = service.update_group(platform, session, current_user.username, code, {"active": active})
    except OrgInvalid as err:
        flash(err.message, "danger")
        return _listing(422, q=code)
    flash(_("已启用工作组“%(name)s”", name=spec.name) if active else _("已停用工作组“%(name)s”", name=spec.name),
          "success")
    return redirect(url_for("org_groups.index", q=code), code=303)
