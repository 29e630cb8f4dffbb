"""Working days (工作日) on China's official holiday calendar.

Deadlines such as "限期 10 个工作日整改" are counted on the calendar the State Council publishes
each year: public holidays are days off even on weekdays, and make-up days (调休) are working days
even on Saturdays and Sundays. The ``chinese_calendar`` package carries those schedules for the
years it knows (2004–2026 in version 1.11). For any other date the rule falls back to Monday to
Friday; :func:`is_official` tells whether a date was covered by the official schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

# Deadlines are counted, and times shown, in China.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

__all__ = [
    "DeadlineStatus",
    "add_working_days",
    "deadline_instant",
    "deadline_status",
    "is_official",
    "is_working_day",
    "working_days_between",
]

_ONE_DAY = timedelta(days=1)


def _as_date(d: date) -> date:
    """Drop the time part of a ``datetime``; plain dates pass through."""
    return d.date() if isinstance(d, datetime) else d


def is_official(d: date) -> bool:
    """Whether the official calendar in ``chinese_calendar`` covers ``d``.

    Raises nothing: a date outside the package's years simply gives ``False``.
    """
    try:
        chinese_calendar.is_workday(_as_date(d))
    except (NotImplementedError, KeyError, ValueError):
        return False
    return True


def is_working_day(d: date) -> bool:
    """Whether ``d`` is a working day: official calendar when known, else Monday to Friday.

    Raises nothing for any valid ``date``.
    """
    d = _as_date(d)
    try:
        return bool(chinese_calendar.is_workday(d))
    except (NotImplementedError, KeyError, ValueError):
        return d.weekday() < 5


def add_working_days(start: date, n: int) -> date:
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
        while not is_working_day(d):
            d += _ONE_DAY
        return d
    counted = 0
    while counted < n:
        d += _ONE_DAY
        if is_working_day(d):
            counted += 1
    return d


def working_days_between(a: date, b: date) -> int:
    """Working days after ``a`` up to and including ``b``; negative (mirrored) when ``b < a``.

    Raises nothing for valid dates.
    """
    a, b = _as_date(a), _as_date(b)
    if b < a:
        return -working_days_between(b, a)
    count = 0
    d = a
    while d < b:
        d += _ONE_DAY
        if is_working_day(d):
            count += 1
    return count


def deadline_instant(start: date, n: int, tz: str = "Asia/Shanghai") -> datetime:
    """The last second (23:59:59 local time) of the working day ``add_working_days(start, n)``.

    Raises:
        ValueError: if ``n`` is negative.
        zoneinfo.ZoneInfoNotFoundError: if ``tz`` is not a known time zone.
    """
    due = add_working_days(start, n)
    return datetime.combine(due, time(23, 59, 59), tzinfo=ZoneInfo(tz))


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


def deadline_status(due: date, today: date, warn_days: int = 3) -> DeadlineStatus:
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
        late = max(1, working_days_between(due, today))
        return DeadlineStatus("overdue", 0, late, f"超期 {late} 个工作日")
    remaining = working_days_between(today, due)
    level = "warning" if remaining <= warn_days else "ok"
    label = "今日到期" if remaining == 0 else f"剩余 {remaining} 个工作日"
    return DeadlineStatus(level, remaining, 0, label)
