"""Running the operators' command line (``idp …``, idp/cli.py) from a test."""
from __future__ import annotations

import asyncio
import io

from idp.cli import main


async def idp(monkeypatch, *argv: str, stdin: str = "") -> int:
    """``idp …`` as an operator runs it (its own event loop, so in a thread of its own)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return await asyncio.to_thread(main, list(argv))
