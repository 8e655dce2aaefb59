"""The check made before listening: a taken port is one clear line, not a traceback-like log."""

from __future__ import annotations

import errno
import socket


def port_taken(host: str, port: int) -> str | None:
    """Why the server cannot listen on `host:port` because another process holds it, else None.

    Binds a throwaway socket the way uvicorn binds its own (SO_REUSEADDR, IPv6 for a host with
    a colon), so a port lingering in TIME_WAIT is not called taken. Other bind errors (an
    unknown address, a privileged port) are left for the server to report.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                return None
            return (
                f"port {port} on {host} is taken; pick another with make run PORT=… "
                "(citybot serve --port …)"
            )
    return None
