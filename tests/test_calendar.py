"""Working days on the official calendar: 2026 holidays, 调休 make-up days, the fallback beyond 2026."""

from datetime import date, datetime, timedelta

import pytest

from workflows.calendar import (
    DeadlineStatus,
    add_working_days,
    deadline_instant,
    deadline_status,
    is_official,
    is_working_day,
    working_days_between,
)

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
