"""Serving the web app with uvicorn."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import uvicorn

from bot.runtime import Runtime
from triage.app import create_app


def serve(rt: Runtime, now: Callable[[], dt.datetime], host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT.  Proxy headers are not believed: the trusted user header is
    judged by the real peer address (see `[web] trusted_proxies`)."""
    uvicorn.run(create_app(rt, now), host=host, port=port, proxy_headers=False, server_header=False,
                log_level="info", access_log=False)


def serve_in_background(rt: Runtime, now: Callable[[], dt.datetime], host: str, port: int) -> uvicorn.Server:
    """For `run --serve`: the web app in a thread beside the polling service (which owns the signals)."""
    import threading

    server = uvicorn.Server(uvicorn.Config(create_app(rt, now), host=host, port=port, proxy_headers=False,
                                           server_header=False, log_level="info", access_log=False))
    threading.Thread(target=server.run, name="web", daemon=True).start()
    return server
