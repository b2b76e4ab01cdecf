"""What the desk writes to its log: one line per record, nothing personal, nothing forged.

The desk's log is read by whoever runs it, and what strangers send ends up in it (a path,
a mail server's reply naming the recipient). So every record, the desk's own and
uvicorn's alike, goes through :class:`OneLine`:

- one line: an exception is its type and where it was raised (file and line of its last
  frames), never its message or a traceback, which can carry what a client sent;
- anything that looks like an email address is written ``<address>``;
- control characters (a newline that would start a forged line, an ANSI escape, a NUL)
  and invisible formatting characters are written as escapes (``\\x0a``).

Paths are logged by :func:`path_for_log`: their first part only (the rest may be a code or
a token), as the client sent it, escaped and cut short.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(message)s"
_ADDRESS = re.compile(r"[^\s<>\"'(),;:\[\]]+@[^\s<>\"'(),;:\[\]]+\.[A-Za-z]{2,}")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
PATH_CHARS = 40
"""Characters of a path's first part written to the log: a route's name is shorter."""
FRAMES = 3
"""Frames named for an exception: enough to find the line, without the data."""


def escaped(text: str) -> str:
    """``text`` with control and invisible characters written as escapes."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def scrubbed(text: str) -> str:
    """``text`` on one line, without email addresses."""
    return escaped(_ADDRESS.sub("<address>", text))


def where(error: BaseException) -> str:
    """``KeyError at notify.py:180 < notify.py:95``: an exception's type and its last
    frames, without its message (which may quote what a client sent)."""
    frames = traceback.extract_tb(error.__traceback__)[-FRAMES:]
    places = " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames))
    return f"{type(error).__name__} at {places}" if places else type(error).__name__


def path_for_log(scope: Mapping[str, Any]) -> str:
    """The first part of the request's path as the client sent it (still percent-encoded),
    escaped and at most :data:`PATH_CHARS` characters: ``/unsubscribe``, ``/r``."""
    raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "replace")
    first = bytes(raw).split(b"?", 1)[0].split(b"/")
    text = first[1].decode("ascii", "backslashreplace") if len(first) > 1 else ""
    if len(text) > PATH_CHARS:
        text = text[:PATH_CHARS] + "…"
    return "/" + escaped(text)


class OneLine(logging.Formatter):
    """Every record on one line, scrubbed (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__(FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            line = f"{line.rstrip()} ({where(error)})"
        return scrubbed(line)


def configure(level: str) -> None:
    """The process's log: every logger (uvicorn's too) through one stderr handler with
    :class:`OneLine`. For ``newsletter serve`` only: a library call changes no logging."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.propagate = True


NOTE = "desk.note"
"""Where a route leaves the reason for its answer, for the request's log line."""


def note(scope: MutableMapping[str, Any], why: str) -> None:
    """Say in the request's log line why it was answered as it was (a refused form, a
    rate limit): words of the desk's own, never what the client sent."""
    state = scope.setdefault("state", {})
    if isinstance(state, dict):
        state[NOTE] = why


def noted(scope: Mapping[str, Any]) -> str:
    state = scope.get("state")
    return str(state.get(NOTE, "")) if isinstance(state, dict) else ""
