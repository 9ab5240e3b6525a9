"""Exports of a search: streamed in keyset batches, complete and in order; CSV safe to open in a
spreadsheet; NDJSON one event a line; and ``idp audit export``, the archive before the purge."""
from __future__ import annotations

import asyncio
import csv
import io
import json

from idp.audit.export import csv_chunks, export_chunks, ndjson_chunks, safe_cell
from idp.audit.filters import AuditFilters
from idp.audit.search import every_event
from idp.cli import main
from tests.support.audit import add_events


async def _text(chunks) -> tuple[str, int]:
    parts = [chunk async for chunk in chunks]
    return "".join(parts), len(parts)


async def test_an_export_larger_than_a_batch_is_complete_ordered_and_without_duplicates(put):
    ids = await add_events(put, 23)
    await add_events(put, 3, event="other.event")
    filters = AuditFilters(event="test.event")
    seen = [row.id async for row in every_event(put.portal.reader, filters, batch=5)]
    assert seen == list(reversed(ids))  # five batches of five, the last one short

    body, _ = await _text(ndjson_chunks(every_event(put.portal.reader, filters, batch=5)))
    lines = body.splitlines()
    assert [json.loads(line)["id"] for line in lines] == list(reversed(ids))
    assert json.loads(lines[-1])["details"] == {"n": 0}

    body, _ = await _text(csv_chunks(every_event(put.portal.reader, filters, batch=5)))
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    assert [int(row["id"]) for row in rows] == list(reversed(ids))


async def test_an_exact_multiple_of_the_batch_ends_cleanly(put):
    ids = await add_events(put, 10)
    seen = [row.id async for row in every_event(put.portal.reader, AuditFilters(event="test.event"), batch=5)]
    assert seen == list(reversed(ids))


async def test_csv_quotes_what_needs_quoting_and_defuses_formulas(put):
    await add_events(put, 1, actor="=HYPERLINK(\"http://evil\")", subject="+1", client_id="@sum",
                     source_ip="-2+3", details={"reason": "机构名称, \"引号\"\n换行"})
    body, _ = await _text(export_chunks("csv", every_event(put.portal.reader, AuditFilters(event="test.event"))))
    assert body.startswith("\ufeffid,at,event,outcome,actor,subject,client_id,source_ip,details\r\n")
    [row] = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    assert row["actor"] == "'=HYPERLINK(\"http://evil\")"
    assert (row["subject"], row["client_id"], row["source_ip"]) == ("'+1", "'@sum", "'-2+3")
    assert json.loads(row["details"]) == {"reason": "机构名称, \"引号\"\n换行"}
    assert row["at"].startswith("2026-11-30T16:00:00") and row["outcome"] == "success"


def test_formula_starts_are_prefixed_and_other_cells_left_alone():
    assert [safe_cell(v) for v in ("=1", "+1", "-1", "@a", "\tx", "\rx")] == \
        ["'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx"]
    assert [safe_cell(v) for v in ("a=1", "登录", None, {"k": "值"})] == ["a=1", "登录", "", '{"k": "值"}']


async def test_idp_audit_export_writes_the_search_and_records_itself(put, monkeypatch, capsysbinary):
    ids = await add_events(put, 3, actor="alice")
    await add_events(put, 2, actor="bob")
    monkeypatch.setenv("IDP_DATABASE_URL", put.settings.database_url)
    argv = ["audit", "export", "--since", "2026-12-01 00:00", "--until", "2026-12-02", "--actor", "alice",
            "--format", "json"]
    assert await asyncio.to_thread(main, argv) == 0
    lines = capsysbinary.readouterr().out.decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == list(reversed(ids))

    assert await asyncio.to_thread(main, ["audit", "export", "--event", "audit.export", "--format", "csv"]) == 0
    # Recorded before it streams, so this export lists itself first.
    this, first = list(csv.DictReader(io.StringIO(capsysbinary.readouterr().out.decode().removeprefix("\ufeff"))))
    assert (this["actor"], first["actor"]) == ("cli", "cli")
    assert json.loads(this["details"]) == {"format": "csv", "filters": {"event": "audit.export"}}
    assert json.loads(first["details"]) == {"format": "json", "filters": {
        "actor": "alice", "since": "2026-12-01 00:00:00", "until": "2026-12-02 00:00:00"}}


async def test_idp_audit_export_refuses_a_bad_time(put, monkeypatch, capsys):
    monkeypatch.setenv("IDP_DATABASE_URL", put.settings.database_url)
    assert await asyncio.to_thread(main, ["audit", "export", "--since", "last week"]) == 2
    assert "开始时间" in capsys.readouterr().err
