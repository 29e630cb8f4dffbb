"""JSON API of the working calendar: a year's days for anyone with a token; admins edit overrides.

Errors are JSON (web.errors): 400 bad body, 401 no token, 403 not an admin, 404 no such override,
422 bad dates or kinds with per-field "errors" (then nothing is changed).
"""

from flask import Blueprint, g, jsonify

from workflows.calendar_entries import check_entry, from_json, parse_day, parse_year
from workflows.calendar_overrides import (
    calendar_for,
    mark_year,
    override_json,
    remove_overrides,
    save_overrides,
    year_view,
)
from workflows.errors import BadRequest, FormInvalid

from .api import json_body
from .api_auth import api_login_required
from .api_definitions import api_admin_required
from .platform import get_platform

bp = Blueprint("api_calendar", __name__, url_prefix="/api/calendar")


@bp.get("/<year>")
@api_login_required
def year(year: str):
    """Every day of the year (kind, working or not, holiday name, override) and the year's overrides."""
    try:
        wanted = parse_year(year)
    except ValueError as err:
        raise BadRequest(str(err)) from None
    with get_platform().db.reading() as session:
        view, calendar = year_view(session, wanted), calendar_for(session)
        overrides = [override_json(o) for o in view.overrides]
    days = [{"date": d.day.isoformat(), "kind": d.kind, "working": calendar.is_working_day(d.day), "name": d.name,
             "override": d.override.kind if d.override else None}
            for month in view.months for week in month for d in week if d is not None]
    return jsonify({"year": view.year, "official": view.official, "entered": view.entered is not None,
                    "scheduled": view.scheduled, "working_days": view.working_days, "overrides": overrides,
                    "days": days})


@bp.post("/overrides")
@api_admin_required
def save():
    """Add or replace overrides: one {date, kind, name, note}, or {"overrides": [...], "scheduled_years": [...]}."""
    body = json_body()
    if "overrides" in body or "scheduled_years" in body:
        _only(body, {"overrides", "scheduled_years"})
        found = from_json(body)
        entries, years = found.entries, found.years
    else:
        _only(body, {"date", "kind", "name", "note"})
        entries, years = [check_entry(body)], []
    platform = get_platform()
    with platform.db.transaction() as session:
        count = save_overrides(session, g.api_user.username, entries, platform.clock(), years)
    return jsonify({"saved": count, "scheduled_years": years,
                    "overrides": [{"date": e.day.isoformat(), "kind": e.kind, "name": e.name, "note": e.note}
                                  for e in entries]}), 201


@bp.delete("/overrides/<day>")
@bp.delete("/overrides")
@api_admin_required
def remove(day: str | None = None):
    """Remove the override of one date (in the path, or {"dates": [...]} in the body); 404 names one without."""
    body = json_body()
    _only(body, set() if day is not None else {"dates"})  # a date in the path takes no body
    raw = [day] if day is not None else body.get("dates")
    if not isinstance(raw, list) or not raw:
        raise BadRequest("请在路径中给出日期，或在请求体中给出 dates 列表")
    try:
        days = [parse_day(v) for v in raw]
    except ValueError as err:
        raise FormInvalid({"date": str(err)}) from None
    platform = get_platform()
    with platform.db.transaction() as session:
        count = remove_overrides(session, g.api_user.username, days, platform.clock())
    return jsonify({"removed": count})


@bp.post("/years/<year>")
@api_admin_required
def mark(year: str):
    """Mark a year's schedule as entered ({"entered": true}) or take the mark back ({"entered": false})."""
    try:
        wanted = parse_year(year)
    except ValueError as err:
        raise BadRequest(str(err)) from None
    body = json_body()
    _only(body, {"entered"})
    entered = body.get("entered", True)
    if not isinstance(entered, bool):
        raise FormInvalid({"entered": "entered 须为 true 或 false"})
    platform = get_platform()
    with platform.db.transaction() as session:
        mark_year(session, g.api_user.username, wanted, entered, platform.clock())
    return jsonify({"year": wanted, "entered": entered})


def _only(body: dict, fields: set) -> None:
    """Raises BadRequest naming the fields of `body` that nobody reads (a misspelt one would be ignored)."""
    unknown = sorted(set(body) - fields)
    if unknown:
        raise BadRequest("不认识的字段：" + "、".join(unknown[:10]))
