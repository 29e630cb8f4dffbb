"""组织机构 · 人员: the list with search and filters, add and edit, rename, delete and reactivate.

Leaving and moving, with their handover step, are in web.org_admin.departures.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from workflows.models import Group, Unit
from workflows.org_admin import people as service
from workflows.org_admin.edits import OrgInvalid
from workflows.organisation import GROUP_KINDS, ROLE_LABELS, unit_names

from ..platform import get_platform
from .common import active_arg, form_values, org_admin_required, page_args, text_arg

bp = Blueprint("org_people", __name__, url_prefix="/admin/org/people")


@bp.route("/")
@org_admin_required
def index():
    """People by unit and name: search by account, name, phone or e-mail; filter by unit, role, group, state."""
    return _listing()


def _listing(status: int = 200, q: str | None = None):
    page, limit, offset = page_args()
    flt = service.PersonFilter(q=q or text_arg("q"), unit=text_arg("unit"), role=text_arg("role"),
                               group=text_arg("group"), active=active_arg(), limit=limit, offset=offset)
    with get_platform().db.reading() as session:
        rows, total = service.list_people(session, flt)
        units = unit_names(session)
        groups = session.execute(select(Group.code, Group.name).order_by(Group.sort_order, Group.code)).all()
    return render_template("org/people.html", rows=rows, total=total, page=page, units=units, groups=groups,
                           roles=ROLE_LABELS, has_next=offset + len(rows) < total, flt=flt), status


def _choices(session) -> dict:
    units = session.execute(select(Unit.code, Unit.name).where(Unit.active.is_(True))
                            .order_by(Unit.sort_order, Unit.kind, Unit.code)).all()
    groups = session.execute(select(Group.code, Group.name, Group.kind).where(Group.active.is_(True))
                             .order_by(Group.sort_order, Group.code)).all()
    return {"units": units, "groups": [(c, f"{n}（{GROUP_KINDS.get(k, k)}）") for c, n, k in groups],
            "roles": list(service.PERSON_ROLES.items())}


def _form(person: dict, errors: dict, status: int = 200, creating: bool = False):
    with get_platform().db.reading() as session:
        choices = _choices(session)
        names = unit_names(session)
        group_names = dict(session.execute(select(Group.code, Group.name)).all())
    return render_template("org/person_form.html", person=person, errors=errors, creating=creating,
                           unit_names=names, group_names=group_names, **choices), status


@bp.route("/new", methods=["GET", "POST"])
@org_admin_required
def new():
    """Add a person with an initial password, roles and group memberships."""
    if request.method == "GET":
        return _form({"unit": request.args.get("unit", ""), "roles": ["unit_staff"], "member_of": []}, {},
                     creating=True)
    values = form_values("roles", "member_of")
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            spec = service.create_person(platform, session, current_user.username, values)
    except OrgInvalid as err:
        values.pop("password", None)
        return _form(values, err.errors, 422, creating=True)
    flash(_("已添加人员“%(name)s”，账号 %(login)s", name=spec.name, login=spec.login), "success")
    return redirect(url_for("org_people.index", q=spec.login), code=303)


@bp.route("/<username>/edit", methods=["GET", "POST"])
@org_admin_required
def edit(username: str):
    """Change a person's name, phone, e-mail, roles and group memberships."""
    platform = get_platform()
    with platform.db.reading() as session:
        current = service.person_json(service.get_person(session, username))
    if request.method == "GET":
        return _form(current, {})
    values = form_values("roles", "member_of")
    try:
        with platform.db.transaction() as session:
            spec = service.update_person(platform, session, current_user.username, username, values)
    except OrgInvalid as err:
        return _form({**current, **values}, err.errors, 422)
    flash(_("已保存人员“%(name)s”", name=spec.name), "success")
    return redirect(url_for("org_people.index", q=spec.login), code=303)


@bp.route("/<username>/rename", methods=["POST"])
@org_admin_required
def rename(username: str):
    """Give a person a new login; the old one and their API tokens stop working at once."""
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            spec = service.rename_person(platform, session, current_user.username, username,
                                         request.form.get("login"))
    except OrgInvalid as err:
        with platform.db.reading() as session:
            current = service.person_json(service.get_person(session, username))
        return _form(current, {"rename": err.errors.get("login") or err.message}, 422)
    flash(_("已将账号改为 %(login)s；原账号及其 API 令牌已失效", login=spec.login), "success")
    return redirect(url_for("org_people.edit", username=username), code=303)


@bp.route("/<username>/activate", methods=["POST"])
@org_admin_required
def activate(username: str):
    """启用 a person who was deactivated (422 with the list and why, when the rules refuse it)."""
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            spec = service.activate_person(platform, session, current_user.username, username)
    except OrgInvalid as err:
        flash(err.message, "danger")
        with platform.db.reading() as session:
            login = service.get_person(session, username).login
        return _listing(422, q=login)
    flash(_("已启用人员“%(name)s”", name=spec.name), "success")
    return redirect(url_for("org_people.index", q=spec.login), code=303)


@bp.route("/<username>/delete", methods=["POST"])
@org_admin_required
def delete(username: str):
    """Delete a person who left no trace; anyone else is to be deactivated instead (422 on their page, saying why)."""
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            service.delete_person(platform, session, current_user.username, username)
    except OrgInvalid as err:
        with platform.db.reading() as session:
            current = service.person_json(service.get_person(session, username))
        return _form(current, {"organisation": err.message}, 422)
    flash(_("已删除人员 %(username)s", username=username), "success")
    return redirect(url_for("org_people.index"), code=303)
