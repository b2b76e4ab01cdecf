"""Running the desk: uvicorn, one process, on loopback unless told otherwise.

One process on purpose: the inbox has one writer (group commit) and the outbox one
worker. uvicorn runs with httptools and uvloop when installed, through the desk's own
protocol (:mod:`.connections`: timeouts, a bounded request head, a connection limit that
keeps file descriptors for the inbox), without its access log (request lines carry
tokens in their query) and without a Server header; every log line goes through
:mod:`.logs`. X-Forwarded-For is believed only from the reverse proxies named in
``proxies`` (for the rate limits and the consent record's IP address): from anyone else
it is a header a client may write as it likes.
"""

from __future__ import annotations

import uvicorn

from newsletter.desk import logs
from newsletter.desk.app import create_app
from newsletter.desk.connections import ConnectionLimits, protocol_for
from newsletter.desk.settings import DeskSettings

BACKLOG = 1024
"""Connections the kernel holds before the desk accepts them."""
GRACEFUL_SHUTDOWN = 10
"""Seconds a stop waits for requests being answered."""


def serve(
    settings: DeskSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    proxies: str = "",
    log_level: str = "info",
    limits: ConnectionLimits | None = None,
) -> None:
    """Serve the desk until interrupted (SIGINT or SIGTERM end it gracefully)."""
    logs.configure(log_level)
    limits = limits or ConnectionLimits()
    trusted = ",".join(p.strip() for p in proxies.split(",") if p.strip())
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        http=protocol_for(limits),
        loop=_available("uvloop", "asyncio"),
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or "",
        log_level=log_level,
        timeout_keep_alive=int(limits.idle),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        backlog=BACKLOG,
    )
    uvicorn.Server(config).run()


def _available(module: str, fallback: str) -> str:
    try:
        __import__(module)
    except ImportError:
        return fallback
    return module
