"""Starting a server as a process of its own, the way it is deployed: `make run`, the live-process
tests, the integration harness of the business-system teams and the benchmark all start theirs
here.

A server is a command (usually ``python -m uvicorn <factory> --factory``: :func:`uvicorn_command`)
on a loopback port with an environment. :func:`spawn` starts it in a process group of its own,
its output in a log file (or the terminal's), :meth:`ServerProcess.wait_ready` waits until its
probe path answers 200, and :func:`stop_all` signals the whole group (uvicorn's workers too) and
kills what has not exited in time. Neither idp nor mock_systems is imported: both use this.
"""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import functools
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
# Loaded before any fork: the child between fork and exec should do as little as possible.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
# Probes go straight to the loopback port, never through a proxy of the caller's environment.
_PROBE = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# Servers' ports are drawn from here up, outside the ephemeral range (free_ports).
PORT_FLOOR = 10000
_PORT_LOCKS = Path(tempfile.gettempdir()) / f"loopback-ports-{os.getuid()}"
_HELD: deque[int] = deque(maxlen=256)


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for the source ports of outgoing connections (Linux's default when
    it cannot be read)."""
    with contextlib.suppress(OSError, ValueError):
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    return 32768, 60999


@functools.cache
def candidate_ports() -> list[int]:
    """The ports free_ports draws from (read once: the kernel's range does not move under a run)."""
    low, high = ephemeral_range()
    return [port for port in range(PORT_FLOOR, 65536) if not low <= port <= high]


def reserve(port: int) -> bool:
    """Whether ``port`` is now ours: no other process of this machine chose it (a lock on a file
    named after it) and nothing listens on it or holds it bound."""
    _PORT_LOCKS.mkdir(mode=0o700, exist_ok=True)
    descriptor = os.open(_PORT_LOCKS / str(port), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, port))
    except OSError:
        os.close(descriptor)
        return False
    if len(_HELD) == _HELD.maxlen:
        os.close(_HELD[0])
    _HELD.append(descriptor)
    return True


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports nobody listens on right now, for servers about to start.

    Not the OS's pick (binding port 0): that comes from the ephemeral range, where the source
    port of any outgoing connection may take it before our server binds it, and a second
    process choosing at the same moment may get it too (two test workers did, and a portal
    failed to start). So a port is drawn from outside that range and reserved against the other
    processes of this machine by a file lock, held until this process has chosen a few hundred
    more, long after the server it was for has bound it."""
    candidates = candidate_ports()
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.choice(candidates)
        if port not in chosen and reserve(port):
            chosen.append(port)
    return chosen


def free_port() -> int:
    return free_ports(1)[0]


def port_in_use(port: int, host: str = HOST) -> bool:
    """Another server on the port would answer the readiness probe in our server's place."""
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) == 0


def uvicorn_command(app: str, port: int, *, host: str = HOST, log_level: str | None = "warning",
                    access_log: bool = True, workers: int | None = None) -> list[str]:
    """``python -m uvicorn <app> --factory`` on ``host:port``: ``app`` is an application factory.

    ``--no-proxy-headers``: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 by
    default; which forwarded address counts is the portal's setting (IDP_TRUSTED_PROXIES)."""
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", host, "--port", str(port),
               "--no-proxy-headers"]
    if log_level is not None:
        command += ["--log-level", log_level]
    if not access_log:
        command.append("--no-access-log")
    if workers is not None:
        command += ["--workers", str(workers)]
    return command


@dataclass(kw_only=True)
class ServerProcess:
    """One running server: its process (the leader of its own process group) and where it listens."""

    name: str
    port: int
    process: subprocess.Popen
    log_path: Path | None = None  # None: its output goes to the launcher's terminal
    probe: str = "/"  # a path that answers 200 once the server is up
    host: str = HOST

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is not None:
            with contextlib.suppress(OSError):
                return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def answers(self) -> bool:
        try:
            with _PROBE.open(self.url + self.probe, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    async def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Until the probe answers; an error with the log's tail when the process exits first
        or ``timeout`` passes.

        The probe runs once more after the deadline before giving up: a start awaited by a task
        whose event loop was busy elsewhere (a server started ahead while a test runs) may see
        the deadline pass in one step, although the server has been ready for a while."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} on port {self.port} exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            if await asyncio.to_thread(self.answers):
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{self.name} on port {self.port} not ready within {timeout} s:\n"
                                   f"{self.log_tail()}")
            await asyncio.sleep(0.1)

    def signal(self, signum: int) -> None:
        """To the whole process group: uvicorn's workers (``--workers``) stop with their parent."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)


S = TypeVar("S", bound=ServerProcess)


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the thread that started it ends (`make run`
    killed without a chance to stop its servers)."""
    if _LIBC is not None:
        PR_SET_PDEATHSIG = 1
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(name: str, command: Sequence[str], *, port: int, env: Mapping[str, str], log_path: Path | None = None,
          probe: str = "/", cwd: Path = PROJECT_ROOT, die_with_parent: bool = False,
          kind: type[S] = ServerProcess, **fields) -> S:  # type: ignore[assignment]  # PEP 696 defaults need 3.13
    """Start ``command`` in a process group of its own (a terminal's Ctrl-C reaches only the
    launcher, which stops its servers itself), its output appended to ``log_path``; returns a
    ``kind`` (a ServerProcess with ``fields`` of its own). ``die_with_parent`` only from the
    main thread, before any other thread exists."""
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(open(log_path, "ab")) if log_path is not None else None  # the child keeps a copy
        process = subprocess.Popen(
            list(command), cwd=cwd, env=dict(env), process_group=0, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT if log is not None else None,
            preexec_fn=_die_with_parent if die_with_parent else None)
    return kind(name=name, port=port, process=process, log_path=log_path, probe=probe, **fields)


async def start(name: str, command: Sequence[str], *, port: int, env: Mapping[str, str], log_path: Path | None,
                probe: str = "/", timeout: float = STARTUP_TIMEOUT, cwd: Path = PROJECT_ROOT,
                kind: type[S] = ServerProcess, **fields) -> S:  # type: ignore[assignment]  # as spawn
    """:func:`spawn`, then wait until it answers; stopped again if it does not. The caller must
    :func:`stop` it."""
    server = spawn(name, command, port=port, env=env, log_path=log_path, probe=probe, cwd=cwd, kind=kind, **fields)
    try:
        await server.wait_ready(timeout)
    except BaseException:
        await stop(server)
        raise
    return server


def stop_all(servers: Iterable[ServerProcess], signum: int = signal.SIGTERM,
             timeout: float = STOP_TIMEOUT) -> list[ServerProcess]:
    """Signal every server (uvicorn shuts down gracefully on SIGINT and SIGTERM), then wait; what
    is still running after ``timeout`` is killed. Returns the ones that had to be killed."""
    servers = list(servers)
    for server in servers:
        server.signal(signum)
    deadline = time.monotonic() + timeout
    killed = []
    for server in servers:
        try:
            server.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            killed.append(server)
            server.signal(signal.SIGKILL)
            server.process.wait()
    return killed


async def stop(*servers: ServerProcess, timeout: float = STOP_TIMEOUT) -> None:
    """:func:`stop_all` without blocking the event loop."""
    await asyncio.to_thread(stop_all, servers, signal.SIGTERM, timeout)
