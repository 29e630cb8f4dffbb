"""The office's working calendar in the database: overrides, years entered, and the calendar in force.

Each process keeps, per database engine, the calendar it last loaded with the token of the
`calendar_state` row it was loaded at. An action reads that one row (`calendar_for`) and reloads
the overrides only when the token changed; every edit changes the token in its own transaction.
So an edit made by any process on any host counts from the next action everywhere, and nothing
depends on what one process remembers.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import wraps
from types import MappingProxyType
from uuid import uuid4
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from engine import NotFound

from .calendar import WORKDAY, WorkingCalendar, official_name, official_year, using
from .calendar_entries import KIND_LABELS, Entry
from .models import CalendarOverride, CalendarState, CalendarYear
from .organisation import require_role, require_user

EDITORS = ("admin",)
STATE_ID = 1

_loaded: WeakKeyDictionary = WeakKeyDictionary()  # sa Engine → WorkingCalendar


def _engine_of(session: Session):
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def calendar_for(session: Session) -> WorkingCalendar:
    """The calendar as the database has it now: one row read, the overrides only when they changed."""
    token = session.scalar(select(CalendarState.token).where(CalendarState.id == STATE_ID))
    engine = _engine_of(session)
    cached = _loaded.get(engine)
    if cached is not None and cached.token == token:
        return cached
    # The token is read before the rows: a change committed in between is loaded now and
    # reloaded once more at the next check, never missed.
    days = {row.day: row.kind == WORKDAY for row in session.scalars(select(CalendarOverride))}
    years = frozenset(session.scalars(select(CalendarYear.year)))
    calendar = WorkingCalendar(MappingProxyType(days), years, token)
    _loaded[engine] = calendar
    return calendar


def with_calendar(action):
    """Run `action(platform, session, ...)` with the database's calendar in force for every working day it counts."""

    @wraps(action)
    def wrapper(platform, session, *args, **kwargs):
        with using(calendar_for(session)):
            return action(platform, session, *args, **kwargs)

    return wrapper


def require_editor(session: Session, username: str) -> None:
    """Raises PermissionDenied unless `username` is an active admin."""
    require_role(require_user(session, username), *EDITORS)


def _changed(session: Session, username: str, now: datetime) -> None:
    """A new token, written first: on PostgreSQL the row lock makes concurrent edits take turns."""
    state = session.get(CalendarState, STATE_ID, with_for_update=True, populate_existing=True)
    if state is None:
        state = CalendarState(id=STATE_ID)
        session.add(state)
    state.token, state.changed_by, state.changed_at = uuid4().hex, username, now
    session.flush()


def save_overrides(session: Session, username: str, entries: Iterable[Entry], now: datetime,
                   years: Iterable[int] = ()) -> int:
    """Add or replace the overrides of each entry's date, and mark `years` as entered. Returns the count.

    Raises PermissionDenied (not an admin).
    """
    require_editor(session, username)
    _changed(session, username, now)
    count = 0
    for entry in entries:
        row = session.get(CalendarOverride, entry.day)
        if row is None:
            row = CalendarOverride(day=entry.day)
            session.add(row)
        row.kind, row.name, row.note = entry.kind, entry.name, entry.note
        row.updated_by, row.updated_at = username, now
        count += 1
    for year in years:
        _mark(session, username, year, now)
    session.flush()
    return count


def remove_overrides(session: Session, username: str, days: Iterable[date], now: datetime) -> int:
    """Remove the overrides of `days`; those dates count on the official calendar again.

    Raises PermissionDenied (not an admin) and NotFound naming the first date without an override
    (then nothing is removed).
    """
    require_editor(session, username)
    _changed(session, username, now)
    days = list(dict.fromkeys(days))
    found = set(session.scalars(select(CalendarOverride.day).where(CalendarOverride.day.in_(days))))
    missing = [d for d in days if d not in found]
    if missing:
        raise NotFound(f"{missing[0].isoformat()} 没有录入的调整")
    session.execute(delete(CalendarOverride).where(CalendarOverride.day.in_(days)))
    return len(days)


def _mark(session: Session, username: str, year: int, now: datetime) -> None:
    if session.get(CalendarYear, year) is None:
        session.add(CalendarYear(year=year, marked_by=username, marked_at=now))


def mark_year(session: Session, username: str, year: int, entered: bool, now: datetime) -> None:
    """Mark `year` as entered in full (no more warning for it), or take the mark back.

    Raises PermissionDenied (not an admin).
    """
    require_editor(session, username)
    _changed(session, username, now)
    if entered:
        _mark(session, username, year, now)
    else:
        session.execute(delete(CalendarYear).where(CalendarYear.year == year))


@dataclass(frozen=True)
class Day:
    """One day as the calendar page shows it."""

    day: date
    kind: str  # 'work', 'weekend', 'holiday' or 'makeup' (see WorkingCalendar.day_kind)
    name: str
    override: CalendarOverride | None


@dataclass
class YearView:
    year: int
    months: list[list[list[Day | None]]]  # month → weeks (Monday first) → 7 cells
    overrides: list[CalendarOverride]
    official: bool
    entered: CalendarYear | None
    working_days: int

    @property
    def scheduled(self) -> bool:
        return self.official or self.entered is not None

    @property
    def holidays(self) -> list[dict]:
        """Each named holiday of the year with its days off and its 调休 working days, in order."""
        found: dict[str, dict] = {}
        for month in self.months:
            for d in (d for week in month for d in week if d is not None and d.name):
                if d.kind in ("holiday", "makeup"):
                    entry = found.setdefault(d.name, {"name": d.name, "off": [], "work": []})
                    entry["off" if d.kind == "holiday" else "work"].append(d.day)
        return [h for h in found.values() if h["off"]]


def year_view(session: Session, year: int) -> YearView:
    """Every day of `year` with its kind, the overrides entered for it, and whether it is scheduled."""
    calendar = calendar_for(session)
    rows = list(session.scalars(select(CalendarOverride).where(
        CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
        .order_by(CalendarOverride.day)))
    by_day = {row.day: row for row in rows}
    months, working = [], 0
    for month in range(1, 13):
        first = date(year, month, 1)
        cells: list[Day | None] = [None] * first.weekday()
        day = first
        while day.month == month:
            row = by_day.get(day)
            kind = calendar.day_kind(day)
            working += kind in ("work", "makeup")
            cells.append(Day(day, kind, (row.name if row else "") or official_name(day) or "", row))
            day += timedelta(days=1)
        cells += [None] * (-len(cells) % 7)
        months.append([cells[i:i + 7] for i in range(0, len(cells), 7)])
    return YearView(year, months, rows, official_year(year), session.get(CalendarYear, year), working)


def override_json(row: CalendarOverride) -> dict:
    return {"date": row.day.isoformat(), "kind": row.kind, "kind_label": KIND_LABELS.get(row.kind, row.kind),
            "name": row.name, "note": row.note, "updated_by": row.updated_by,
            "updated_at": row.updated_at.isoformat() if row.updated_at else None}
