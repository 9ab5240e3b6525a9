"""A search of the audit log as a download, streamed: CSV or NDJSON.

Rows arrive from :func:`idp.audit.search.every_event` a batch at a time and leave as text chunks
(one per batch), so memory holds one batch whatever the size of the search.

- CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese in details right):
  a header row, then one row per event; ``details`` is its JSON text. A cell that a spreadsheet
  would run as a formula (starting with = + - @, a tab or a carriage return) is prefixed with an
  apostrophe (OWASP's CSV-injection advice): an actor or a reason is text typed by someone else.
- JSON as NDJSON (``application/x-ndjson``): one JSON object per line. Unlike one array it can be
  written and read line by line, appended to an archive, and a cut-off download is still valid up
  to its last whole line.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

from idp.audit.models import AuditEvent

COLUMNS = ("id", "at", "event", "outcome", "actor", "subject", "client_id", "source_ip", "details")
FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"), "json": ("application/x-ndjson; charset=utf-8", "ndjson")}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 1000


def event_record(row: AuditEvent) -> dict:
    """One event as plain values; the time in UTC, ISO 8601."""
    return {
        "id": row.id, "at": row.at.isoformat(), "event": row.event, "outcome": row.outcome, "actor": row.actor,
        "subject": row.subject, "client_id": row.client_id, "source_ip": row.source_ip, "details": row.details,
    }


def safe_cell(value: object) -> str:
    if value is None:
        return ""
    cell = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


async def csv_chunks(events: AsyncIterator[AuditEvent]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    rows = 0
    async for row in events:
        record = event_record(row)
        writer.writerow([safe_cell(record[c]) if c != "id" else record[c] for c in COLUMNS])
        rows += 1
        if rows % CHUNK_ROWS == 0:
            yield _drain(buffer)
    yield _drain(buffer)


async def ndjson_chunks(events: AsyncIterator[AuditEvent]) -> AsyncIterator[str]:
    lines: list[str] = []
    async for row in events:
        lines.append(json.dumps(event_record(row), ensure_ascii=False, sort_keys=True) + "\n")
        if len(lines) == CHUNK_ROWS:
            yield "".join(lines)
            lines = []
    yield "".join(lines)


def export_chunks(format_name: str, events: AsyncIterator[AuditEvent]) -> AsyncIterator[str]:
    """``format_name``: ``csv`` or ``json`` (NDJSON)."""
    return csv_chunks(events) if format_name == "csv" else ndjson_chunks(events)


def _drain(buffer: io.StringIO) -> str:
    chunk = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return chunk
