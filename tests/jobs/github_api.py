"""GitHub's REST API as the monthly workflow's scripts use it, on loopback: when a workflow
run began (scripts/monthly_plan.py) and the approval pull request, opened, listed, updated
and closed (scripts/approval.py). Every request needs the run's token."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.jobs.hosted import REPOSITORY

TOKEN = "ghs_a-runs-own-token"
RUN_ID = 4711
CREATED = "2026-11-03T14:00:07Z"
"""When the scheduled run was created: 14:00 UTC on the first Tuesday of November 2026."""
OWNER = REPOSITORY.split("/")[0]


class FakeGitHubApi:
    """``GET /repos/{repository}/actions/runs/{RUN_ID}`` answers the run's created_at (with
    ``status``); ``/repos/{repository}/pulls`` lists (``state``, ``head=owner:branch``),
    opens and (``/pulls/{number}``) updates pull requests, kept in ``pulls``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[str] = []
        self.pulls: list[dict[str, Any]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if not self._allowed():
                    return
                url = urlsplit(self.path)
                if url.path == f"/repos/{REPOSITORY}/actions/runs/{RUN_ID}":
                    run = {"id": RUN_ID, "created_at": CREATED, "run_attempt": 2}
                    self._answer(api.status, run if api.status == 200 else {"message": "oops"})
                elif url.path == f"/repos/{REPOSITORY}/pulls":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    found = [
                        pull
                        for pull in api.pulls
                        if pull["state"] == query.get("state", "open")
                        and ("head" not in query or query["head"] == f"{OWNER}:{pull['head']}")
                    ]
                    self._answer(200, found)
                else:
                    self._answer(404, {"message": "Not Found"})

            def do_POST(self) -> None:
                if not self._allowed():
                    return
                if self.path != f"/repos/{REPOSITORY}/pulls":
                    return self._answer(404, {"message": "Not Found"})
                given = self._body()
                pull = {**given, "number": len(api.pulls) + 1, "state": "open"}
                api.pulls.append(pull)
                self._answer(201, pull)

            def do_PATCH(self) -> None:
                if not self._allowed():
                    return
                prefix = f"/repos/{REPOSITORY}/pulls/"
                number = self.path.removeprefix(prefix)
                if not self.path.startswith(prefix) or not number.isdigit():
                    return self._answer(404, {"message": "Not Found"})
                pull = api.pulls[int(number) - 1]
                pull.update(self._body())
                self._answer(200, pull)

            def _allowed(self) -> bool:
                api.requests.append(f"{self.command} {self.path}")
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._answer(401, {"message": "Bad credentials"})
                    return False
                return True

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                body: dict[str, Any] = json.loads(self.rfile.read(length))
                return body

            def _answer(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeGitHubApi:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
