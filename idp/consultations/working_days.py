"""Working days (工作日) of mainland China: the help desk answers within two of them.

The ``chinesecalendar`` package (``import chinese_calendar``) knows the public holidays and the
swapped working days (调休: a Saturday or Sunday that is worked). Its data are published a year
at a time and end with the last year the State Council has announced; for a later year it raises
NotImplementedError. Then we count Monday to Friday as working days (holidays unknown) and log a
warning once per year per process, so that an operator updates the package.
"""
from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar  # type: ignore[import-untyped]  # the package ships no type information

from idp.clock import BEIJING

log = logging.getLogger(__name__)
ANSWER_WITHIN = 2  # working days (docs/helpdesk.md: "您的咨询将在两个工作日内回复")
_warned_years: set[int] = set()  # only to log once; nothing another instance needs


def is_working_day(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("chinesecalendar has no data for %s: counting Monday to Friday as working days "
                        "(update the chinesecalendar package)", day.year)
        return day.weekday() < 5


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``day`` (``day`` itself never counts)."""
    while count > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def due_date(submitted_at: dt.datetime) -> dt.date:
    """The day (Beijing time) by the end of which a question filed at ``submitted_at`` is answered."""
    return add_working_days(submitted_at.astimezone(BEIJING).date(), ANSWER_WITHIN)


def due_at(submitted_at: dt.datetime) -> dt.datetime:
    """The end of :func:`due_date` (midnight Beijing time, in UTC): overdue after it."""
    after = due_date(submitted_at) + dt.timedelta(days=1)
    return dt.datetime.combine(after, dt.time(), tzinfo=BEIJING).astimezone(dt.UTC)


def last_day(due: dt.datetime) -> dt.date:
    """The day (Beijing time) a stored ``due_at`` is the end of: what pages show as the deadline."""
    return (due.astimezone(BEIJING) - dt.timedelta(microseconds=1)).date()
