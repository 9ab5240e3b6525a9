"""All the stand-ins (or those named) in one process, each on its own port.

    .venv/bin/python -m mock_systems.standins.serve [client_id …]

One uvicorn server per system in one event loop: eighteen processes would cost eighteen
interpreters for systems that only log users in. SIGINT and SIGTERM stop every server.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

import uvicorn

from mock_systems.standins import STANDINS, create_app, profile_of
from shared.processes import HOST


class _Server(uvicorn.Server):
    """A server that leaves the signals to :func:`serve` (uvicorn's own handler stops one server only)."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


async def serve(client_ids: list[str], *, host: str = HOST, port: int | None = None,
                log_level: str | None = None) -> None:
    """``port``: another port than the profile's, for a single stand-in (the tests' free ports)."""
    profiles = [profile_of(c) for c in client_ids] if client_ids else list(STANDINS)
    if port is not None and len(profiles) != 1:
        raise ValueError("--port needs exactly one client_id")
    servers = [_Server(uvicorn.Config(create_app(p.client_id), host=host, port=port or p.port, log_level=log_level))
               for p in profiles]

    def stop(*_args) -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    await asyncio.gather(*(server.serve() for server in servers))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("client_ids", nargs="*", help="only these stand-ins (default: all)")
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=None, help="with one client_id: listen here instead")
    parser.add_argument("--log-level", default=None)
    args = parser.parse_args(argv)
    if args.port is not None and len(args.client_ids) != 1:
        parser.error("--port needs exactly one client_id")
    asyncio.run(serve(args.client_ids, host=args.host, port=args.port, log_level=args.log_level))
    return 0


if __name__ == "__main__":
    sys.exit(main())
