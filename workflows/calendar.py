"""Working days (工作日) on China's official holiday calendar, with the office's own overrides.

Deadlines such as "限期 10 个工作日整改" are counted on the calendar the State Council publishes
each year: public holidays are days off even on weekdays, and make-up days (调休) are working days
even on Saturdays and Sundays. The ``chinese_calendar`` package carries those schedules for the
years it knows (2004–2026 in version 1.11); the office enters the rest as overrides (a holiday or
a 调休 working day on a date), which also win over the package where both speak. Any other date
falls back to Monday to Friday.

A `WorkingCalendar` is the official schedule with one set of overrides over it; it is pure and
cheap to query. The module-level functions ask the calendar in force for the current action
(`using`), which `workflows.calendar_overrides` loads from the database; without one they use
the official schedule alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar

# Deadlines are counted, and times shown, in China.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
HOLIDAY, WORKDAY = "holiday", "workday"
# From this day of the year on, admins are warned when next year's schedule is missing.
WARN_FROM = (11, 1)

__all__ = [
    "DeadlineStatus",
    "WorkingCalendar",
    "add_working_days",
    "deadline_instant",
    "deadline_status",
    "in_force",
    "is_official",
    "is_working_day",
    "using",
    "working_days_between",
]

_ONE_DAY = timedelta(days=1)
# The package's own tables, read once: its is_workday() recomputes the years it covers on every call.
_OFFICIAL_WORKDAYS: Mapping[date, str] = chinese_calendar.workdays
_OFFICIAL_HOLIDAYS: Mapping[date, str] = chinese_calendar.holidays
_OFFICIAL_YEARS = range(min(_OFFICIAL_HOLIDAYS).year, max(_OFFICIAL_HOLIDAYS).year + 1)
_HOLIDAY_NAMES = {h.value: h.chinese for h in chinese_calendar.Holiday}


def _as_date(d: date) -> date:
    """Drop the time part of a ``datetime``; plain dates pass through."""
    return d.date() if isinstance(d, datetime) else d


def is_official(d: date) -> bool:
    """Whether the official calendar in ``chinese_calendar`` covers ``d``. Raises nothing."""
    return _as_date(d).year in _OFFICIAL_YEARS


def official_year(year: int) -> bool:
    """Whether ``chinese_calendar`` carries the State Council's schedule for ``year``."""
    return year in _OFFICIAL_YEARS


def official_working_day(d: date) -> bool:
    """The official schedule when it covers ``d``, else Monday to Friday. Raises nothing."""
    d = _as_date(d)
    if d.year in _OFFICIAL_YEARS:
        return d in _OFFICIAL_WORKDAYS or (d.weekday() < 5 and d not in _OFFICIAL_HOLIDAYS)
    return d.weekday() < 5


def official_name(d: date) -> str | None:
    """The official holiday a day off or a 调休 working day belongs to (e.g. '春节'); None otherwise."""
    d = _as_date(d)
    english = _OFFICIAL_HOLIDAYS.get(d) or _OFFICIAL_WORKDAYS.get(d)
    return _HOLIDAY_NAMES.get(english, english) if english else None


@dataclass(frozen=True)
class DeadlineStatus:
    """How a due date stands on a given day.

    ``level`` is ``'ok'``, ``'warning'`` or ``'overdue'``; ``remaining`` counts working days left
    (0 on the due date and once overdue); ``overdue`` counts working days past due (0 unless
    overdue); ``label`` is the Chinese text shown on screen.
    """

    level: str
    remaining: int
    overdue: int
    label: str


