"""The one place that reads the time, so tests can see what the code sees."""
from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def epoch(value: dt.datetime) -> int:
    return int(value.timestamp())
