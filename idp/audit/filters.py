"""What an auditor searches the log by: one immutable value built from form or command-line text.

Times are typed in Beijing time (how staff read every time on the portal) unless they carry an
offset; an event filter ending in ``.`` is a prefix (``binding.`` finds every binding event).
Bad input is a :class:`DomainError` naming the field, never a query.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from sqlalchemy import ColumnElement

from idp import clock
from idp.audit.models import AuditEvent
from idp.errors import DomainError

# Field name → (label on the page, longest value the column holds).
TEXT_FIELDS = {
    "event": ("事件类型", 64),
    "actor": ("操作者", 128),
    "subject": ("涉及账号", 128),
    "client_id": ("业务系统", 64),
    "outcome": ("结果", 16),
    "source_ip": ("来源地址", 64),
}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


@dataclass(frozen=True)
class AuditFilters:
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive
    event: str | None = None  # exact, or a prefix when it ends with "."
    actor: str | None = None
    subject: str | None = None
    client_id: str | None = None
    outcome: str | None = None
    source_ip: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.since is not None:
            found.append(AuditEvent.at >= self.since)
        if self.until is not None:
            found.append(AuditEvent.at < self.until)
        if self.event is not None:
            if self.event.endswith("."):
                found.append(AuditEvent.event.startswith(self.event, autoescape=True))
            else:
                found.append(AuditEvent.event == self.event)
        for name in ("actor", "subject", "client_id", "outcome", "source_ip"):
            value = getattr(self, name)
            if value is not None:
                found.append(getattr(AuditEvent, name) == value)
        return found

    def as_text(self) -> dict[str, str]:
        """The filters as given, for the audit record of an export and for links to the same search."""
        values = {k: v for k, v in asdict(self).items() if v is not None}
        for name in ("since", "until"):
            if name in values:
                values[name] = clock.beijing_seconds_text(values[name])
        return values

    def fingerprint(self) -> bytes:
        """Binds a page token to the search it continues."""
        return hashlib.sha256(json.dumps(asdict(self), default=str, sort_keys=True).encode()).digest()


def parse_filters(values: Mapping[str, str | None]) -> AuditFilters:
    """Filters from text fields (a form, the command line); empty fields are no filter."""
    found: dict[str, object] = {}
    for name, (label, longest) in TEXT_FIELDS.items():
        value = (values.get(name) or "").strip()
        if not value:
            continue
        if len(value) > longest or not value.isprintable():
            raise DomainError("audit.filter_invalid", label=label, detail=f"bad {name}")
        # Event names are lower case; SQLite's LIKE ignores case and PostgreSQL's does not.
        found[name] = value.lower() if name == "event" else value
    for name, label in (("since", "开始时间"), ("until", "结束时间")):
        value = (values.get(name) or "").strip()
        if value:
            found[name] = parse_beijing_time(value, label)
    filters = AuditFilters(**found)  # type: ignore[arg-type]  # keys and types are the dataclass's own
    if filters.since and filters.until and filters.since >= filters.until:
        raise DomainError("audit.range_empty", detail="since is not before until")
    return filters


def parse_beijing_time(value: str, label: str) -> dt.datetime:
    """``2026-12-01 08:00`` (Beijing time) → 2026-12-01T00:00Z; an explicit offset is honoured."""
    if len(value) <= 40:
        for pattern in TIME_FORMATS:
            try:
                return dt.datetime.strptime(value, pattern).replace(tzinfo=clock.BEIJING).astimezone(dt.UTC)
            except ValueError:
                continue
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None:
            return (moment if moment.tzinfo else moment.replace(tzinfo=clock.BEIJING)).astimezone(dt.UTC)
    raise DomainError("audit.time_invalid", label=label, detail="bad time")