@dataclass(frozen=True, eq=False)
class WorkingCalendar:
    """The official schedule with overrides over it.

    ``overrides`` maps a date to True (a 调休 working day) or False (a holiday); ``scheduled_years``
    are years an admin marked as entered in full; ``token`` names the database state it was loaded
    from (None for the official schedule alone).
    """

    overrides: Mapping[date, bool] = field(default_factory=lambda: MappingProxyType({}))
    scheduled_years: frozenset[int] = frozenset()
    token: str | None = None

    def is_working_day(self, d: date) -> bool:
        """An override when there is one, else the official schedule, else Monday to Friday."""
        d = _as_date(d)
        found = self.overrides.get(d)
        return official_working_day(d) if found is None else found

    def day_kind(self, d: date) -> str:
        """'work', 'weekend', 'holiday' (a named day off) or 'makeup' (调休: working on a day off)."""
        d = _as_date(d)
        working, weekend = self.is_working_day(d), d.weekday() >= 5
        named = self.overrides.get(d) is False or d in _OFFICIAL_HOLIDAYS
        if working:
            return "makeup" if weekend or d in _OFFICIAL_HOLIDAYS else "work"
        return "holiday" if named or not weekend else "weekend"

    def add_working_days(self, start: date, n: int) -> date:
        """The date ``n`` working days after ``start``; ``start`` itself does not count.

        ``n == 0`` gives ``start`` when it is a working day, otherwise the next working day.

        Raises:
            ValueError: if ``n`` is negative.
            OverflowError: if the result would pass ``date.max``.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        d = _as_date(start)
        if n == 0:
            while not self.is_working_day(d):
                d += _ONE_DAY
            return d
        counted = 0
        while counted < n:
            d += _ONE_DAY
            if self.is_working_day(d):
                counted += 1
        return d

    def working_days_before(self, day: date, n: int) -> date:
        """The working day ``n`` working days before ``day`` (``day`` itself does not count)."""
        day = _as_date(day)
        counted = 0
        while counted < n:
            day -= _ONE_DAY
            counted += self.is_working_day(day)
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b``; negative (mirrored) when ``b < a``."""
        a, b = _as_date(a), _as_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        count, d = 0, a
        while d < b:
            d += _ONE_DAY
            count += self.is_working_day(d)
        return count

    def deadline_instant(self, start: date, n: int, tz: str = "Asia/Shanghai") -> datetime:
        """The last second (23:59:59 local time) of the working day ``add_working_days(start, n)``.

        Raises:
            ValueError: if ``n`` is negative.
            zoneinfo.ZoneInfoNotFoundError: if ``tz`` is not a known time zone.
        """
        due = self.add_working_days(start, n)
        return datetime.combine(due, time(23, 59, 59), tzinfo=ZoneInfo(tz))

    def deadline_status(self, due: date, today: date, warn_days: int = 3) -> DeadlineStatus:
        """Classify ``due`` as seen on ``today``.

        Overdue as soon as ``today`` is after ``due``; the day count is the working days elapsed,
        at least 1 (a Saturday after a Friday deadline is already 超期 1 个工作日). Otherwise
        ``'warning'`` when ``0 <= remaining <= warn_days``, else ``'ok'``.

        Raises:
            ValueError: if ``warn_days`` is negative.
        """
        if warn_days < 0:
            raise ValueError(f"warn_days must be >= 0, got {warn_days}")
        due, today = _as_date(due), _as_date(today)
        if today > due:
            late = max(1, self.working_days_between(due, today))
            return DeadlineStatus("overdue", 0, late, f"超期 {late} 个工作日")
        remaining = self.working_days_between(today, due)
        level = "warning" if remaining <= warn_days else "ok"
        label = "今日到期" if remaining == 0 else f"剩余 {remaining} 个工作日"
        return DeadlineStatus(level, remaining, 0, label)

    def is_scheduled(self, year: int) -> bool:
        """Whether ``year`` has a schedule: the official one, or one an admin marked as entered."""
        return official_year(year) or year in self.scheduled_years

    def unscheduled_years(self, today: date) -> list[int]:
        """Years to warn admins about on ``today``: this year if it has no schedule, and from
        1 November next year too."""
        years = [today.year]
        if (today.month, today.day) >= WARN_FROM:
            years.append(today.year + 1)
        return [y for y in years if not self.is_scheduled(y)]


OFFICIAL = WorkingCalendar()
_ACTIVE: ContextVar[WorkingCalendar] = ContextVar("working_calendar", default=OFFICIAL)


def in_force() -> WorkingCalendar:
    """The calendar of the current action (the official schedule alone unless one is in use)."""
    return _ACTIVE.get()


@contextmanager
def using(calendar: WorkingCalendar) -> Iterator[WorkingCalendar]:
    """Count every working day inside the block on ``calendar``; the previous one comes back after."""
    token = _ACTIVE.set(calendar)
    try:
        yield calendar
    finally:
        _ACTIVE.reset(token)


def is_working_day(d: date) -> bool:
    """Whether ``d`` is a working day on the calendar in force. Raises nothing for any valid ``date``."""
    return _ACTIVE.get().is_working_day(d)


def add_working_days(start: date, n: int) -> date:
    """`WorkingCalendar.add_working_days` on the calendar in force. Raises ValueError, OverflowError."""
    return _ACTIVE.get().add_working_days(start, n)


def working_days_before(day: date, n: int) -> date:
    """`WorkingCalendar.working_days_before` on the calendar in force."""
    return _ACTIVE.get().working_days_before(day, n)


def working_days_between(a: date, b: date) -> int:
    """`WorkingCalendar.working_days_between` on the calendar in force. Raises nothing for valid dates."""
    return _ACTIVE.get().working_days_between(a, b)


def deadline_instant(start: date, n: int, tz: str = "Asia/Shanghai") -> datetime:
    """`WorkingCalendar.deadline_instant` on the calendar in force. Raises ValueError, ZoneInfoNotFoundError."""
    return _ACTIVE.get().deadline_instant(start, n, tz)


def deadline_status(due: date, today: date, warn_days: int = 3) -> DeadlineStatus:
    """`WorkingCalendar.deadline_status` on the calendar in force. Raises ValueError."""
    return _ACTIVE.get().deadline_status(due, today, warn_days)
