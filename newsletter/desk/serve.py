"""Running the desk: uvicorn, one process, on loopback unless told otherwise.

One process on purpose: the inbox has one writer (group commit) and the outbox one
worker. uvicorn runs with httptools and uvloop when installed, without its access log
(request lines carry tokens in their query) and without a Server header. Behind a
reverse proxy, ``forwarded_allow_ips`` names the proxies whose X-Forwarded-For is
believed (for the rate limits and the consent record's IP address).
"""

from __future__ import annotations

import logging
import sys

import uvicorn

from newsletter.desk.app import create_app
from newsletter.desk.settings import DeskSettings


def serve(
    settings: DeskSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    forwarded_allow_ips: str = "127.0.0.1",
    log_level: str = "info",
) -> None:
    """Serve the desk until interrupted (SIGINT or SIGTERM end it gracefully)."""
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        http=_available("httptools", "h11"),
        loop=_available("uvloop", "asyncio"),
        lifespan="on",
        access_log=False,
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level=log_level,
        timeout_graceful_shutdown=10,
        backlog=1024,
    )
    uvicorn.Server(config).run()


def _available(module: str, fallback: str) -> str:
    try:
        __import__(module)
    except ImportError:
        return fallback
    return module
