"""The one place that reads the time, so tests can see what the code sees."""
from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


# Users read times in Beijing time (China has one zone and no daylight saving).
BEIJING = dt.timezone(dt.timedelta(hours=8))


def beijing_text(value: dt.datetime) -> str:
    """``2026-11-22 11:30`` for 2026-11-22T03:30Z: how notices and pages show a moment."""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def beijing_seconds_text(value: dt.datetime) -> str:
    """``2026-11-22 11:30:05``: to the second, where the order of events matters (the audit log)."""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
