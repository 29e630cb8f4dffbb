"""组织机构 · 单位: the list with search and filters, add and edit forms, deactivate and reactivate."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflows.org_admin import units as service
from workflows.org_admin.edits import OrgInvalid
from workflows.org_admin.people import PersonFilter, list_people
from workflows.organisation import UNIT_KINDS, user_names

from ..platform import get_platform
from .common import active_arg, form_values, org_admin_required, page_args, posted_active, text_arg

bp = Blueprint("org_units", __name__, url_prefix="/admin/org/units")


@bp.route("/")
@org_admin_required
def index():
    """Units in their order: search by code or name, filter by kind and state, 20 a page."""
    return _listing()


def _listing(status: int = 200, q: str | None = None):
    page, limit, offset = page_args()
    flt = service.UnitFilter(q=q or text_arg("q"), kind=text_arg("kind"), active=active_arg(), limit=limit,
                             offset=offset)
    with get_platform().db.reading() as session:
        rows, total, counts = service.list_units(session, flt)
        names = user_names(session)
    return render_template("org/units.html", rows=rows, total=total, counts=counts, page=page, names=names,
                           has_next=offset + len(rows) < total, kinds=UNIT_KINDS, flt=flt), status


def _form(unit, errors: dict, status: int = 200, creating: bool = False):
    people = []
    if not creating:
        with get_platform().db.reading() as session:
            people, _total = list_people(session, PersonFilter(unit=unit["code"], active=True, limit=500))
    return render_template("org/unit_form.html", unit=unit, errors=errors, kinds=UNIT_KINDS, people=people,
                           creating=creating), status


@bp.route("/new", methods=["GET", "POST"])
@org_admin_required
def new():
    """Add a unit; every problem is shown beside its field."""
    if request.method == "GET":
        return _form({"kind": "bureau", "sort_order": 0}, {}, creating=True)
    values = form_values()
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            spec = service.create_unit(platform, session, current_user.username, values)
    except OrgInvalid as err:
        return _form(values, err.errors, 422, creating=True)
    flash(_("已添加单位“%(name)s”", name=spec.name), "success")
    return redirect(url_for("org_units.index", q=spec.code), code=303)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@org_admin_required
def edit(code: str):
    """Change a unit's name, short name, kind, head and order."""
    platform = get_platform()
    if request.method == "GET":
        with platform.db.reading() as session:
            unit = service.unit_json(service.get_unit(session, code))
        return _form(unit, {})
    values = form_values()
    values.pop("code", None)
    try:
        with platform.db.transaction() as session:
            spec = service.update_unit(platform, session, current_user.username, code, values)
    except OrgInvalid as err:
        return _form({**values, "code": code}, err.errors, 422)
    flash(_("已保存单位“%(name)s”", name=spec.name), "success")
    return redirect(url_for("org_units.index", q=code), code=303)


@bp.route("/<code>/active", methods=["POST"])
@org_admin_required
def set_active(code: str):
    """停用 (refused while people or groups still depend on it: 422 with the list and why) or 启用 a unit."""
    active = posted_active()
    platform = get_platform()
    try:
        with platform.db.transaction() as session:
            spec = service.set_unit_active(platform, session, current_user.username, code, active)
    except OrgInvalid as err:
        flash(_("未能停用：%(why)s", why=err.message) if not active else err.message, "danger")
        return _listing(422, q=code)
    flash(_("已启用单位“%(name)s”", name=spec.name) if active else _("已停用单位“%(name)s”", name=spec.name),
          "success")
    return redirect(url_for("org_units.index", q=code), code=303)
