"""Two working days (工作日) are China's: weekends and public holidays are skipped, the swapped
working Saturdays (调休) count; beyond the calendar package's data, Monday to Friday."""
from __future__ import annotations

import datetime as dt
import logging

from idp.consultations import working_days
from idp.consultations.working_days import add_working_days, due_at, due_date, last_day

BEIJING = dt.timezone(dt.timedelta(hours=8))


def beijing(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING)


def test_a_question_of_friday_is_due_by_the_end_of_tuesday():
    assert due_date(beijing(2026, 12, 4, 15, 0)) == dt.date(2026, 12, 8)
    assert due_at(beijing(2026, 12, 4, 15, 0)) == beijing(2026, 12, 9, 0, 0)
    assert last_day(due_at(beijing(2026, 12, 4, 15, 0))) == dt.date(2026, 12, 8)  # the date pages show


def test_the_day_is_beijing_time():
    # 2026-12-03 17:00 UTC is Friday 01:00 in Beijing
    assert due_date(dt.datetime(2026, 12, 3, 17, 0, tzinfo=dt.UTC)) == dt.date(2026, 12, 8)


def test_public_holidays_are_skipped_and_a_swapped_saturday_is_worked():
    # 2026 Spring Festival: Saturday 14 February is a working day (调休), 15–23 February are holidays
    assert add_working_days(dt.date(2026, 2, 13), 1) == dt.date(2026, 2, 14)
    assert due_date(beijing(2026, 2, 13, 10, 0)) == dt.date(2026, 2, 24)
    # National Day: nothing between 1 and 7 October counts
    assert due_date(beijing(2026, 9, 30, 10, 0)) > dt.date(2026, 10, 7)


def test_beyond_the_calendars_data_monday_to_friday_count_with_one_warning(caplog, monkeypatch):
    monkeypatch.setattr(working_days, "_warned_years", set())
    with caplog.at_level(logging.WARNING, logger="idp.consultations.working_days"):
        assert due_date(beijing(2099, 1, 9, 10, 0)) == dt.date(2099, 1, 13)  # a Friday → Tuesday
        assert due_date(beijing(2099, 1, 12, 10, 0)) == dt.date(2099, 1, 14)
    warnings = [r for r in caplog.records if "2099" in r.getMessage()]
    assert len(warnings) == 1
