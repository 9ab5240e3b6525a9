"""An audit event's row (idp/audit/log.py): values that come from a request (a presented
client_id, an address) are stored printable and within their columns, whatever was sent."""
from __future__ import annotations

from idp.audit.log import event_row


def test_a_printable_value_is_kept_and_cut_at_its_column():
    row = event_row("token.refused", actor="a" * 200, client_id="rp", source_ip="10.0.0.1")
    assert (row["actor"], row["subject"]) == ("a" * 128, "a" * 128)
    assert (row["client_id"], row["source_ip"]) == ("rp", "10.0.0.1")


def test_control_characters_are_escaped_then_cut_at_the_column():
    row = event_row("token.refused", client_id="rp\x00\x1b", source_ip="\x00" * 40)
    assert row["client_id"] == "rp\\x00\\x1b"  # a NUL would break a PostgreSQL insert
    assert row["source_ip"] == "\\x00" * 16
