"""工作日历: everyone logged in sees each year's working days and holidays; admins enter overrides.

Every request counts working days on the calendar the database has now (`init_app`), and admins
see a banner while this year, or from 1 November next year, has no schedule.
"""

from contextlib import ExitStack

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows import calendar_recompute
from workflows.calendar import in_force, using
from workflows.calendar_entries import KIND_LABELS, MAX_YEAR, MIN_YEAR, check_entry, parse_day, range_entries
from workflows.calendar_overrides import EDITORS, calendar_for, mark_year, remove_overrides, save_overrides, year_view
from workflows.errors import BadRequest, FormInvalid

from .admin import admin_required
from .platform import get_platform

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


def _year_arg(value) -> int:
    """The year asked for, this year by default. Raises BadRequest outside MIN_YEAR–MAX_YEAR."""
    if value in (None, ""):
        return get_platform().today().year
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadRequest(_("年份须为 %(lo)s–%(hi)s 之间的整数", lo=MIN_YEAR, hi=MAX_YEAR))
    return year


def _page(year: int, status: int = 200, form: dict | None = None, errors: dict | None = None,
          range_form: dict | None = None, range_errors: dict | None = None):
    """The year view with the admin's forms (holding what was typed and its errors on a refusal)."""
    platform = get_platform()
    with platform.db.reading() as session:
        view = year_view(session, year)
    editing = None
    day = request.args.get("day")
    if form is None and day and current_user.has_role(*EDITORS):
        try:
            picked = parse_day(day)
        except ValueError:
            picked = None
        found = next((o for o in view.overrides if o.day == picked), None)
        editing = picked
        form = ({"date": picked.isoformat(), "kind": found.kind, "name": found.name, "note": found.note}
                if found else {"date": picked.isoformat() if picked else "", "kind": "holiday"})
    return render_template("calendar/index.html", view=view, today=platform.today(), kinds=KIND_LABELS,
                           may_edit=current_user.has_role(*EDITORS), form=form or {"kind": "holiday"},
                           errors=errors or {}, editing=editing, range_form=range_form or {},
                           range_errors=range_errors or {}), status


@bp.route("/")
@login_required
def index():
    """The year's twelve months: working days, weekends, holidays and 调休 working days, overrides marked."""
    return _page(_year_arg(request.args.get("year")))


@bp.route("/overrides", methods=["POST"])
@admin_required
def save():
    """Add or change the override of one date."""
    raw = request.form.to_dict()
    year = _year_arg(request.form.get("year"))
    platform = get_platform()
    try:
        entry = check_entry(raw)
        with platform.db.transaction() as session:
            save_overrides(session, current_user.username, [entry], platform.clock())
    except FormInvalid as err:
        return _page(year, 422, form=raw, errors=err.errors)
    flash(_("已保存 %(day)s：%(kind)s", day=entry.day.isoformat(), kind=_(KIND_LABELS[entry.kind])), "success")
    return redirect(url_for("calendar.index", year=entry.day.year))


@bp.route("/overrides/<day>/delete", methods=["POST"])
@admin_required
def remove(day: str):
    """Remove one date's override; the date counts on the official calendar again."""
    try:
        picked = parse_day(day)
    except ValueError as err:
        raise BadRequest(str(err)) from None
    platform = get_platform()
    with platform.db.transaction() as session:
        remove_overrides(session, current_user.username, [picked], platform.clock())
    flash(_("已删除 %(day)s 的调整", day=picked.isoformat()), "success")
    return redirect(url_for("calendar.index", year=picked.year))


@bp.route("/ranges", methods=["POST"])
@admin_required
def save_range():
    """Enter a whole holiday (start to end) with its 调休 working days at once."""
    raw = request.form.to_dict()
    year = _year_arg(request.form.get("year"))
    platform = get_platform()
    try:
        entries = range_entries(raw)
        years = [entries[0].day.year] if raw.get("mark_year") else []
        with platform.db.transaction() as session:
            count = save_overrides(session, current_user.username, entries, platform.clock(), years)
    except FormInvalid as err:
        return _page(year, 422, range_form=raw, range_errors=err.errors)
    flash(_("已录入 %(name)s：%(n)s 天", name=entries[0].name, n=count), "success")
    return redirect(url_for("calendar.index", year=entries[0].day.year))


@bp.route("/years/<int:year>", methods=["POST"])
@admin_required
def mark(year: int):
    """Mark the year's schedule as entered in full, or take the mark back."""
    year = _year_arg(year)
    entered = request.form.get("entered") == "1"
    platform = get_platform()
    with platform.db.transaction() as session:
        mark_year(session, current_user.username, year, entered, platform.clock())
    flash(_("已标记 %(y)s 年安排已录入", y=year) if entered else _("已取消 %(y)s 年的已录入标记", y=year), "success")
    return redirect(url_for("calendar.index", year=year))


@bp.route("/recompute")
@admin_required
def recompute_preview():
    """The open cases whose deadlines would move on the calendar as it is now; nothing moves yet."""
    platform = get_platform()
    with platform.db.reading() as session:
        found = calendar_recompute.preview(platform, session, current_user.username)
    return render_template("calendar/recompute.html", preview=found)


@bp.route("/recompute", methods=["POST"])
@admin_required
def recompute_apply():
    """Move the previewed cases' deadlines, in one transaction."""
    platform = get_platform()
    try:
        ids = {int(v) for v in request.form.getlist("case_id")}
    except ValueError:
        raise BadRequest(_("案件编号无效")) from None
    with platform.db.transaction() as session:
        moved = calendar_recompute.apply(platform, session, current_user.username,
                                         request.form.get("token") or None, ids)
    flash(_("已重新计算 %(n)s 件案件的整改期限", n=len(moved)), "success")
    return redirect(url_for("calendar.recompute_preview"))


def _in_force() -> None:
    """Count this request's working days on the calendar the database has now (one row read)."""
    if request.endpoint in (None, "static"):
        return
    with get_platform().db.reading() as session:
        calendar = calendar_for(session)
    g.calendar_scope = ExitStack()
    g.calendar_scope.enter_context(using(calendar))


def _done(_exc=None) -> None:
    scope = g.pop("calendar_scope", None)
    if scope is not None:
        scope.close()


def _warning() -> dict:
    """Years without a schedule, for the admins' banner."""
    if not current_user.is_authenticated or not current_user.has_role(*EDITORS):
        return {"calendar_unscheduled": []}
    return {"calendar_unscheduled": in_force().unscheduled_years(get_platform().today())}


def init_app(app) -> None:
    app.before_request(_in_force)
    app.teardown_request(_done)
    app.context_processor(_warning)

