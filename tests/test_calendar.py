"""Working days: the official 2026 calendar, the fallback beyond it, and the office's overrides across 2026 → 2027."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from engine.clock import as_utc
from engine.models import HumanTask
from workflows.calendar import (
    DeadlineStatus,
    WorkingCalendar,
    add_working_days,
    deadline_instant,
    deadline_status,
    in_force,
    is_official,
    is_working_day,
    using,
    working_days_between,
)
from workflows.calendar_entries import check_entry
from workflows.calendar_overrides import calendar_for, mark_year, remove_overrides, save_overrides
from workflows.extensions import decide_extension, request_extension
from workflows.models import RectificationCase
from workflows.platform import Platform

from .helpers import CASE, RECTIFIED, complete, start, task_of

# --- official 2026 schedule -------------------------------------------------------------------


@pytest.mark.parametrize("day", range(1, 8))
def test_national_day_2026_is_a_holiday(day):
    assert not is_working_day(date(2026, 10, day))


def test_first_working_day_after_national_day_2026():
    assert is_working_day(date(2026, 10, 8))  # Thursday


@pytest.mark.parametrize(
    "makeup",
    [
        date(2026, 1, 4),  # Sunday, New Year
        date(2026, 2, 14),  # Saturday, Spring Festival
        date(2026, 2, 28),  # Saturday, Spring Festival
        date(2026, 5, 9),  # Saturday, Labour Day
        date(2026, 9, 20),  # Sunday, National Day
        date(2026, 10, 10),  # Saturday, National Day
    ],
)
def test_2026_makeup_weekend_days_are_working_days(makeup):
    assert makeup.weekday() >= 5
    assert is_working_day(makeup)


def test_ordinary_weekend_and_weekday_holidays():
    assert not is_working_day(date(2026, 10, 11))  # Sunday after the make-up Saturday
    assert not is_working_day(date(2026, 2, 16))  # Monday in Spring Festival
    assert not is_working_day(date(2026, 5, 5))  # Tuesday, Labour Day
    assert is_working_day(date(2026, 3, 11))  # plain Wednesday


def test_datetime_is_treated_as_its_date():
    assert not is_working_day(datetime(2026, 10, 1, 9, 30))
    assert is_working_day(datetime(2026, 10, 10, 9, 30))


# --- adding working days ------------------------------------------------------------------------


def test_friday_plus_one_is_monday():
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)


def test_across_a_weekend_counts_five_per_week():
    assert add_working_days(date(2026, 3, 9), 5) == date(2026, 3, 16)


def test_across_national_day_2026():
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 9)


def test_makeup_saturday_counts():
    # Oct 8 (Thu), Oct 9 (Fri), Oct 10 (make-up Saturday)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert add_working_days(date(2026, 9, 30), 4) == date(2026, 10, 12)


def test_across_spring_festival_2026():
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)  # make-up Saturday
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)  # after Feb 15–23


def test_makeup_sunday_before_national_day():
    # Fri Sep 18 -> Sun Sep 20 is a working day
    assert add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)


def test_zero_days():
    assert add_working_days(date(2026, 3, 11), 0) == date(2026, 3, 11)
    assert add_working_days(date(2026, 10, 1), 0) == date(2026, 10, 8)
    assert add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 9)


def test_negative_days_rejected():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 3, 11), -1)


def test_ten_working_days_over_national_day():
    # a 10-working-day deadline opened on Sep 28: Sep 29, 30, Oct 8, 9, 10, 12, 13, 14, 15, 16
    assert add_working_days(date(2026, 9, 28), 10) == date(2026, 10, 16)


# --- counting -----------------------------------------------------------------------------------


def test_working_days_between():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert working_days_between(date(2026, 10, 10), date(2026, 9, 30)) == -3
    assert working_days_between(date(2026, 3, 11), date(2026, 3, 11)) == 0
    assert working_days_between(date(2026, 3, 6), date(2026, 3, 8)) == 0


@pytest.mark.parametrize("n", [1, 3, 7, 20, 45])
def test_between_inverts_add(n):
    start = date(2026, 9, 25)  # Mid-autumn holiday
    assert working_days_between(start, add_working_days(start, n)) == n


# --- fallback outside the official years -----------------------------------------------------


def test_is_official():
    assert is_official(date(2026, 10, 1))
    assert is_official(date(2004, 1, 1))
    assert not is_official(date(2027, 1, 4))
    assert not is_official(date(2003, 12, 31))


def test_fallback_is_monday_to_friday():
    assert is_working_day(date(2027, 1, 1))  # a Friday; not on the official calendar
    assert not is_working_day(date(2027, 1, 2))
    assert not is_working_day(date(2027, 1, 3))
    assert is_working_day(date(2003, 12, 31))  # Wednesday
    start = date(2027, 3, 1)
    for i in range(14):
        d = start + timedelta(days=i)
        assert is_working_day(d) == (d.weekday() < 5)


def test_adding_across_the_end_of_the_official_range():
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 4)
    assert working_days_between(date(2026, 12, 30), date(2027, 1, 4)) == 3


# --- deadline instant -----------------------------------------------------------------------------


def test_deadline_instant_is_end_of_day_in_shanghai():
    instant = deadline_instant(date(2026, 9, 30), 1)
    assert instant.tzinfo is not None
    assert instant.utcoffset() == timedelta(hours=8)
    assert (instant.date(), instant.hour, instant.minute, instant.second) == (date(2026, 10, 8), 23, 59, 59)


def test_deadline_instant_other_zone():
    instant = deadline_instant(date(2026, 3, 6), 1, tz="UTC")
    assert instant.utcoffset() == timedelta(0)
    assert instant.date() == date(2026, 3, 9)


# --- deadline status ------------------------------------------------------------------------------


def test_status_ok():
    status = deadline_status(date(2026, 10, 20), date(2026, 9, 30))
    assert status == DeadlineStatus("ok", 10, 0, "剩余 10 个工作日")


def test_status_warning_counts_working_days_over_holiday():
    # nine calendar days, but only Oct 8 and Oct 9 are working days
    status = deadline_status(date(2026, 10, 9), date(2026, 9, 30))
    assert status == DeadlineStatus("warning", 2, 0, "剩余 2 个工作日")


def test_status_warning_threshold():
    assert deadline_status(date(2026, 3, 12), date(2026, 3, 9), warn_days=3).level == "warning"
    assert deadline_status(date(2026, 3, 13), date(2026, 3, 9), warn_days=3).level == "ok"
    assert deadline_status(date(2026, 3, 11), date(2026, 3, 9), warn_days=1).level == "ok"


def test_status_due_today():
    status = deadline_status(date(2026, 10, 8), date(2026, 10, 8))
    assert status == DeadlineStatus("warning", 0, 0, "今日到期")


def test_status_overdue_counts_working_days():
    status = deadline_status(date(2026, 9, 30), date(2026, 10, 9))
    assert status == DeadlineStatus("overdue", 0, 2, "超期 2 个工作日")


def test_status_overdue_on_a_weekend_is_at_least_one_day():
    status = deadline_status(date(2026, 3, 6), date(2026, 3, 8))
    assert status.level == "overdue"
    assert status.overdue == 1
    assert status.label == "超期 1 个工作日"


def test_status_rejects_negative_warn_days():
    with pytest.raises(ValueError):
        deadline_status(date(2026, 3, 6), date(2026, 3, 6), warn_days=-1)


# --- overrides over the official calendar, across 2026 → 2027 ---------------------------------
# The 2027 dates below are examples of what an office may enter, not the published schedule.


def test_a_holiday_weekday_does_not_count_across_the_new_year():
    plain = WorkingCalendar()
    entered = WorkingCalendar({date(2027, 1, 1): False})  # a Friday off
    assert plain.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert entered.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert plain.working_days_between(date(2026, 12, 30), date(2027, 1, 4)) == 3
    assert entered.working_days_between(date(2026, 12, 30), date(2027, 1, 4)) == 2
    assert not entered.is_working_day(date(2027, 1, 1)) and entered.day_kind(date(2027, 1, 1)) == "holiday"


def test_a_makeup_saturday_counts_in_2027():
    entered = WorkingCalendar({date(2027, 2, 20): True})  # a Saturday worked (调休)
    assert WorkingCalendar().add_working_days(date(2027, 2, 19), 1) == date(2027, 2, 22)
    assert entered.add_working_days(date(2027, 2, 19), 1) == date(2027, 2, 20)
    assert entered.working_days_between(date(2027, 2, 19), date(2027, 2, 22)) == 2
    assert entered.day_kind(date(2027, 2, 20)) == "makeup"
    assert entered.working_days_before(date(2027, 2, 22), 1) == date(2027, 2, 20)


def test_overrides_win_over_the_official_calendar():
    entered = WorkingCalendar({date(2026, 10, 8): False, date(2026, 10, 11): True})
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert entered.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 9)
    # Fri 9, Sat 10 (official make-up day), Sun 11 (entered)
    assert entered.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 11)


def test_module_functions_count_on_the_calendar_in_use_and_only_inside_it():
    entered = WorkingCalendar({date(2027, 1, 1): False, date(2027, 1, 2): True})
    with using(entered):
        assert in_force() is entered
        assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 2)
        assert deadline_instant(date(2026, 12, 31), 2).date() == date(2027, 1, 4)
        assert deadline_status(date(2027, 1, 4), date(2026, 12, 31)).remaining == 2
        assert not is_working_day(date(2027, 1, 1))
    assert in_force() is not entered
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)


def test_day_kinds_on_the_official_calendar():
    cal = WorkingCalendar()
    assert cal.day_kind(date(2026, 2, 14)) == "makeup"  # Saturday worked before Spring Festival
    assert cal.day_kind(date(2026, 2, 16)) == "holiday"  # Monday off
    assert cal.day_kind(date(2026, 2, 21)) == "holiday"  # a Saturday inside the holiday
    assert cal.day_kind(date(2026, 3, 7)) == "weekend"
    assert cal.day_kind(date(2026, 3, 11)) == "work"


# --- the warning: next year without a schedule --------------------------------------------------


@pytest.mark.parametrize(("today", "warned"), [
    (date(2026, 10, 31), []),
    (date(2026, 11, 1), [2027]),
    (date(2026, 11, 30), [2027]),
    (date(2026, 12, 31), [2027]),
    (date(2026, 6, 1), []),
    (date(2027, 3, 1), [2027]),  # the year itself without a schedule is worse still
    (date(2027, 11, 1), [2027, 2028]),
])
def test_warning_from_1_november_when_next_year_has_no_schedule(today, warned):
    assert WorkingCalendar().unscheduled_years(today) == warned


def test_a_year_marked_as_entered_is_scheduled():
    cal = WorkingCalendar(scheduled_years=frozenset({2027}))
    assert cal.is_scheduled(2027) and cal.is_scheduled(2026) and not cal.is_scheduled(2028)
    assert cal.unscheduled_years(date(2026, 11, 30)) == []
    assert cal.unscheduled_years(date(2027, 11, 30)) == [2028]


# --- the calendar in the database: every deadline computed after an edit uses it ---------------


class Clock:
    """A settable clock in Shanghai time."""

    def __init__(self, at: str):
        self.set(at)

    def set(self, at: str) -> None:
        self.now = datetime.fromisoformat(at + "+08:00").astimezone(UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def clocked(platform):
    clock = Clock("2026-12-28T10:00:00")  # a Monday
    return platform.at(clock), clock


def enter(platform, day: str, kind: str, name: str = "示例"):
    with platform.db.transaction() as session:
        save_overrides(session, "admin", [check_entry({"date": day, "kind": kind, "name": name})],
                       platform.clock())


def take_back(platform, *days: str):
    with platform.db.transaction() as session:
        remove_overrides(session, "admin", [date.fromisoformat(d) for d in days], platform.clock())


def open_case(platform, days: int):
    out = start(platform, "inspector", "rectification", {**CASE, "deadline_days": days})
    with platform.db.reading() as session:
        case = session.scalars(select(RectificationCase).where(RectificationCase.instance_id == out.instance_id)).one()
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == out.instance_id,
                                                       HumanTask.element_id == "rectify")).one()
    return out, case, task


def test_deadlines_set_after_an_edit_use_it_and_a_removed_override_stops(clocked):
    platform, _clock = clocked
    # 4 working days from Mon 28 Dec: 29, 30, 31 Dec and Fri 1 Jan 2027.
    _out, plain, _task = open_case(platform, 4)
    assert plain.due_on == date(2027, 1, 1)

    enter(platform, "2027-01-01", "holiday", "元旦")
    out, case, task = open_case(platform, 4)
    assert case.due_on == date(2027, 1, 4)
    assert out.data["due_at"] == "2027-01-04T23:59:59+08:00"
    assert out.data["handover_at"] == "2027-01-11T23:59:59+08:00"  # 5, 6, 7, 8, 11 Jan
    assert as_utc(task.due_at) == datetime(2027, 1, 4, 15, 59, 59, tzinfo=UTC)

    enter(platform, "2027-01-02", "workday", "调休")  # the Saturday is worked
    _out, case, _task = open_case(platform, 4)
    assert case.due_on == date(2027, 1, 2)

    take_back(platform, "2027-01-01", "2027-01-02")
    _out, case, _task = open_case(platform, 4)
    assert case.due_on == date(2027, 1, 1)
    with platform.db.reading() as session:  # editing the calendar moved no deadline already set
        assert session.get(RectificationCase, plain.id).due_on == date(2027, 1, 1)


def test_send_back_and_extension_count_on_the_overrides(clocked):
    platform, clock = clocked
    out, case, task = open_case(platform, 4)  # due Fri 1 Jan on the plain calendar
    enter(platform, "2027-01-04", "holiday")
    with platform.db.transaction() as session:
        req = request_extension(platform, session, "unit", case.id, 1, "需要协调多个部门")
    with platform.db.transaction() as session:
        decide_extension(platform, session, "inspector", req.id, True, "同意")
    with platform.db.reading() as session:
        assert session.get(RectificationCase, case.id).due_on == date(2027, 1, 5)  # Mon 4 Jan is off

    out = complete(platform, "unit", task.id, RECTIFIED)
    clock.set("2026-12-31T10:00:00")
    enter(platform, "2027-01-01", "holiday")
    sent_back = {"decision": "fail", "opinion": "材料不全", "deadline_days": 1}
    complete(platform, "inspector", task_of(out, "verify"), sent_back)
    with platform.db.reading() as session:
        assert session.get(RectificationCase, case.id).due_on == date(2027, 1, 5)  # 1 and 4 Jan are off


def test_an_edit_by_another_process_counts_from_its_next_action(clocked):
    platform, clock = clocked
    other = Platform(platform.db.url).at(clock)  # its own engine and cache, as another host has
    try:
        assert open_case(other, 4)[1].due_on == date(2027, 1, 1)  # its cache now holds the plain calendar
        enter(platform, "2027-01-01", "holiday")
        assert open_case(other, 4)[1].due_on == date(2027, 1, 4)
        take_back(platform, "2027-01-01")
        assert open_case(other, 4)[1].due_on == date(2027, 1, 1)
        with other.db.transaction() as session:
            mark_year(session, "admin", 2027, True, clock())
        with platform.db.reading() as session:
            assert calendar_for(session).unscheduled_years(date(2026, 11, 30)) == []
    finally:
        other.db.dispose()


def test_an_action_reads_one_row_of_the_calendar_not_one_per_day(clocked):
    platform, _clock = clocked
    enter(platform, "2027-01-01", "holiday")
    open_case(platform, 1)  # this process has loaded the calendar since the edit
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    engines = {platform.db.sa_engine, platform.db._read_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        assert open_case(platform, 60)[1].due_on > date(2027, 3, 1)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    assert sum("calendar_state" in s for s in seen) == 1
    assert not any("calendar_override" in s or "calendar_year" in s for s in seen)
