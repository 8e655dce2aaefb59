"""Server processes for the benchmarks, and the cores they and the load generator run on.

A server under test runs in a subprocess on a free loopback port, pinned to one core (the load
comes from another where there is one), and is stopped when its block ends; `cpu_seconds` tells
how busy each process was, to show which side set the pace.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 30.0


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user and system) used so far by process `pid` (None: this one), NaN where the
    system does not say (no /proc)."""
    if pid is None:
        return time.process_time()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def usable_cpus() -> list[int]:
    """The CPUs this process may run on, in order."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


@contextlib.contextmanager
def pinned(cpus: Sequence[int]) -> Iterator[None]:
    """Run this process on `cpus` for a while (no-op where affinity cannot be set)."""
    if not hasattr(os, "sched_setaffinity") or not cpus:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, set(cpus))
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@contextlib.contextmanager
def served(factory: str, env: Mapping[str, str], cpu: int | None) -> Iterator[tuple[str, int]]:
    """`uvicorn --factory FACTORY` on a free loopback port, pinned to `cpu`; (host, port)."""
    with running(uvicorn(factory), env, cpu) as (_process, address):
        yield address


def uvicorn(factory: str) -> Callable[[str, int], list[str]]:
    """The `running` command of uvicorn serving `factory`, without access log, as `served`."""

    def command(host: str, port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--host",
            host,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]

    return command


@contextlib.contextmanager
def running(
    command: Callable[[str, int], list[str]], env: Mapping[str, str], cpu: int | None
) -> Iterator[tuple[subprocess.Popen[bytes], tuple[str, int]]]:
    """A server process, `command(host, port)`, on a free loopback port and pinned to `cpu`.

    Yields the process and (host, port) once its `GET /healthz` answers 200; the process is
    stopped (SIGTERM, then SIGKILL) when the block ends.
    """
    host, port = "127.0.0.1", _free_port()
    process = subprocess.Popen(  # noqa: S603  # our own interpreter and arguments
        command(host, port), cwd=ROOT, env={**os.environ, **env}
    )
    try:
        if cpu is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(process.pid, {cpu})
        _wait_until_up(host, port, process)
        yield process, (host, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(host: str, port: int, process: subprocess.Popen[bytes]) -> None:
    """Block until GET /healthz answers 200; raise if the server dies or never answers."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the benchmark server exited with {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=1) as connection:
                connection.sendall(request)
                if connection.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the benchmark server did not answer within {STARTUP_TIMEOUT_SECONDS} s")
